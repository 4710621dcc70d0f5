package engine

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// Markers make a note or comment recognisable after a crash: the engine asks
// the vendor whether a ticket or bug already carries one before sending it
// again. The closing parenthesis keeps "…-1)" from matching "…-12)"; the
// epoch keeps the markers of a lost state from matching new ones.
func noteMarker(epoch, bugID string, seq int) string      { return marker(epoch, "n", bugID, seq) }
func bumpMarker(epoch, bugID string, seq int) string      { return marker(epoch, "b", bugID, seq) }
func staleMarker(epoch, bugID string, episode int) string { return marker(epoch, "s", bugID, episode) }

func marker(epoch, kind, bugID string, seq int) string {
	return "(ref: hs-" + epoch + "-" + kind + bugID + "-" + strconv.Itoa(seq) + ")"
}

const (
	maxSummary = 120 // runes of a bug summary quoted in a note
	maxTitle   = 200 // runes of a remote link title
)

// statusFieldText is what a ticket's status field shows for its bugs: the
// worst one's key and status, and how many others there are.
func statusFieldText(bugs []BugRecord) string {
	if len(bugs) == 0 {
		return ""
	}
	w := worst(bugs)
	s := w.Key + ": " + w.Status
	if w.State >= StateWontFix && w.Resolution != "" {
		s += " (" + w.Resolution
		if len(w.FixVersions) > 0 && w.State == StateDone {
			s += " in " + strings.Join(w.FixVersions, ", ")
		}
		s += ")"
	}
	if len(bugs) > 1 {
		s += fmt.Sprintf(" (+%d more)", len(bugs)-1)
	}
	return s
}

// worst is the least advanced bug (to do, in progress, won't fix, done), the
// lowest key first among equals, so the field never flaps.
func worst(bugs []BugRecord) BugRecord {
	w := bugs[0]
	for _, b := range bugs[1:] {
		if b.State < w.State || (b.State == w.State && b.Key < w.Key) {
			w = b
		}
	}
	return w
}

// noteWorthy reports whether agents are told when a bug reaches s. A bug
// going back to do only changes the field and tags.
func noteWorthy(s BugState) bool { return s != StateToDo }

// noteText is the private note telling an agent what changed on a bug and
// what to tell the customer.
func noteText(b BugRecord, marker string) string {
	var w strings.Builder
	subject := fmt.Sprintf("Bug %s %q", b.Key, truncate(b.Summary, maxSummary))
	switch b.State {
	case StateInProgress:
		fmt.Fprintf(&w, "%s is now in progress (status: %s).\n", subject, b.Status)
		w.WriteString("Tell the customer: engineering is working on a fix; we will let them know when it ships.\n")
	case StateDone:
		fmt.Fprintf(&w, "%s is fixed (status: %s", subject, b.Status)
		if b.Resolution != "" {
			fmt.Fprintf(&w, ", resolution: %s", b.Resolution)
		}
		if n := len(b.FixVersions); n > 0 {
			fmt.Fprintf(&w, ", %s: %s", agree(n, "fix version", "fix versions"), strings.Join(b.FixVersions, ", "))
			fmt.Fprintf(&w, ").\nTell the customer: the fix ships in %s.\n", strings.Join(b.FixVersions, ", "))
		} else {
			w.WriteString(").\nTell the customer: the fix is done and ships with an upcoming release.\n")
		}
	case StateWontFix:
		fmt.Fprintf(&w, "%s was closed as %s (status: %s).\n", subject, b.Resolution, b.Status)
		w.WriteString("Tell the customer: engineering will not change this; offer a workaround, or escalate if it blocks them.\n")
	default:
		fmt.Fprintf(&w, "%s is back to do (status: %s).\n", subject, b.Status)
	}
	w.WriteString(marker)
	return w.String()
}

// bumpText is the comment left on a bug whose priority the engine changed.
func (p Policy) bumpText(c Customers, from, to, marker string) string {
	verb := "raised"
	if rf, _ := p.Rank(from); rf < mustRank(p, to) {
		verb = "lowered"
	}
	var w strings.Builder
	fmt.Fprintf(&w, "%s now %s this; %s to %s by helpdesk-sync", p.Describe(c), agree(c.Distinct, "reports", "report"), verb, to)
	if th, ok := p.threshold(to); ok {
		if c.Weighted != float64(c.Distinct) {
			fmt.Fprintf(&w, " (weighted count %s, threshold %s)", formatCount(c.Weighted), formatCount(th))
		} else {
			fmt.Fprintf(&w, " (threshold %s)", formatCount(th))
		}
	}
	w.WriteString(".\n" + marker)
	return w.String()
}

// staleText is the comment left once per stale episode.
func (p Policy) staleText(b Bug, c Customers, idle time.Duration, marker string) string {
	tmpl := p.Stale.Comment
	if tmpl == "" {
		tmpl = "{customers_wait} on this bug and nobody has updated it for {idle}; labelled {label} by helpdesk-sync. The label goes away with the next update."
	}
	days := int(idle / (24 * time.Hour))
	customers := p.Describe(c)
	text := strings.NewReplacer(
		"{customers_wait}", customers+" "+agree(c.Distinct, "waits", "wait"),
		"{customers}", customers,
		"{idle}", plural(days, "day", "days"),
		"{days}", strconv.Itoa(days),
		"{priority}", b.Priority,
		"{label}", p.Stale.Label,
	).Replace(tmpl)
	return text + "\n" + marker
}

// ignoredText tells, in one bounded line, which candidate keys of a ticket
// were not linked and why.
func ignoredText(k TicketKeys, maxKeys int) string {
	var w strings.Builder
	w.WriteString("ignored " + plural(k.Ignored, "bug key", "bug keys") + ": ")
	for i, r := range k.Rejected {
		if i > 0 {
			w.WriteString("; ")
		}
		fmt.Fprintf(&w, "%q: %s", r.Text, r.Reason)
	}
	if more := k.Ignored - len(k.Rejected); more > 0 {
		fmt.Fprintf(&w, "; and %d more", more)
	}
	if k.OverCap > 0 {
		fmt.Fprintf(&w, " (a ticket links at most %s, the first it names; %s over that)",
			plural(maxKeys, "key", "keys"), plural(k.OverCap, "valid key was", "valid keys were"))
	}
	return w.String()
}

// threshold is the lowest count that raises a bug to priority.
func (p Policy) threshold(priority string) (float64, bool) {
	best, ok := 0.0, false
	for _, t := range p.Thresholds {
		if t.Priority == priority && (!ok || t.Customers < best) {
			best, ok = t.Customers, true
		}
	}
	return best, ok
}

func mustRank(p Policy, priority string) int {
	r, _ := p.Rank(priority)
	return r
}

// remoteLink is the link the engine keeps on a bug for one ticket. The
// global id makes writing it again an update, never a second link.
func remoteLink(t TicketRecord) RemoteLink {
	return RemoteLink{
		GlobalID: remoteLinkPrefix + t.URL,
		URL:      t.URL,
		Title:    truncate(fmt.Sprintf("Ticket #%d: %s", t.ID, t.Subject), maxTitle),
		Resolved: t.Status == StatusSolved || t.Status == StatusClosed,
	}
}

// remoteLinkPrefix starts the global id of every remote link the engine
// writes, which is how it tells its own links from people's.
const remoteLinkPrefix = "helpdesk-sync:"

// digest identifies a remote link's content, to skip rewriting an equal one.
func digest(l RemoteLink) string {
	h := fnv.New64a()
	for _, s := range []string{l.GlobalID, l.URL, l.Title, l.Summary, strconv.FormatBool(l.Resolved)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// staleDetail is the event of a bug flagged stale.
func staleDetail(open int, idle, window time.Duration, priority string) string {
	return fmt.Sprintf("stale: %s and nobody updated it for %s (window %s for %s)",
		plural(open, "open ticket waits", "open tickets wait"), plural(int(idle/(24*time.Hour)), "day", "days"), span(window), orNone(priority))
}

// span is a configured duration for people: whole days as days, "7 days"
// rather than "168h0m0s".
func span(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return plural(int(d/(24*time.Hour)), "day", "days")
	}
	return d.String()
}

// goneDetail is the event of a bug the tracker no longer has.
func goneDetail(tickets int) string {
	return "bug no longer exists; unlinked from " + plural(tickets, "ticket", "tickets")
}

// plural is n with the form of the noun that agrees with it: "1 ticket",
// "0 tickets", "2 tickets".
func plural(n int, one, many string) string {
	return strconv.Itoa(n) + " " + agree(n, one, many)
}

// agree is the form of a word that agrees with n.
func agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// truncate cuts s to n runes, the last an ellipsis, reading no further
// than that: s may be a pasted megabyte.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s // no more runes than bytes
	}
	cut, runes := 0, 0
	for i := range s {
		switch runes {
		case n - 1:
			cut = i
		case n:
			return s[:cut] + "…"
		}
		runes++
	}
	return s
}

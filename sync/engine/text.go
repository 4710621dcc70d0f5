package engine

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/texts"
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
		if len(w.FixVersions) > 0 && w.State >= StateDone {
			s += " in " + strings.Join(w.FixVersions, ", ")
		}
		if v, ok := FirstReleased(w.Bug.Released); ok {
			if len(w.FixVersions) > 1 {
				s += "; " + v.Name
			} else {
				s += ","
			}
			s += " released"
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

// noteText is the private note telling an agent, in the language of
// locale, what changed on a bug and what to tell the customer.
func (p Policy) noteText(b BugRecord, locale, marker string) string {
	n := texts.Note{
		Key: b.Key, Summary: truncate(b.Summary, maxSummary), Status: b.Status, Resolution: b.Resolution,
		FixVersions: b.FixVersions, Versions: strings.Join(b.FixVersions, ", "), URL: b.URL,
		Unreleased: len(b.FixVersions) > 0 && len(b.Released) == 0,
	}
	var body string
	switch b.State {
	case StateInProgress:
		body = p.Texts.Render(locale, texts.Started, n)
	case StateDone:
		body = p.Texts.Render(locale, texts.Fixed, n)
	case StateReleased:
		v, _ := FirstReleased(b.Bug.Released)
		r := texts.Release{Note: n, Version: v.Name}
		if !v.ReleaseDate.IsZero() {
			r.ReleaseDate = v.ReleaseDate.Format(time.DateOnly)
		}
		body = p.Texts.Render(locale, texts.Released, r)
	case StateWontFix:
		body = p.Texts.Render(locale, texts.WontFix, n)
	default:
		// Not noteWorthy: only the field and tags show it.
		body = fmt.Sprintf("Bug %s %q is back to do (status: %s).", b.Key, n.Summary, b.Status)
	}
	return body + "\n" + marker
}

// reopenText opens a note that reopens a solved ticket.
func (p Policy) reopenText(locale string, bugs []string) string {
	return p.Texts.Render(locale, texts.Reopened, texts.Reopen{Bugs: bugs})
}

// bumpText is the comment left on a bug whose priority the engine changed.
func (p Policy) bumpText(c Customers, from, to, marker string) string {
	d := texts.Priority{
		Customers: p.Describe(c), Count: c.Distinct,
		Weighted: c.Weighted != float64(c.Distinct), WeightedCount: formatCount(c.Weighted),
		Raised: true, Verb: "raised", From: from, To: to,
	}
	if rf, _ := p.Rank(from); rf < mustRank(p, to) {
		d.Raised, d.Verb = false, "lowered"
	}
	if !p.Revenue.Enabled {
		if th, ok := p.threshold(to); ok {
			d.Threshold = formatCount(th)
		}
		return p.Texts.Render("", texts.PriorityComment, d) + "\n" + marker
	}
	// With revenue counted, the thresholds named are the ones that gave
	// the bug its new priority, which may be a revenue threshold alone.
	d.Revenue = p.Revenue.FormatRevenue(c.Revenue)
	if r := p.Reach(c.Weighted, c.Revenue); r.Priority == to {
		d.Reason = r.Reason()
		if r.Customers > 0 {
			d.Threshold = formatCount(r.Customers)
		}
		if r.Revenue > 0 {
			d.RevenueThreshold = p.Revenue.FormatRevenue(r.Revenue)
		}
	}
	return p.Texts.Render("", texts.PriorityComment, d) + "\n" + marker
}

// staleText is the comment left once per stale episode.
func (p Policy) staleText(b Bug, c Customers, idle time.Duration, marker string) string {
	days := int(idle / (24 * time.Hour))
	d := texts.Stale{
		Key: b.Key, Customers: p.Describe(c), Count: c.Distinct,
		Idle: plural(days, "day", "days"), Days: days, Priority: b.Priority, Label: p.Stale.Label,
	}
	return p.Texts.Render("", texts.StaleComment, d) + "\n" + marker
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

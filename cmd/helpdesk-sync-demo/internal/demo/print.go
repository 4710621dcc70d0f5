package demo

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// printer writes the story; the first write error is kept and ends the run.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) section(n int, title string) {
	p.f("\n%d. %s\n", n, title)
}

// quote prints a multi-line text the service wrote, indented as a block.
func (p *printer) quote(text string) {
	for line := range strings.Lines(strings.TrimRight(text, "\n")) {
		p.f("     │ %s", line)
	}
	p.f("\n")
}

// events lists events, one a line, for --verbose.
func (p *printer) events(evs []engine.Event) {
	for _, e := range evs {
		who := e.BugKey
		if who == "" && e.BugID != "" {
			who = "bug " + e.BugID
		}
		if e.TicketID != 0 {
			if who != "" {
				who += " "
			}
			who += fmt.Sprintf("#%d", e.TicketID)
		}
		detail := e.Detail
		if e.DryRun {
			detail = "would: " + detail
		}
		p.f("     · %-22s %-14s %s\n", e.Kind, who, detail)
	}
}

// summary is the closing table: what each step cost and did.
func (d *run) summary() {
	d.out.f("\nSummary\n")
	if d.out.err != nil {
		return
	}
	tw := tabwriter.NewWriter(d.out.w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tcycles\tlinks\tpriority↑\tbug edits\tcomments\tremote links\tticket writes\tnotes\tstale +/−\tZendesk req\tJira req\ttime\t")
	var total Step
	row := func(s Step) {
		r := s.Report
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d/%d\t%d\t%d\t%s\t\n", s.Name, s.Cycles, r.LinksAdded,
			r.PriorityChanges, r.BugEdits, r.Comments, r.RemoteLinksUpserted+r.RemoteLinksDeleted, r.TicketUpdates,
			r.Notes, r.StaleFlagged, r.StaleUnflagged, s.Zendesk, s.Jira, s.Took.Round(time.Millisecond))
	}
	for _, s := range d.steps {
		row(s)
		total.Cycles += s.Cycles
		total.Report = addReports(total.Report, s.Report)
		total.Zendesk += s.Zendesk
		total.Jira += s.Jira
		total.Took += s.Took
	}
	total.Name = "total"
	row(total)
	d.out.err = tw.Flush()
}

// addReports sums two reports' counts.
func addReports(a, b engine.Report) engine.Report {
	a.TicketsObserved += b.TicketsObserved
	a.BugsObserved += b.BugsObserved
	a.LinksAdded += b.LinksAdded
	a.LinksRemoved += b.LinksRemoved
	a.KeysIgnored += b.KeysIgnored
	a.KeysMissing += b.KeysMissing
	a.Transitions += b.Transitions
	a.BugEdits += b.BugEdits
	a.PriorityChanges += b.PriorityChanges
	a.Comments += b.Comments
	a.RemoteLinksUpserted += b.RemoteLinksUpserted
	a.RemoteLinksDeleted += b.RemoteLinksDeleted
	a.TicketUpdates += b.TicketUpdates
	a.Notes += b.Notes
	a.StaleFlagged += b.StaleFlagged
	a.StaleUnflagged += b.StaleUnflagged
	a.Errors += b.Errors
	a.Held = append(a.Held, b.Held...)
	a.Duration += b.Duration
	return a
}

func formatCount(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "one " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// agree is the form of a word that agrees with n.
func agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// capital starts a sentence with s.
func capital(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

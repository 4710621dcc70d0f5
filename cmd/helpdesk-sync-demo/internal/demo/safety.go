package demo

import (
	"context"
	"slices"
	"strings"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
)

// SafetyFact is the last story's bug and what each safety net did.
type SafetyFact struct {
	Bug     string
	Tickets []int64
	// DryRunPlanned is the ticket updates the dry run planned,
	// DryRunWrites the write requests it sent (none).
	DryRunPlanned, DryRunWrites int
	Held                        []engine.GuardState
	// Shown is how many of Tickets show the bug in their status field
	// after the confirmed cycle.
	Shown int
}

// macroTickets is how many tickets the macro touches, guardLimit the
// policy.max_ticket_updates the guarded run has.
const macroTickets, guardLimit = 20, 10

// safety: an agent's macro links twenty tickets to one bug at once. A dry
// run shows the writes without making them; the blast-radius guard holds
// them; a confirmation lets them through.
func (d *run) safety(ctx context.Context) error {
	d.out.section(6, "A macro links many tickets at once: dry run, guard, confirmation")
	bug, ok := d.quietBug()
	if !ok {
		d.out.f("   No open bug is left without customers: nothing to show.\n")
		return nil
	}
	f := SafetyFact{Bug: bug.Key}
	for tk := range d.st.Dataset.Tickets() {
		if len(f.Tickets) == macroTickets {
			break
		}
		t, ok := d.st.Zendesk.Ticket(tk.ID)
		if ok && isOpen(t) && t.Field(simulation.KeysFieldID) == nil && !slices.ContainsFunc(t.Tags, isLinkTag) {
			d.st.Zendesk.SetCustomField(t.ID, simulation.KeysFieldID, bug.Key)
			f.Tickets = append(f.Tickets, t.ID)
		}
	}
	d.out.f("   A macro writes %s (%q, no customers yet) into the keys field of %s.\n",
		bug.Key, bug.Summary, plural(len(f.Tickets), "open ticket", "open tickets"))

	dry, err := d.service(d.cfg, service.Options{DryRun: true})
	if err != nil {
		return err
	}
	defer dry.Close()
	before := d.writeRequests()
	s, err := d.cycles(ctx, "dry run", dry.Engine, 1)
	if err != nil {
		return err
	}
	f.DryRunPlanned, f.DryRunWrites = s.Report.TicketUpdates, d.writeRequests()-before
	r := s.Report
	d.out.f("   With --dry-run the cycle plans %s, %s and %s, and sends %s:\n",
		plural(r.TicketUpdates, "ticket update", "ticket updates"), plural(r.RemoteLinksUpserted, "remote link", "remote links"),
		plural(r.BugEdits, "bug edit", "bug edits"), plural(f.DryRunWrites, "write request", "write requests"))
	for _, e := range ofKind(s.Events, engine.EventPriorityChanged, engine.EventCountChanged) {
		if e.BugKey == bug.Key {
			d.out.f("     would: %s %s\n", e.BugKey, e.Detail)
		}
	}

	guarded := *d.cfg
	guarded.Policy.MaxTicketUpdates = guardLimit
	held, err := d.service(&guarded, service.Options{})
	if err != nil {
		return err
	}
	defer held.Close()
	if s, err = d.cycles(ctx, "guard holds", held.Engine, 1); err != nil {
		return err
	}
	f.Held = s.Report.Held
	for _, h := range f.Held {
		d.out.f("   With policy.max_ticket_updates at %d, the guard holds all %s (once exits 5,\n"+
			"   and the engine logs the hold as an error on stderr, where alerting sees it).\n",
			h.Limit, plural(h.Planned, "planned "+h.Kind+" write", "planned "+h.Kind+" writes"))
	}
	shown := d.showing(bug.Key, f.Tickets)
	d.out.f("   %d of the %d tickets %s the bug; the writes under their limits go out (%s, %s).\n",
		shown, len(f.Tickets), agree(shown, "shows", "show"),
		plural(s.Report.BugEdits, "bug edit", "bug edits"), plural(s.Report.RemoteLinksUpserted, "remote link", "remote links"))
	d.out.notices(s.Slack)

	confirmed, err := d.service(&guarded, service.Options{ConfirmLargeChange: true})
	if err != nil {
		return err
	}
	defer confirmed.Close()
	if s, err = d.cycles(ctx, "confirmed", confirmed.Engine, maxCycles); err != nil {
		return err
	}
	f.Shown = d.showing(bug.Key, f.Tickets)
	d.out.f("   With --confirm-large-change the next cycle writes them: %s; %d of the %d tickets %s %s.\n",
		plural(s.Report.TicketUpdates, "ticket update", "ticket updates"), f.Shown, len(f.Tickets), agree(f.Shown, "shows", "show"), bug.Key)
	d.out.notices(s.Slack)
	d.facts.Safety = f
	return nil
}

// quietBug is an open, unlocked bug nobody waits on.
func (d *run) quietBug() (jiratest.Issue, bool) {
	for _, is := range d.bugs() {
		if !done(is) && count(is) == 0 && !slices.Contains(is.Labels, d.policy.PriorityLockedLabel) &&
			len(d.linkedTickets(is.Key)) == 0 {
			return is, true
		}
	}
	return jiratest.Issue{}, false
}

// showing counts the tickets whose status field names key.
func (d *run) showing(key string, ids []int64) int {
	n := 0
	for _, id := range ids {
		if t, ok := d.st.Zendesk.Ticket(id); ok && strings.HasPrefix(statusField(t), key+":") {
			n++
		}
	}
	return n
}

// writeRequests counts the requests that could change something at either
// vendor so far: every one but reads (a Jira search is a POST that reads).
func (d *run) writeRequests() int {
	n := 0
	for _, c := range d.st.Zendesk.Writes() {
		n += c
	}
	for _, c := range d.st.Jira.Writes() {
		n += c
	}
	return n
}

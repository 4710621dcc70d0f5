package demo

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/sidebar"
)

// Step is what one story cost and did.
type Step struct {
	Name    string
	Cycles  int
	Reports []engine.Report // one per cycle
	Report  engine.Report   // summed over the step's cycles
	// Zendesk and Jira are the requests each simulator received.
	Zendesk, Jira int
	Took          time.Duration
	Events        []engine.Event
	// Slack is the text of each notice Slack got, sorted.
	Slack []string
}

// Facts are what the stories printed about the vendors' state, for tests
// to hold against the simulators.
type Facts struct {
	TopBugs []BugFact
	Linked  LinkFact
	Fixed   FixFact
	Stale   StaleFact
	Safety  SafetyFact
	// Idle counts the requests of the idle cycle by "Vendor METHOD route".
	Idle map[string]int
}

// BugFact is one line of the backfill's table of top bugs.
type BugFact struct {
	Key, Status, Priority string
	Count                 float64 // the count field
	Revenue               float64 // the revenue waiting the service counted
	Customers             string  // described from the linked tickets
}

// LinkFact is the agent story's bug, before and after.
type LinkFact struct {
	Bug                           string
	Tickets                       []int64
	CountBefore, CountAfter       float64
	PriorityBefore, PriorityAfter string
	// Panel is what the sidebar showed beside Tickets[0].
	Panel sidebar.TicketView
}

// FixFact is the engineer story's bug and the tickets that got a note.
type FixFact struct {
	Bug, FixVersion string
	Noted           []int64  // open linked tickets: one note per status change
	Quiet           []int64  // solved linked tickets: field and tags only
	Fixed           string   // the note on Noted[0] when the bug was fixed
	Note            string   // the last note on Noted[0]: its fix version released
	Slack           []string // the notices Slack got during the story
}

// StaleFact is the stale story's bug.
type StaleFact struct {
	Bug     string
	Comment string
	Lifted  bool
}

// maxCycles bounds how long a step waits for the service to settle.
const maxCycles = 6

// settle runs cycles, two simulated minutes apart (past Zendesk's export
// lag), until one writes nothing: the service has done its work and its
// own writes have come back as no-ops.
func (d *run) settle(ctx context.Context, name string) (Step, error) {
	return d.cycles(ctx, name, d.svc.Engine, maxCycles)
}

// cycles is settle with another engine, for at most n cycles.
func (d *run) cycles(ctx context.Context, name string, eng *engine.Engine, n int) (Step, error) {
	s := Step{Name: name}
	start := time.Now()
	zd0, jr0 := len(d.st.Zendesk.Requests()), len(d.st.Jira.Requests())
	for s.Cycles < n {
		d.clock.Advance(2 * time.Minute)
		rep, err := eng.Cycle(ctx)
		s.Cycles++
		s.Reports = append(s.Reports, rep)
		s.Report = addReports(s.Report, rep)
		if err != nil {
			return s, fmt.Errorf("demo: %s, cycle %d: %w", name, s.Cycles, err)
		}
		if rep.Writes() == 0 && len(rep.Held) == 0 {
			break
		}
	}
	s.Took = time.Since(start)
	s.Zendesk = len(d.st.Zendesk.Requests()) - zd0
	s.Jira = len(d.st.Jira.Requests()) - jr0
	s.Events = d.rec.Take()
	var err error
	if s.Slack, err = d.deliver(ctx); err != nil {
		return s, err
	}
	d.steps = append(d.steps, s)
	if d.o.Verbose {
		d.out.events(s.Events)
	}
	return s, nil
}

func (d *run) stories(ctx context.Context) error {
	for _, story := range []func(context.Context) error{d.backfill, d.agentLinks, d.engineerFixes, d.goesStale, d.idle, d.safety} {
		if err := story(ctx); err != nil {
			return err
		}
		if d.out.err != nil {
			return d.out.err
		}
	}
	return nil
}

// ofKind picks the events of kinds, ordered by bug key and ticket id:
// workers record them in whatever order they finish, and a seed should
// tell the same story every time.
func ofKind(evs []engine.Event, kinds ...engine.EventKind) []engine.Event {
	var out []engine.Event
	for _, e := range evs {
		if slices.Contains(kinds, e.Kind) {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b engine.Event) int {
		return cmp.Or(compareKeys(a.BugKey, b.BugKey), cmp.Compare(a.TicketID, b.TicketID))
	})
	return out
}

// compareKeys orders bug keys by project, then number (PROJ-9 before PROJ-10).
func compareKeys(a, b string) int {
	pa, na, _ := strings.Cut(a, "-")
	pb, nb, _ := strings.Cut(b, "-")
	return cmp.Or(cmp.Compare(pa, pb), cmp.Compare(len(na), len(nb)), cmp.Compare(na, nb))
}

// backfill is the first start: everything is new.
func (d *run) backfill(ctx context.Context) error {
	d.out.section(1, "Backfill: the service starts with an empty Redis")
	s, err := d.settle(ctx, "backfill")
	if err != nil {
		return err
	}
	r, first, last := s.Report, s.Reports[0], s.Reports[len(s.Reports)-1]
	d.out.f("   The first cycle reads %s and %s and makes %s from keys fields and tags.\n",
		plural(first.TicketsObserved, "ticket", "tickets"), plural(first.BugsObserved, "bug", "bugs"), plural(first.LinksAdded, "link", "links"))
	if len(s.Reports) > 1 && last.Writes() == 0 {
		d.out.f("   The next one reads the service's own writes back (%s, %s) and writes nothing.\n",
			plural(last.TicketsObserved, "ticket", "tickets"), plural(last.BugsObserved, "bug", "bugs"))
	}
	ignored, missing := ofKind(s.Events, engine.EventKeyIgnored), ofKind(s.Events, engine.EventKeyMissing)
	if len(ignored) > 0 {
		_, detail, _ := strings.Cut(ignored[0].Detail, ": ") // after "ignored N bug keys"
		d.out.f("   Not linked: %s (ticket #%d: %s)",
			plural(r.KeysIgnored, "key of an unsynced project or malformed", "keys of unsynced projects or malformed"), ignored[0].TicketID, detail)
	}
	if len(missing) > 0 {
		d.out.f(", %d naming no issue (%s)", r.KeysMissing, missing[0].BugKey)
	}
	d.out.f(".\n")

	if err := d.topBugs(ctx); err != nil {
		return err
	}
	raised := ofKind(s.Events, engine.EventPriorityChanged)
	d.out.f("   %s raised, %s on the bug:\n", capital(plural(r.PriorityChanges, "priority", "priorities")),
		agree(r.PriorityChanges, "with a comment", "each with a comment"))
	for i, e := range raised {
		if i == 5 {
			d.out.f("     … and %d more\n", len(raised)-i)
			break
		}
		d.out.f("     %-8s %s\n", e.BugKey, strings.SplitN(e.Detail, "; ", 2)[0])
	}
	d.lockedBugs()

	d.out.f("   %s annotated with %s bug's status (field and tag) in batches of 100; %s on the bugs.\n",
		capital(plural(r.TicketUpdates, "ticket", "tickets")), agree(r.TicketUpdates, "its", "their"),
		plural(r.RemoteLinksUpserted, "remote link", "remote links"))
	for _, e := range ofKind(s.Events, engine.EventTicketUpdated) {
		if t, ok := d.st.Zendesk.Ticket(e.TicketID); ok && statusField(t) != "" {
			d.out.f("     e.g. ticket #%d shows %q, tags %s\n", t.ID, statusField(t), strings.Join(d.statusTags(t), " "))
			break
		}
	}
	if r.StaleFlagged > 0 {
		d.out.f("   %s customers wait on, untouched for longer than %s priority allows, flagged stale at once:\n",
			capital(plural(r.StaleFlagged, "bug", "bugs")), agree(r.StaleFlagged, "its", "their"))
		for i, e := range ofKind(s.Events, engine.EventStaleFlagged) {
			if i == 3 {
				d.out.f("     … and %d more\n", r.StaleFlagged-i)
				break
			}
			d.out.f("     %-8s %s\n", e.BugKey, strings.TrimPrefix(e.Detail, "stale: "))
		}
	}
	d.out.notices(s.Slack)
	return nil
}

// topBugs prints the bugs with the highest counts, as Jira holds them,
// with who waits on them as the linked tickets say and the revenue
// waiting the service counted.
func (d *run) topBugs(ctx context.Context) error {
	bugs := slices.DeleteFunc(d.bugs(), func(is jiratest.Issue) bool { return count(is) == 0 })
	slices.SortStableFunc(bugs, func(a, b jiratest.Issue) int {
		switch {
		case count(a) > count(b):
			return -1
		case count(a) < count(b):
			return 1
		}
		return 0
	})
	d.out.f("   %s a customer count now. The top ones:\n", plural(len(bugs), "bug carries", "bugs carry"))
	top := bugs[:min(5, len(bugs))]
	ids := make([]string, len(top))
	for i, is := range top {
		ids[i] = is.ID
	}
	_, standings, err := d.svc.Store.BugMemories(ctx, ids)
	if err != nil {
		return fmt.Errorf("demo: the counts of the top bugs: %w", err)
	}
	d.out.f("     %-8s %-12s %-9s %6s  %13s  %s\n", "BUG", "STATUS", "PRIORITY", "COUNT", "REVENUE", "WAITING (open tickets)")
	for _, is := range top {
		f := BugFact{Key: is.Key, Status: is.Status.Name, Priority: is.Priority, Count: count(is),
			Revenue: standings[is.ID].Customers.Revenue, Customers: d.policy.Describe(d.customers(is.Key))}
		d.facts.TopBugs = append(d.facts.TopBugs, f)
		d.out.f("     %-8s %-12s %-9s %6s  %13s  %s\n", f.Key, f.Status, f.Priority, formatCount(f.Count),
			d.policy.Revenue.FormatRevenue(f.Revenue), f.Customers)
	}
	return nil
}

// lockedBugs shows the lock label winning over the thresholds.
func (d *run) lockedBugs() {
	for _, is := range d.bugs() {
		if !slices.Contains(is.Labels, d.policy.PriorityLockedLabel) || count(is) == 0 {
			continue
		}
		floor := d.policy.Floor(count(is))
		if d.outranks(floor, is.Priority) {
			d.out.f("   %s keeps %s: its weighted count %s calls for %s, but it carries %s.\n",
				is.Key, is.Priority, formatCount(count(is)), floor, d.policy.PriorityLockedLabel)
		} else {
			d.out.f("   %s carries %s; at a weighted count of %s it would keep %s anyway.\n",
				is.Key, d.policy.PriorityLockedLabel, formatCount(count(is)), is.Priority)
		}
	}
}

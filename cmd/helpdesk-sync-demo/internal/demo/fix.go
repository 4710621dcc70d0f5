package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// fixVersion is the release the engineer's fix ships in.
const fixVersion = "5.0.1"

// engineerFixes: an engineer starts on a bug and then resolves it, and
// the release manager releases its fix version; every open ticket waiting
// on it gets one private note per change.
func (d *run) engineerFixes(ctx context.Context) error {
	d.out.section(3, "An engineer starts on a bug, fixes it, and the fix ships")
	bug, ok := d.bugToFix()
	if !ok {
		d.out.f("   No bug to do has open tickets waiting on it: nothing to fix.\n")
		return nil
	}
	f := FixFact{Bug: bug.Key, FixVersion: fixVersion}
	for _, t := range d.linkedTickets(bug.Key) {
		if isOpen(t) {
			f.Noted = append(f.Noted, t.ID)
		} else {
			f.Quiet = append(f.Quiet, t.ID)
		}
	}
	d.out.f("   %s %q waits on %s; %s linked too.\n", bug.Key, bug.Summary,
		plural(len(f.Noted), "open ticket", "open tickets"), plural(len(f.Quiet), "solved ticket is", "solved tickets are"))

	check := d.cfg.Sync.ReleaseCheckInterval
	steps := []struct {
		say, name string
		act       func() error
		// wait is how long the simulated clock moves before the service
		// looks: a release is read at the next release check.
		wait time.Duration
	}{
		{"The engineer moves it to In Progress.", "in progress", func() error {
			return d.st.Jira.Transition(bug.Key, "In Progress", jiratest.Engineer)
		}, 0},
		{fmt.Sprintf("The engineer resolves it: Done, fix version %s.", fixVersion), "fixed", func() error {
			return d.st.Jira.Resolve(bug.Key, "Done", fixVersion, jiratest.Engineer)
		}, 0},
		{fmt.Sprintf("The release manager releases %s (Jira edits no issue for it; the service reads %s's versions while a fixed bug waits, every %s).",
			fixVersion, bug.Project, plural(int(check/time.Minute), "minute", "minutes")), "released", func() error {
			if len(f.Noted) > 0 {
				notes := d.privateNotes(f.Noted[0])
				f.Fixed = notes[len(notes)-1]
			}
			return d.st.Jira.ReleaseVersion(bug.Project, fixVersion, time.Time{})
		}, check},
	}
	for _, st := range steps {
		before, shown := map[int64]int{}, map[int64]string{}
		for _, id := range append(f.Noted, f.Quiet...) {
			before[id] = len(d.privateNotes(id))
			t, _ := d.st.Zendesk.Ticket(id)
			shown[id] = statusField(t)
		}
		if err := st.act(); err != nil {
			return fmt.Errorf("demo: %s %s: %w", st.name, bug.Key, err)
		}
		d.out.f("   %s\n", st.say)
		d.clock.Advance(st.wait)
		s, err := d.settle(ctx, st.name)
		if err != nil {
			return err
		}
		d.out.f("   Next cycle: %s; %s", d.newNotes(f.Noted, before, "open"), d.newNotes(f.Quiet, before, "solved"))
		if len(f.Quiet) > 0 {
			d.out.f(" (%s)", d.quietStatus(bug.Key, f.Quiet, shown))
		}
		d.out.f(".\n")
		d.out.f("     (%s and %s written for it in all.)\n",
			plural(s.Report.Notes, "note", "notes"), plural(s.Report.TicketUpdates, "ticket update", "ticket updates"))
		d.out.notices(s.Slack)
		f.Slack = append(f.Slack, s.Slack...)
	}
	if len(f.Noted) > 0 {
		notes := d.privateNotes(f.Noted[0])
		f.Note = notes[len(notes)-1]
		if f.Fixed != "" {
			d.out.f("   The note on ticket #%d when the bug was fixed:\n", f.Noted[0])
			d.out.quote(f.Fixed)
		}
		d.out.f("   The note on ticket #%d when %s shipped:\n", f.Noted[0], fixVersion)
		d.out.quote(f.Note)
	}
	all := append(append([]int64(nil), f.Noted...), f.Quiet...)
	if t, ok := d.st.Zendesk.Ticket(all[0]); ok {
		d.out.f("   Ticket #%d shows %q, tags %s.\n", t.ID, statusField(t), strings.Join(d.statusTags(t), " "))
	}
	d.facts.Fixed = f
	return nil
}

// newNotes says how many private notes each of ids got since before.
func (d *run) newNotes(ids []int64, before map[int64]int, kind string) string {
	if len(ids) == 0 {
		return "no " + kind + " ticket to note"
	}
	got := map[int]int{} // new notes → tickets
	for _, id := range ids {
		got[len(d.privateNotes(id))-before[id]]++
	}
	if len(got) == 1 {
		for n := range got {
			switch {
			case n == 0 && len(ids) == 1:
				return "the " + kind + " ticket gets no note"
			case n == 0:
				return fmt.Sprintf("the %d %s tickets get no note", len(ids), kind)
			case len(ids) == 1:
				return fmt.Sprintf("the %s ticket gets %s", kind, plural(n, "private note", "private notes"))
			default:
				return fmt.Sprintf("each of the %d %s tickets gets %s", len(ids), kind, plural(n, "private note", "private notes"))
			}
		}
	}
	var parts []string
	for n, tickets := range got {
		parts = append(parts, fmt.Sprintf("%d got %d", tickets, n))
	}
	return fmt.Sprintf("%s tickets' new notes: %s", kind, strings.Join(parts, ", "))
}

// quietStatus says what the status field of the solved tickets did: a
// ticket linked to several bugs shows the least advanced one.
func (d *run) quietStatus(key string, ids []int64, shown map[int64]string) string {
	changed, other := 0, 0
	for _, id := range ids {
		t, _ := d.st.Zendesk.Ticket(id)
		switch {
		case statusField(t) != shown[id]:
			changed++
		case !strings.HasPrefix(statusField(t), key+":"):
			other++
		}
	}
	switch {
	case changed == len(ids):
		return "their status field and tag change"
	case other == len(ids):
		return "their status field names another of their bugs"
	}
	return fmt.Sprintf("%d show the new status, %d another of their bugs", changed, other)
}

// bugToFix is a bug to do (not the one agents just linked) with open
// tickets waiting: a handful of them makes a readable story, so two to six
// are preferred over more.
func (d *run) bugToFix() (jiratest.Issue, bool) {
	var best jiratest.Issue
	bestScore := 0
	for _, is := range d.bugs() {
		if is.Status.Category != string(engine.CategoryToDo) || is.Key == d.facts.Linked.Bug {
			continue
		}
		n := 0
		for _, t := range d.linkedTickets(is.Key) {
			if isOpen(t) {
				n++
			}
		}
		score := n // one ticket is a story too, but a thin one
		if n > 6 {
			score = 1
		} else if n >= 2 {
			score = 10 + n
		}
		if score > bestScore {
			best, bestScore = is, score
		}
	}
	return best, bestScore > 0
}

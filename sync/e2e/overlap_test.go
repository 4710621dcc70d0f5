package e2e_test

import (
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

// cycleIn runs one cycle d after the last.
func (e *env) cycleIn(d time.Duration) (bugsObserved int) {
	e.t.Helper()
	e.Clock.Advance(d)
	rep, err := e.engine().Cycle(e.Ctx)
	if err != nil {
		e.t.Fatalf("cycle: %v", err)
	}
	return rep.BugsObserved
}

// The Jira search reaches back jira.search_overlap (2m here) for updates
// its index shows late. In a quiet account that must not mean reading the
// last bugs again for ever: once the overlap has passed, an idle cycle's
// search finds nothing. An update indexed late, within the overlap, is
// still found.
func TestQuietSearchReadsNothingAndMissesNothing(t *testing.T) {
	e := newEnv(t)
	a, b := e.Bug("PROJ", "Low"), e.Bug("PROJ", "Low")
	e.org(101, "")
	e.org(102, "")
	ta := e.Ticket(101, a.Key)
	e.Ticket(102, b.Key)
	e.settle()
	// Quiet, polled every 30 s: after the overlap, nothing is read again.
	var read []int
	for range 12 {
		read = append(read, e.cycleIn(30*time.Second))
	}
	t.Logf("bugs read by each idle cycle, 30 s apart: %v", read)
	for i, n := range read[6:] {
		if n != 0 {
			t.Fatalf("idle cycle %d, %s after the last change, read %d bugs (all: %v)", 7+i, time.Duration(7+i)*30*time.Second, n, read)
		}
	}
	e.ResetLogs()
	e.cycleIn(30 * time.Second)
	if n := e.Jira.Count("", "/rest/api/2/search/jql"); n != 1 {
		t.Fatalf("an idle cycle made %d searches, want one", n)
	}

	// An engineer starts a; Jira indexes that late. Someone edits b 10 s
	// later, indexed at once: the poll sees b, and the watermark passes a.
	e.Jira.HoldIndex(a.Key)
	if err := e.Jira.Transition(a.Key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(10 * time.Second)
	if err := e.Jira.AddLabels(b.Key, jiratest.Engineer, "customer-facing"); err != nil {
		t.Fatal(err)
	}
	if n := e.cycleIn(20 * time.Second); n != 1 {
		t.Fatalf("the poll read %d bugs, want b only", n)
	}
	// Indexed 100 s after the change, within the overlap: the next poll
	// finds it, and the ticket shows it.
	e.Clock.Advance(70 * time.Second)
	e.Jira.ReleaseIndex(a.Key)
	e.cycleIn(10 * time.Second)
	e.expectTicket(ta, a.Key+": In Progress", "bug_in_progress")
}

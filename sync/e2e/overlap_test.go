package e2e_test

import (
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

// cycleIn runs one cycle on a fresh engine d after the last.
func (e *env) cycleIn(d time.Duration) (bugsObserved int) {
	e.t.Helper()
	e.clock.Advance(d)
	rep, err := e.engine().Cycle(e.ctx)
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
	a, b := e.bug("PROJ", "Low"), e.bug("PROJ", "Low")
	e.org(101, "")
	e.org(102, "")
	ta := e.ticket(101, a.Key)
	e.ticket(102, b.Key)
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
	e.resetLogs()
	e.cycleIn(30 * time.Second)
	if n := e.jira.Count("", "/rest/api/2/search/jql"); n != 1 {
		t.Fatalf("an idle cycle made %d searches, want one", n)
	}

	// An engineer starts a; Jira indexes that late. Someone edits b 10 s
	// later, indexed at once: the poll sees b, and the watermark passes a.
	e.jira.HoldIndex(a.Key)
	if err := e.jira.Transition(a.Key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Second)
	if err := e.jira.AddLabels(b.Key, jiratest.Engineer, "customer-facing"); err != nil {
		t.Fatal(err)
	}
	if n := e.cycleIn(20 * time.Second); n != 1 {
		t.Fatalf("the poll read %d bugs, want b only", n)
	}
	// Indexed 100 s after the change, within the overlap: the next poll
	// finds it, and the ticket shows it.
	e.clock.Advance(70 * time.Second)
	e.jira.ReleaseIndex(a.Key)
	e.cycleIn(10 * time.Second)
	e.expectTicket(ta, a.Key+": In Progress", "bug_in_progress")
}

package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

// seedRelease is a bug fixed in 5.0.1 (two fix versions with 5.1)
// waiting on it, with three open tickets and a solved one; the change
// releases 5.1 and moves the clock past the release check interval.
func seedRelease(e *env) (*workload, func()) {
	w := &workload{}
	for i := int64(1); i <= 4; i++ {
		e.org(100+i, "")
	}
	b := e.Bug("PROJ", "Low")
	w.keys = []string{b.Key}
	for i := int64(1); i <= 3; i++ {
		w.tickets = append(w.tickets, e.Ticket(100+i, b.Key))
	}
	solved := e.Ticket(104, b.Key)
	e.Zendesk.SetStatus(solved, "solved")
	w.tickets = append(w.tickets, solved)
	e.settle()
	must(e.t, e.Jira.Resolve(b.Key, "Done", "5.0.1", jiratest.Engineer))
	must(e.t, e.Jira.Resolve(b.Key, "Done", "5.1", jiratest.Engineer))
	return w, func() {
		must(e.t, e.Jira.ReleaseVersion("PROJ", "5.1", time.Time{}))
		e.Clock.Advance(15 * time.Minute)
	}
}

// Killing the process at any request of the pass that finds a release
// (the version list, the bug re-read, each note) — before it is sent or
// after the vendor acted on it — and starting again tells each open
// ticket of the release once, as an uninterrupted run does.
func TestReleaseNoteOnceAcrossAKillAtAnyRequest(t *testing.T) {
	ref := newEnv(t)
	w, change := seedRelease(ref)
	ref.settle()
	change()
	ref.ResetLogs()
	ref.settle()
	want := vendorState(ref, w)
	if strings.Count(want, "5.1 is released") != 3 || strings.Count(want, "not yet released") != 3 || !strings.Contains(want, "bug_released") {
		t.Fatalf("reference run:\n%s", want)
	}
	ref.expectIdle()

	requests := countRequests(t, seedRelease, func(probe *env) {
		if n := probe.Jira.Count("GET", "/rest/api/2/project/{projectIdOrKey}/version"); n != 1 {
			t.Fatalf("the release pass read the versions %d times", n)
		}
	})
	if requests < 5 {
		t.Fatalf("the release pass sends only %d requests", requests)
	}
	t.Logf("killing the release pass at each of its %d requests, before and after", requests)
	killAtEachRequest(t, requests, want, seedRelease, func(e *env) {
		e.Clock.Advance(15 * time.Minute) // a check the kill cut short is due again
	})
}

package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/sync/board"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// The command line's output agrees with its counts at 0, 1 and 2: the
// report of once and resync, its exit message, validate's problem count
// and the status summary.
func TestOutputAgreesWithCounts(t *testing.T) {
	var report bytes.Buffer
	if err := printReport(&report, "Cycle", engine.Report{TicketsObserved: 1, BugsObserved: 2, Errors: 1,
		Held: []engine.GuardState{{Kind: "priority", Planned: 1, Limit: 0}}}, false); err != nil {
		t.Fatal(err)
	}
	var status bytes.Buffer
	at := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	printHealth(&status, board.Health{At: at,
		Vendors: []board.VendorHealth{{Name: "zendesk", Requests: 1}, {Name: "jira", Requests: 2}},
		Cycle:   &board.Step{At: at, Errors: 1}, Guards: []board.Hold{{Kind: "ticket", Planned: 1, Limit: 1}},
		Backlog: board.Backlog{Bugs: 1, Tickets: 0}})
	printBugs(&status, board.BugList{Total: 1, Bugs: []board.Bug{{Rank: 1, Key: "PROJ-1"}}}, at)
	var none bytes.Buffer
	printBugs(&none, board.BugList{Total: 2, Bugs: []board.Bug{{Rank: 1, Key: "PROJ-1"}}}, at)

	problems := func(n int) string {
		var stderr bytes.Buffer
		a := newApp(nil, &bytes.Buffer{}, &stderr)
		a.printProblems(&config.Error{Problems: make([]config.Problem, n)})
		return stderr.String()
	}
	exit := func(n int) string {
		var ee *exitError
		if !errors.As(reportExit(engine.Report{Errors: n}), &ee) {
			return ""
		}
		return ee.err.Error()
	}
	tests := []struct{ name, got, want string }{
		{"report 0", report.String(), "      0  links added\n"},
		{"report 1", report.String(), "      1  ticket observed\n"},
		{"report 2", report.String(), "      2  bugs observed\n"},
		{"report 1 error", report.String(), "      1  error (retried next cycle)\n"},
		{"held 1", report.String(), "HELD: 1 priority write planned, limit 0"},
		{"exit 1", exit(1), "1 item failed; it stays queued and is retried"},
		{"exit 2", exit(2), "2 items failed; they stay queued and are retried"},
		{"problems 1", problems(1), "environment (no --config file): 1 problem:\n"},
		{"problems 2", problems(2), "environment (no --config file): 2 problems:\n"},
		{"requests 1", status.String(), "1 request in the last hour"},
		{"requests 2", status.String(), "2 requests in the last hour"},
		{"cycle errors 1", status.String(), ", 1 error;"},
		{"guard 1", status.String(), "guard HOLDING 1 ticket write (limit 1)"},
		{"queued 1 and 0", status.String(), "queued 1 bug, 0 tickets"},
		{"bugs 1", status.String(), "1 of 1 bug customers wait on:"},
		{"bugs 2", none.String(), "1 of 2 bugs customers wait on:"},
	}
	for _, tt := range tests {
		if !strings.Contains(tt.got, tt.want) {
			t.Errorf("%s: lacks %q:\n%s", tt.name, tt.want, tt.got)
		}
	}
}

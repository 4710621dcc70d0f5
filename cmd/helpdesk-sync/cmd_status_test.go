package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/board"
)

func TestStatusShowsTheTopOfTheBoard(t *testing.T) {
	env, _, _, key, _ := simEnv(t, 3)
	if code, stdout, stderr := runCLI(t, env, "once"); code != exitOK {
		t.Fatalf("once: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr := runCLI(t, env, "status")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"helpdesk-sync impact board, as of",
		// once records no health (the run command's monitor does).
		"Sync: needs attention: no cycle reported yet",
		"zendesk  never read",
		"1 of 1 bug customers wait on:",
		"RANK  KEY",
		"1     " + key + "  3          3         3     ",
		"Export fails",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, _ = runCLI(t, env, "status", "--json", "--category", "done")
	var out struct {
		Health board.Health
		Total  int
		Bugs   []board.Bug
	}
	if err := json.Unmarshal([]byte(stdout), &out); code != exitOK || err != nil {
		t.Fatalf("exit %d, %v:\n%s", code, err, stdout)
	}
	if out.Total != 0 || len(out.Health.Vendors) != 2 {
		t.Fatalf("no bug is done, yet: %+v", out)
	}
	code, stdout, _ = runCLI(t, env, "status", "--json", "--project", "PROJ", "--limit", "5")
	if err := json.Unmarshal([]byte(stdout), &out); code != exitOK || err != nil || out.Total != 1 || out.Bugs[0].Key != key || out.Bugs[0].Customers != 3 {
		t.Fatalf("exit %d, %v: %+v", code, err, out)
	}
}

func TestStatusRefusesBadFlagsAndReportsRedis(t *testing.T) {
	env := append([]string{"HELPDESK_SYNC_JIRA_PROJECTS=PROJ"}, exampleEnv...)
	env = append(env, "HELPDESK_SYNC_CONFIG="+example)
	for _, args := range [][]string{{"status", "--category", "todo"}, {"status", "--limit", "0"}, {"status", "--sort", "summary"}, {"status", "extra"}} {
		if code, _, stderr := runCLI(t, env, args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
	code, _, stderr := runCLI(t, append(env, "HELPDESK_SYNC_REDIS_URL=redis://127.0.0.1:1/0"), "status")
	if code != exitFailure || !strings.Contains(stderr, "127.0.0.1:1") {
		t.Errorf("unreachable redis: exit %d, %q", code, stderr)
	}
}

func TestPrintable(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"plain", 10, "plain"},
		{"red \x1b[31mtext\x1b[0m", 30, "red  [31mtext [0m"},
		{"line\nbreak\ttab", 30, "line break tab"},
		{"0123456789abc", 10, "012345678…"},
		{"éèêëēėę", 4, "éèê…"},
	} {
		if got := printable(tt.in, tt.n); got != tt.want {
			t.Errorf("printable(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// The status table reads as the board does: open bugs first, done ones in
// a table of their own saying how they ended, locked priorities marked,
// and the update column naming whose update it counts.
func TestPrintBugs(t *testing.T) {
	now := time.Date(2025, 6, 20, 12, 0, 0, 0, time.UTC)
	l := board.BugList{Total: 3, Done: 1, Bugs: []board.Bug{
		{Rank: 1, Key: "WEB-4", Customers: 8, Weighted: 25, OpenTickets: 8, Priority: "Low", PriorityLocked: true, Status: "To Do",
			LastActivity: now.Add(-158 * 24 * time.Hour), Summary: "Email digest drops attachments"},
		{Rank: 2, Key: "PROJ-3", Customers: 1, Weighted: 1, OpenTickets: 1, Priority: "High", PriorityRaised: true, Status: "In Progress",
			LastActivity: now.Add(-time.Hour), Summary: "Export fails"},
		{Rank: 3, Key: "MOB-7", Customers: 22, Weighted: 47, OpenTickets: 28, Priority: "High", Status: "Done", Outcome: board.OutcomeWontFix,
			LastActivity: now.Add(-48 * time.Hour), Summary: "Audit log crashes on iOS 17"},
	}}
	var b strings.Builder
	printBugs(&b, l, now)
	got := b.String()
	want := `
3 of 3 bugs customers wait on, 1 of them done:
RANK  KEY     CUSTOMERS  WEIGHTED  OPEN  PRIORITY       STATUS       UPDATED BY A PERSON  STALE  SUMMARY
1     WEB-4   8          25        8     Low (locked)   To Do        158d                        Email digest drops attachments
2     PROJ-3  1          1         1     High (raised)  In Progress  1h                          Export fails
Done, yet customers still wait on them: tell the customers.
RANK  KEY    CUSTOMERS  WEIGHTED  OPEN  PRIORITY  STATUS            UPDATED BY A PERSON  STALE  SUMMARY
3     MOB-7  22         47        28    High      Done (won't fix)  2d                          Audit log crashes on iOS 17
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestPrintBugsShowsRevenueWhereCounted(t *testing.T) {
	now := time.Date(2025, 6, 20, 12, 0, 0, 0, time.UTC)
	rev := 1250000.0
	l := board.BugList{Total: 1, Bugs: []board.Bug{
		{Rank: 1, Key: "WEB-4", Customers: 8, Weighted: 25, OpenTickets: 8, Priority: "High", PriorityRaised: true, Status: "To Do",
			LastActivity: now.Add(-time.Hour), Summary: "Email digest drops attachments", Revenue: &rev, Currency: "EUR"},
	}}
	var b strings.Builder
	printBugs(&b, l, now)
	want := `
1 of 1 bug customers wait on:
RANK  KEY    CUSTOMERS  WEIGHTED  REVENUE        OPEN  PRIORITY       STATUS  UPDATED BY A PERSON  STALE  SUMMARY
1     WEB-4  8          25        1,250,000 EUR  8     High (raised)  To Do   1h                          Email digest drops attachments
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

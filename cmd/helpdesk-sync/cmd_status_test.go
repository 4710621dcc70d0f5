package main

import (
	"encoding/json"
	"strings"
	"testing"

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

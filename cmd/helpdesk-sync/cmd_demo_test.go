package main

import (
	"strings"
	"testing"
)

// TestDemoRunsOnEmbeddedRedis runs the demo from the command line with no
// Redis answering at REDIS_URL: it says so, uses the embedded one, and
// tells its six stories, every engine event listed with --verbose.
func TestDemoRunsOnEmbeddedRedis(t *testing.T) {
	env := []string{"PATH=/usr/bin", "REDIS_URL=redis://127.0.0.1:1/0"}
	code, stdout, stderr := runCLI(t, env, "demo", "--seed", "3", "--tickets", "150", "--verbose")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"(seed 3)", "none answered at 127.0.0.1:1, so an embedded in-process miniredis",
		"1. Backfill", "2. An agent links", "3. An engineer", "4. Time passes", "5. An idle cycle", "6. A macro links",
		"· link_added", "· note_posted", "· stale_flagged", "Summary", "total", "Redis: deleted the demo's",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log("\n" + stdout)
	}
}

func TestDemoRefusesBadSizes(t *testing.T) {
	code, _, stderr := runCLI(t, []string{"PATH=/usr/bin"}, "demo", "--tickets", "-5")
	if code != exitUsage || !strings.Contains(stderr, "tickets -5: must not be negative") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

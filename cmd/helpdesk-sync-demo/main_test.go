package main

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/internal/logging"
)

// runDemo runs the command in-process with REDIS_URL set to redisURL.
func runDemo(t *testing.T, redisURL string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "REDIS_URL" {
			return redisURL
		}
		return ""
	}
	code = run(context.Background(), args, getenv, &out, &errOut, &logging.RedisLog{})
	return code, out.String(), errOut.String()
}

// TestDemoRunsOnEmbeddedRedis runs the demo from the command line with no
// Redis answering at REDIS_URL: it says so, uses the embedded one, and
// tells its six stories, every engine event listed with --verbose.
func TestDemoRunsOnEmbeddedRedis(t *testing.T) {
	code, stdout, stderr := runDemo(t, "redis://127.0.0.1:1/0", "--seed", "3", "--tickets", "150", "--verbose")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"(seed 3)", "none answered at 127.0.0.1:1, so an embedded in-process miniredis",
		"1. Backfill", "2. An agent links", "3. An engineer", "4. Time passes", "5. An idle cycle", "6. A macro links",
		"· link_added", "· note_posted", "· stale_flagged",
		"   Slack gets: Fixed: ", "   Slack gets: Fix released: ", "Summary", "total", "Redis: deleted the demo's",
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
	code, _, stderr := runDemo(t, "redis://127.0.0.1:1/0", "--tickets", "-5")
	if code != 2 || !strings.Contains(stderr, "tickets -5: must not be negative") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

// TestNoRawRedisLines runs the built command with no Redis answering:
// go-redis's own lines ("redis: 2025/06/02 … pool.go:…") never reach
// stderr raw; the demo says in its own words that it fell back.
func TestNoRawRedisLines(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "helpdesk-sync-demo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "redis://" + l.Addr().String() + "/0"
	l.Close()
	cmd := exec.Command(bin, "--tickets", "20")
	cmd.Env = []string{"PATH=/usr/bin", "REDIS_URL=" + closed}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if raw := regexp.MustCompile(`(?m)^redis: \d{4}/\d\d/\d\d `).FindAllString(stderr.String(), -1); len(raw) > 0 {
		t.Errorf("%d raw go-redis lines on stderr:\n%s", len(raw), stderr.String())
	}
	if !strings.Contains(stdout.String(), "so an embedded in-process miniredis") {
		t.Errorf("the demo does not say it fell back:\n%s", stdout.String())
	}
}

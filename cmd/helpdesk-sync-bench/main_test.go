package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/internal/logging"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// benchChildEnv marks a test binary started by the bench as its engine
// process: it then runs as helpdesk-sync instead of running the tests.
const benchChildEnv = "HS_BENCH_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(benchChildEnv) == "1" && len(os.Args) > 1 && os.Args[1] == "--engine" {
		rl := &logging.RedisLog{}
		redis.SetLogger(rl) // as main does
		os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr, rl))
	}
	os.Exit(redistest.Run(m)) // and fail when a test leaves keys in Redis
}

// The bench cannot rot: a CI-sized run of every scenario drives the real
// service in an engine process and shows the engine's invariants in its
// tables.
func TestBenchQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs engine processes for several seconds")
	}
	// The bench starts its own redis-server when it finds one, else uses
	// REDIS_URL.
	url, err := redistest.URL()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("redis-server"); err != nil && redistest.Embedded() {
		t.Skip("no redis-server, and the engine process cannot reach the embedded Redis, which lives in this process only")
	}
	t.Setenv(benchChildEnv, "1")
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		if k == "REDIS_URL" {
			return url
		}
		return ""
	}
	code := run(context.Background(), []string{"--quick"}, getenv, nil, &stdout, &stderr, &logging.RedisLog{})
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr.String())
	}
	t.Log("\n" + out)
	for _, title := range []string{"1. Backfill", "2. Backfill of", "3. Steady state", "4. Freshness"} {
		if !strings.Contains(out, "\n"+title) {
			t.Errorf("no table %q", title)
		}
	}
	// Every backfill wrote exactly the links and statuses the account needs.
	for _, row := range []string{"remote links written / in Jira / expected", "ticket updates / showing status / linked, not closed"} {
		line := lineOf(t, out, row)
		for _, cell := range regexp.MustCompile(`(\d+) / (\d+) / (\d+)`).FindAllStringSubmatch(line, -1) {
			if cell[1] != cell[2] || cell[2] != cell[3] {
				t.Errorf("%s: %s / %s / %s, want all equal", row, cell[1], cell[2], cell[3])
			}
		}
	}
	// An idle cycle is one read per system and no write; k changed
	// tickets are written in ⌈k/100⌉ update_many calls and all show their
	// new bug.
	for _, idle := range []string{"idle #1", "idle #2", "idle #3"} {
		if f := strings.Fields(lineOf(t, out, idle)); len(f) < 8 || f[2] != "1" || f[3] != "1" || f[4] != "0" || f[6] != "0" || f[7] != "0" {
			t.Errorf("%s: %v, want 1 Zendesk read, 1 Jira read, no write", idle, f)
		}
	}
	for _, k := range []string{"1", "10", "100"} {
		f := strings.Fields(lineOf(t, out, k+" changed"))
		if len(f) < 5 || f[4] != "1" || f[len(f)-1] != k+"/"+k {
			t.Errorf("%s changed: %v, want 1 update_many call and %s/%s tickets showing their new bug", k, f, k, k)
		}
	}
	check429s(t, out)
	checkFreshness(t, out)
}

// check429s: the limited backfill stayed within the vendors' budgets. A
// budget holds each request's slot until its answer is back, so no window
// of the simulators' sees more than the budget arrive, however busy the
// machine: none is let through.
func check429s(t *testing.T, out string) {
	t.Helper()
	m := regexp.MustCompile(`429 responses received: Zendesk (\d+), Jira (\d+)`).FindStringSubmatch(out)
	f := strings.Fields(lineOf(t, out, "Jira, 10/s"))
	if m == nil || len(f) < 3 {
		t.Fatalf("no 429 count or Jira requests in:\n%s", out)
	}
	zd, _ := strconv.Atoi(m[1])
	jira, _ := strconv.Atoi(m[2])
	requests, err := strconv.Atoi(strings.ReplaceAll(f[2], ",", ""))
	if err != nil || requests == 0 {
		t.Fatalf("Jira requests %q: %v", f[2], err)
	}
	if zd+jira > 0 {
		t.Errorf("the limited backfill drew %d 429s from Zendesk and %d from Jira in %d Jira requests; want none", zd, jira, requests)
	}
}

// checkFreshness: both modes timed every change (--quick makes 3 of each
// kind), and in the webhook mode both vendors' deliveries were accepted,
// no poll ran while the changes were timed (the backstop is 10m), and the
// queue drains the deliveries woke wrote the changes.
func checkFreshness(t *testing.T, out string) {
	t.Helper()
	for _, mode := range []string{"polling every 200ms", "webhooks, polling backstop every 10m"} {
		rows := 0
		for line := range strings.Lines(out) {
			if f := strings.Fields(line); strings.HasPrefix(strings.TrimSpace(line), mode+" ") && strings.Contains(line, "→") {
				rows++
				if f[len(f)-4] != "3" {
					t.Errorf("%s: n = %s, want the 3 changes made:\n%s", mode, f[len(f)-4], line)
				}
			}
		}
		if rows != 2 {
			t.Errorf("%s: %d rows, want one per kind of change", mode, rows)
		}
	}
	m := regexp.MustCompile(`webhooks, polling backstop every 10m: poll cycles (\d+), writing (\d+) remote links and (\d+) ticket updates; ` +
		`queue drains (\d+), writing (\d+) and (\d+); webhook deliveries accepted: Zendesk (\d+), Jira (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary of the webhook mode in:\n%s", out)
	}
	n := make([]int, len(m))
	for i := 1; i < len(m); i++ {
		n[i], _ = strconv.Atoi(m[i])
	}
	polls, drainLinks, drainTickets, zd, jira := n[1], n[5], n[6], n[7], n[8]
	if zd == 0 || jira == 0 {
		t.Errorf("webhook mode: deliveries accepted Zendesk %d, Jira %d; want both > 0", zd, jira)
	}
	if polls != 0 {
		t.Errorf("webhook mode: %d poll cycles while the changes were timed, want none (backstop 10m): %s", polls, m[0])
	}
	// Each relink upserts one remote link, each started bug updates at
	// least the ticket timed.
	if drainLinks < 3 || drainTickets < 3 {
		t.Errorf("webhook mode: the queue drains wrote %d remote links and %d ticket updates, want the 3 changes of each kind: %s", drainLinks, drainTickets, m[0])
	}
}

func lineOf(t *testing.T, out, prefix string) string {
	t.Helper()
	for line := range strings.Lines(out) {
		if strings.HasPrefix(strings.TrimSpace(line), prefix) {
			return line
		}
	}
	t.Fatalf("no line %q in:\n%s", prefix, out)
	return ""
}

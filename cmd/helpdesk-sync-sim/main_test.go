package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/config"
)

// syncBuffer is a bytes.Buffer a command writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSimulateServesUntilCancelled runs simulate in-process on free ports,
// runs the curl commands it prints (as HTTP requests) and stops it the way
// SIGINT does.
func TestSimulateServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr, done := startSimulate(t, ctx)
	out := stdout.String()
	for _, want := range []string{"Zendesk simulator  http://127.0.0.1:", "Jira simulator     http://127.0.0.1:",
		"6 organizations", "8 bugs in PROJ, WEB, MOB", "40 tickets", "export HELPDESK_SYNC_ZENDESK_URL=http://127.0.0.1:",
		"export HELPDESK_SYNC_JIRA_PROJECTS=PROJ,WEB,MOB", "customer_count_field: customfield_10042"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}

	curl := regexp.MustCompile(`(?m)^  curl -sS -u '?([^' ]+)'? '?([^' ]+)'?$`)
	cmds := curl.FindAllStringSubmatch(out, -1)
	if len(cmds) != 4 {
		t.Fatalf("%d curl commands in:\n%s", len(cmds), out)
	}
	for _, c := range cmds {
		user, pass, _ := strings.Cut(c[1], ":") // Zendesk's user is "email/token"
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c[2], nil)
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) < 20 {
			t.Errorf("%s: %d %s", c[0], resp.StatusCode, body)
		}
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(stdout.String(), "Stopping the simulators.") {
			t.Fatalf("exit %d after cancel\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("simulate did not stop after its context ended")
	}
}

// startSimulate runs simulate in-process on free ports until ctx ends and
// returns once it serves; done gets its exit code.
func startSimulate(t *testing.T, ctx context.Context) (stdout, stderr *syncBuffer, done chan int) {
	t.Helper()
	stdout, stderr, done = &syncBuffer{}, &syncBuffer{}, make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--zendesk", "127.0.0.1:0", "--jira", "127.0.0.1:0",
			"--seed", "7", "--tickets", "40", "--bugs", "8", "--orgs", "6"}, stdout, stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "Serving until interrupted") {
		select {
		case code := <-done:
			t.Fatalf("simulate exited %d before serving\n%s\n%s", code, stdout.String(), stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("simulate did not start:\n%s\n%s", stdout.String(), stderr.String())
		}
	}
	return stdout, stderr, done
}

// TestSimulateHintUsesAThrowawayPrefix: the once it suggests must not
// write under the default prefix, where the same Redis may hold a real
// installation's state, and the user is told how to delete what it wrote.
func TestSimulateHintUsesAThrowawayPrefix(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, _, done := startSimulate(t, ctx)
	out := stdout.String()
	cancel()
	<-done

	m := regexp.MustCompile(`(?m)^  export HELPDESK_SYNC_REDIS_KEY_PREFIX=(\S+)\n  helpdesk-sync once$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no key prefix set before the suggested once:\n%s", out)
	}
	prefix := m[1]
	if prefix == config.Default().Redis.KeyPrefix || !regexp.MustCompile(`^helpdesk-sync-trial-[0-9a-f]{6}:$`).MatchString(prefix) {
		t.Errorf("suggested prefix %q; want a throwaway one, not the default %q", prefix, config.Default().Redis.KeyPrefix)
	}
	for _, want := range []string{
		"  redis-cli --scan --pattern '" + prefix + "*' | xargs -r redis-cli unlink\n",
		"  redis:\n    key_prefix: \"" + prefix + "\"\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if a, b := trialPrefix(), trialPrefix(); a == b {
		t.Errorf("two trials share the prefix %q", a)
	}
}

func TestSimulateRefusesBadSizes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--bugs", "0", "--zendesk", "127.0.0.1:0", "--jira", "127.0.0.1:0"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "bugs 0: need at least one") {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "Usage: helpdesk-sync-sim") || !strings.Contains(stdout.String(), "-tickets") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
}

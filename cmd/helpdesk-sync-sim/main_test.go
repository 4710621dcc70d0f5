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
		done <- run(ctx, []string{"--zendesk", "127.0.0.1:0", "--jira", "127.0.0.1:0", "--slack", "127.0.0.1:0",
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
	out := simulateOutput(t)

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

// TestSimulateServesSlack posts to the webhook URL it prints, as the
// service would: a Block Kit notice is accepted and logged with its text,
// a post without the fallback text is refused and the warning says why.
func TestSimulateServesSlack(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr, done := startSimulate(t, ctx)
	m := regexp.MustCompile(`(?m)^  export HELPDESK_SYNC_SLACK_WEBHOOK_URL=(http://127\.0\.0\.1:\d+/services/\S+)$`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no webhook URL exported:\n%s", stdout.String())
	}
	if !strings.Contains(stdout.String(), m[0]+"\n  # helpdesk-sync run posts the Slack notices") {
		t.Errorf("no word on which command posts:\n%s", stdout.String())
	}
	if !strings.Contains(stdout.String(), "-d '{\"text\":\"Hello from curl\"}' "+m[1]+"\n") {
		t.Errorf("no curl posting to the webhook:\n%s", stdout.String())
	}
	post := func(body string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, m[1], strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		body       string
		status     int
		reply, log string
	}{
		{`{"text":"PROJ-7 fixed in 2.4.1","blocks":[{"type":"header","text":{"type":"plain_text","text":"PROJ-7 fixed"}},` +
			`{"type":"section","text":{"type":"mrkdwn","text":"*3 customers* waiting"}},{"type":"context","elements":[{"type":"mrkdwn","text":"helpdesk-sync"}]}]}`,
			http.StatusOK, "ok", `"msg":"slack notice","text":"PROJ-7 fixed in 2.4.1","blocks":3`},
		{`{"blocks":[{"type":"divider"}]}`, http.StatusBadRequest, "no_text", `"msg":"slack post refused","why":"no_text: no top-level text`},
		{`{"text":"x","blocks":[{"type":"image"}]}`, http.StatusBadRequest, "invalid_blocks", `"why":"invalid_blocks: block 0 (image): unknown block type"`},
	} {
		status, reply := post(c.body)
		if status != c.status || strings.TrimSpace(reply) != c.reply {
			t.Errorf("%s: %d %q; want %d %q", c.body, status, reply, c.status, c.reply)
		}
		if !strings.Contains(stderr.String(), c.log) {
			t.Errorf("%s: log lacks %s:\n%s", c.body, c.log, stderr.String())
		}
	}
	cancel()
	<-done
}

func TestSimulateRefusesSlackOffLoopback(t *testing.T) {
	for _, addr := range []string{":8083", "0.0.0.0:8083", "10.1.2.3:8083", "8083"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"--slack", addr}, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "--slack \""+addr+"\"") || !strings.Contains(stderr.String(), "127.0.0.1:8083") {
			t.Errorf("--slack %q: exit %d\n%s", addr, code, stderr.String())
		}
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

// TestSimulatePrintsAValidEnvironment: the environment it prints, as a
// user would paste it, loads as a configuration with revenue and Slack on.
func TestSimulatePrintsAValidEnvironment(t *testing.T) {
	out := simulateOutput(t)

	env := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^  export (HELPDESK_SYNC_\w+)=(\S+)$`).FindAllStringSubmatch(out, -1) {
		env[m[1]] = strings.Trim(m[2], "'")
	}
	c, err := config.Load("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the printed environment does not load: %v\n%s", err, out)
	}
	if c.Revenue.Field != "arr" || c.Revenue.Currency != "EUR" || !c.Slack.Enabled() {
		t.Fatalf("revenue %+v, slack enabled %v; want revenue from arr in EUR and Slack on", c.Revenue, c.Slack.Enabled())
	}
}

// simulateOutput is what simulate prints before it serves; it has
// stopped when this returns.
func simulateOutput(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, _, done := startSimulate(t, ctx)
	cancel()
	<-done
	return stdout.String()
}

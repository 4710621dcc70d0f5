package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

const simulators = "../../config/simulators.yaml"

// Both shipped configurations pass validate with the API tokens in the
// environment, which is all they leave to it; without them validate names
// the two tokens and nothing else.
func TestShippedConfigsValidate(t *testing.T) {
	for _, file := range []string{example, simulators} {
		code, stdout, stderr := runCLI(t, exampleEnv, "validate", "--config", file)
		if code != exitOK || !strings.Contains(stdout, file+": configuration is valid") || stderr != "" {
			t.Errorf("validate %s: exit %d\n%s\n%s", file, code, stdout, stderr)
		}
		code, _, stderr = runCLI(t, []string{"PATH=/usr/bin"}, "validate", "--config", file)
		if code != exitConfig || !strings.Contains(stderr, file+": 2 problems:\n  zendesk.token: ") || !strings.Contains(stderr, "\n  jira.token: ") {
			t.Errorf("validate %s without tokens: exit %d\n%s", file, code, stderr)
		}
	}
}

// config/simulators.yaml points at what 'simulate' serves on its default
// addresses, and 'run' with it and the tokens 'simulate' prints syncs the
// simulated account: the listeners here are free ports, so only the URLs
// are set over the file.
func TestSimulatorsConfigRunsAgainstSimulate(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := simulation.Generate(7, simulation.Size{Tickets: 30, Bugs: 6, Orgs: 8})
	if err != nil {
		t.Fatal(err)
	}
	st, err := simulation.Start(ctx, d, simulation.StackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	cfg, err := config.Load(simulators, nil)
	if err == nil {
		t.Fatal("simulators.yaml is valid without the tokens")
	}
	s := st.Settings
	for _, c := range []struct{ key, got, want string }{
		{"zendesk.url", cfg.Zendesk.URL, "http://127.0.0.1" + simulation.ZendeskAddr},
		{"jira.url", cfg.Jira.URL, "http://127.0.0.1" + simulation.JiraAddr},
		{"zendesk.email", cfg.Zendesk.Email, s.ZendeskEmail},
		{"jira.email", cfg.Jira.Email, s.JiraEmail},
		{"zendesk.tier_field", cfg.Zendesk.TierField, s.TierField},
		{"jira.customer_count_field", cfg.Jira.CustomerCountField, s.CustomerCountField},
	} {
		if c.got != c.want {
			t.Errorf("%s is %q, simulate serves %q", c.key, c.got, c.want)
		}
	}
	if cfg.Zendesk.ExportRequestsPerMinute != simulation.ExportRequestsPerMinute {
		t.Errorf("zendesk.export_requests_per_minute is %d, simulate suggests %d", cfg.Zendesk.ExportRequestsPerMinute, simulation.ExportRequestsPerMinute)
	}
	// A trial keeps its state apart from a real installation's.
	if def := config.Default().Redis.KeyPrefix; cfg.Redis.KeyPrefix == def || !strings.Contains(cfg.Redis.KeyPrefix, "trial") {
		t.Errorf("redis.key_prefix is %q: a trial against the simulators must not share a real installation's (%q)", cfg.Redis.KeyPrefix, def)
	}
	if cfg.Zendesk.KeysFieldID != s.KeysFieldID || cfg.Zendesk.StatusFieldID != s.StatusFieldID || !slices.Equal(cfg.Jira.Projects, s.Projects) {
		t.Errorf("fields %d %d projects %v; simulate has %d %d %v", cfg.Zendesk.KeysFieldID, cfg.Zendesk.StatusFieldID,
			cfg.Jira.Projects, s.KeysFieldID, s.StatusFieldID, s.Projects)
	}

	_, prefix := redistest.Client(t)
	redisURL, err := redistest.URL()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/usr/bin", "HELPDESK_SYNC_CONFIG=" + simulators,
		"HELPDESK_SYNC_ZENDESK_URL=" + s.ZendeskURL, "HELPDESK_SYNC_JIRA_URL=" + s.JiraURL,
		"HELPDESK_SYNC_REDIS_URL=" + redisURL, "HELPDESK_SYNC_REDIS_KEY_PREFIX=" + prefix,
		"HELPDESK_SYNC_HTTP_LISTEN=127.0.0.1:0", "HELPDESK_SYNC_LOG_LEVEL=warn",
		"HELPDESK_SYNC_SYNC_POLL_INTERVAL=1s"} // a new leader polls within it
	for _, kv := range s.Env() { // the tokens, as simulate prints them
		if strings.Contains(kv, "_TOKEN=") {
			env = append(env, kv)
		}
	}
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"run"}, env, &stdout, &stderr) }()
	counted := func() bool {
		for b := range st.Dataset.Bugs() {
			if is, ok := st.Jira.Issue(b.Key); ok && is.Custom[jiratest.CustomerCountField] != nil {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(30 * time.Second); !counted(); time.Sleep(50 * time.Millisecond) {
		select {
		case code := <-done:
			t.Fatalf("run exited %d before syncing\n%s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no customer count written in 30s\n%s", stderr.String())
		}
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("run exited %d after the stop\n%s", code, stderr.String())
	}
}

// lockedBuffer is a bytes.Buffer a command writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

package simulation_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
)

// TestSeedPutsTheDatasetIntoTheSimulators compares the simulators'
// state, record by record, with the dataset.
func TestSeedPutsTheDatasetIntoTheSimulators(t *testing.T) {
	clock := clocktest.NewShifted(time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC))
	zd := zendesktest.NewServer(zendesktest.WithClock(clock.Now))
	defer zd.Close()
	jr := jiratest.NewServer(jiratest.WithClock(clock.Now))
	defer jr.Close()
	d := generate(t, 42, simulation.DemoSize)

	sum, err := simulation.Seed(context.Background(), zd, jr.Site, d, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Orgs != d.Size.Orgs || sum.Bugs != d.Size.Bugs || sum.Tickets != d.Size.Tickets || sum.Users <= sum.Orgs {
		t.Fatalf("summary %+v", sum)
	}
	links, done := 0, 0
	now := clock.Now()
	for tk := range d.Tickets() {
		got, ok := zd.Ticket(tk.ID)
		if !ok {
			t.Fatalf("ticket %d missing", tk.ID)
		}
		field, _ := got.Field(simulation.KeysFieldID).(string)
		if got.Subject != tk.Subject || got.Status != tk.Status || got.RequesterID != tk.RequesterID ||
			got.OrganizationID != tk.OrganizationID || field != tk.KeysField {
			t.Fatalf("ticket %d is %+v; dataset says %+v", tk.ID, got, tk)
		}
		for _, tag := range tk.Tags {
			if !got.HasTag(tag) {
				t.Fatalf("ticket %d lacks tag %s", tk.ID, tag)
			}
		}
		if age := now.Sub(got.CreatedAt); age < tk.Age || age > tk.Age+time.Minute {
			t.Fatalf("ticket %d created %s ago, want %s", tk.ID, age, tk.Age)
		}
		links += len(tk.Bugs)
	}
	for b := range d.Bugs() {
		is, ok := jr.Issue(b.Key)
		if !ok {
			t.Fatalf("issue %s missing", b.Key)
		}
		if is.Summary != b.Summary || is.Status.Name != b.Status || is.Priority != b.Priority ||
			is.Resolution != b.Resolution || !slices.Equal(is.Labels, b.Labels) {
			t.Fatalf("issue %s is %+v; dataset says %+v", b.Key, is, b)
		}
		if b.FixVersion != "" && !slices.Equal(is.FixVersions, []string{b.FixVersion}) {
			t.Fatalf("issue %s fix versions %v, want %s", b.Key, is.FixVersions, b.FixVersion)
		}
		if b.Resolution == "" {
			if idle := now.Sub(is.Updated); idle < b.Idle || idle > b.Idle+time.Minute {
				t.Fatalf("issue %s updated %s ago, want %s", b.Key, idle, b.Idle)
			}
		} else {
			done++
		}
	}
	if links != sum.Links || done == 0 {
		t.Fatalf("%d links (summary %d), %d done bugs", links, sum.Links, done)
	}

	// Seeding again into the same Jira would number the bugs differently.
	zd2 := zendesktest.NewServer()
	defer zd2.Close()
	if _, err := simulation.Seed(context.Background(), zd2, jr.Site, d, nil); err == nil ||
		!strings.Contains(err.Error(), "Jira numbered it") {
		t.Fatalf("seeding a used Jira: %v", err)
	}
}

// TestStackServesTheSeededAccount starts the stack on real listeners and
// reads from both simulators over HTTP with the settings it hands out; the
// same settings, as environment variables, make a valid configuration.
func TestStackServesTheSeededAccount(t *testing.T) {
	ctx := context.Background()
	d := generate(t, 42, simulation.Size{Tickets: 30, Bugs: 10, Orgs: 5})
	st, err := simulation.Start(ctx, d, simulation.StackOptions{Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	s := st.Settings

	get := func(url string, auth func(*http.Request)) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		auth(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var out map[string]any
		_ = json.Unmarshal(body, &out)
		return resp.StatusCode, out
	}
	zdAuth := func(r *http.Request) { r.SetBasicAuth(s.ZendeskEmail+"/token", s.ZendeskToken) }
	code, body := get(s.ZendeskURL+"/api/v2/tickets/1.json", zdAuth)
	tk, _ := body["ticket"].(map[string]any)
	if code != http.StatusOK || tk["subject"] != d.Ticket(0).Subject {
		t.Fatalf("zendesk ticket 1: %d %v", code, body)
	}
	if code, _ := get(s.ZendeskURL+"/api/v2/tickets/1.json", func(*http.Request) {}); code != http.StatusUnauthorized {
		t.Fatalf("zendesk without credentials: %d", code)
	}
	key := d.Bug(0).Key
	code, body = get(s.JiraURL+"/rest/api/2/issue/"+key, func(r *http.Request) { r.SetBasicAuth(s.JiraEmail, s.JiraToken) })
	if code != http.StatusOK || body["key"] != key || !strings.HasPrefix(body["self"].(string), s.JiraURL+"/") {
		t.Fatalf("jira issue %s: %d %v", key, code, body)
	}
	if st.Dataset.BrowseURL != s.JiraURL {
		t.Fatalf("browse links point at %s, not the Jira simulator %s", st.Dataset.BrowseURL, s.JiraURL)
	}

	env := map[string]string{}
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	cfg, err := config.Load("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the stack's environment is not a valid configuration: %v", err)
	}
	if cfg.Zendesk.URL != s.ZendeskURL || cfg.Zendesk.KeysFieldID != simulation.KeysFieldID ||
		cfg.Zendesk.TierField != simulation.TierField || cfg.Jira.Token.Value() != jiratest.ServiceToken ||
		!slices.Equal(cfg.Jira.Projects, simulation.ProjectKeys()) {
		t.Fatalf("configuration from the environment: %+v", cfg)
	}
	if y := s.YAML(); !strings.Contains(y, "url: "+s.JiraURL) || strings.Contains(y, s.JiraToken) {
		t.Fatalf("YAML snippet:\n%s", y)
	}

	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(s.ZendeskURL + "/api/v2/tickets/1.json"); err == nil {
		t.Fatal("the Zendesk listener still answers after Close")
	}
}

func TestStackRefusesABusyAddress(t *testing.T) {
	d := generate(t, 1, simulation.Size{Tickets: 1, Bugs: 1, Orgs: 1})
	st, err := simulation.Start(context.Background(), d, simulation.StackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	busy := strings.TrimPrefix(st.Settings.ZendeskURL, "http://")
	if _, err := simulation.Start(context.Background(), d, simulation.StackOptions{JiraAddr: busy}); err == nil ||
		!strings.Contains(err.Error(), "jira simulator") {
		t.Fatalf("second stack on %s: %v", busy, err)
	}
}

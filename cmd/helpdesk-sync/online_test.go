package main

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// TestValidateOnline runs validate --online against the simulators: a
// complete setup passes; a missing field and an unknown priority fail with
// exit 4, naming the keys to change.
func TestValidateOnline(t *testing.T) {
	zd := zendesktest.NewServer()
	defer zd.Close()
	jr := jiratest.NewServer()
	defer jr.Close()
	jr.AddProject("PROJ", "Product")
	jr.AddProject("WEB", "Web")
	zd.AddTicketField(zendesktest.TicketField{ID: 360001234567, Type: "text", Title: "Jira keys", Active: true})
	zd.AddOrganizationField(zendesktest.OrganizationField{Key: "customer_tier", Title: "Tier", Type: "dropdown"})
	_, prefix := redistest.Client(t)
	redisURL, err := redistest.URL()
	if err != nil {
		t.Fatal(err)
	}
	// Later variables win, so the simulators' credentials follow the
	// example's placeholders.
	env := append(append([]string(nil), exampleEnv...), []string{
		"HELPDESK_SYNC_ZENDESK_URL=" + zd.URL, "HELPDESK_SYNC_ZENDESK_EMAIL=" + zendesktest.DefaultEmail,
		"HELPDESK_SYNC_ZENDESK_TOKEN=" + zendesktest.DefaultToken,
		"HELPDESK_SYNC_JIRA_URL=" + jr.URL, "HELPDESK_SYNC_JIRA_EMAIL=" + jiratest.ServiceEmail,
		"HELPDESK_SYNC_JIRA_TOKEN=" + jiratest.ServiceToken,
		"HELPDESK_SYNC_JIRA_CUSTOMER_COUNT_FIELD=" + jiratest.CustomerCountField,
		"HELPDESK_SYNC_REDIS_URL=" + redisURL, "HELPDESK_SYNC_REDIS_KEY_PREFIX=" + prefix,
	}...)

	// The status field 360007654321 of example.yaml does not exist yet.
	code, stdout, stderr := runCLI(t, env, "validate", "--online", "--config", example)
	if code != exitOnline {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitOnline, stdout, stderr)
	}
	for _, want := range []string{"ok    redis    ping", "ok    zendesk  credentials", "ok    zendesk  keys_field",
		"FAIL  zendesk  status_field", "fix zendesk.status_field_id", "ok    jira     priorities", "ok    jira     project WEB"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}

	zd.AddTicketField(zendesktest.TicketField{ID: 360007654321, Type: "text", Title: "Bug status", Active: true})
	code, stdout, stderr = runCLI(t, append(append([]string(nil), env...), "HELPDESK_SYNC_JIRA_PRIORITIES=Highest,High,Urgent,Medium,Low,Lowest"),
		"validate", "--online", "--config", example)
	if code != exitOnline || !strings.Contains(stdout, `FAIL  jira     priorities`) || !strings.Contains(stdout, `"Urgent"`) {
		t.Fatalf("unknown priority: exit %d\n%s\n%s", code, stdout, stderr)
	}

	code, stdout, stderr = runCLI(t, env, "validate", "--online", "--config", example)
	if code != exitOK || !strings.Contains(stdout, "online checks passed") || strings.Contains(stdout, "FAIL") {
		t.Fatalf("complete setup: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, zendesktest.DefaultToken) || strings.Contains(stdout+stderr, jiratest.ServiceToken) {
		t.Fatal("a token was printed")
	}
}

// closedURL is the URL of a port nobody listens on: requests to it are
// refused.
func closedURL(t *testing.T, scheme string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return scheme + "://" + addr
}

// TestValidateOnlineNamesEachFailure: each failure is reported against
// the key that fixes it, and only there. A refused Zendesk or Jira URL is
// the URL, not the token; a Redis that is down is Redis, and the vendor
// checks, which need no Redis, still run.
func TestValidateOnlineNamesEachFailure(t *testing.T) {
	zd := zendesktest.NewServer()
	defer zd.Close()
	jr := jiratest.NewServer()
	defer jr.Close()
	jr.AddProject("PROJ", "Product")
	zd.AddTicketField(zendesktest.TicketField{ID: 360001234567, Type: "text", Title: "Jira keys", Active: true})
	zd.AddTicketField(zendesktest.TicketField{ID: 360007654321, Type: "text", Title: "Bug status", Active: true})
	zd.AddOrganizationField(zendesktest.OrganizationField{Key: "customer_tier", Title: "Tier", Type: "dropdown"})
	_, prefix := redistest.Client(t)
	redisURL, err := redistest.URL()
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"PATH=/usr/bin", "HELPDESK_SYNC_CONFIG=" + simulators,
		"HELPDESK_SYNC_ZENDESK_URL=" + zd.URL, "HELPDESK_SYNC_ZENDESK_TOKEN=" + zendesktest.DefaultToken,
		"HELPDESK_SYNC_JIRA_URL=" + jr.URL, "HELPDESK_SYNC_JIRA_TOKEN=" + jiratest.ServiceToken,
		"HELPDESK_SYNC_JIRA_PROJECTS=PROJ", "HELPDESK_SYNC_REDIS_URL=" + redisURL, "HELPDESK_SYNC_REDIS_KEY_PREFIX=" + prefix}
	tests := []struct {
		name       string
		env        []string
		fail, pass []string // lines that must appear
		notFail    []string // systems that must not fail
	}{
		{"all good", nil, nil, []string{"ok    redis    ping", "ok    zendesk  credentials", "ok    jira     credentials"}, []string{"redis", "zendesk", "jira"}},
		{"Zendesk refused", []string{"HELPDESK_SYNC_ZENDESK_URL=" + closedURL(t, "http")},
			[]string{"FAIL  zendesk  connection: ", "connection refused", "fix zendesk.url / zendesk.subdomain: "},
			[]string{"ok    redis    ping", "ok    jira     credentials"}, []string{"redis", "jira"}},
		{"Jira refused", []string{"HELPDESK_SYNC_JIRA_URL=" + closedURL(t, "http")},
			[]string{"FAIL  jira     connection: ", "fix jira.url: "},
			[]string{"ok    redis    ping", "ok    zendesk  credentials"}, []string{"redis", "zendesk"}},
		{"Redis down", []string{"HELPDESK_SYNC_REDIS_URL=" + closedURL(t, "redis")},
			[]string{"FAIL  redis    ping: ", "fix redis.url / redis.addrs: "},
			[]string{"ok    zendesk  credentials", "ok    zendesk  admin", "ok    jira     credentials", "ok    jira     project PROJ"},
			[]string{"zendesk", "jira"}},
		{"no revenue fields", []string{"HELPDESK_SYNC_REVENUE_FIELD=arr", "HELPDESK_SYNC_REVENUE_CURRENCY=EUR", "HELPDESK_SYNC_REVENUE_JIRA_FIELD=customfield_10099"},
			[]string{"FAIL  zendesk  revenue_field: ", "fix revenue.field: create a decimal or integer organization field",
				"FAIL  jira     revenue_field: ", "fix revenue.jira_field: create a Number custom field"},
			[]string{"ok    redis    ping", "ok    zendesk  credentials", "ok    jira     credentials"}, []string{"redis"}},
		{"wrong Zendesk token", []string{"HELPDESK_SYNC_ZENDESK_TOKEN=wrong-token-value"},
			[]string{"FAIL  zendesk  credentials: ", "HTTP 401", "fix zendesk.email / zendesk.token: check the API token"},
			[]string{"ok    jira     credentials"}, []string{"redis", "jira"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append(append([]string(nil), base...), tt.env...), "validate", "--online")
			if want := map[bool]int{true: exitOK, false: exitOnline}[len(tt.fail) == 0]; code != want {
				t.Errorf("exit %d, want %d", code, want)
			}
			for _, want := range append(tt.fail, tt.pass...) {
				if !strings.Contains(stdout, want) {
					t.Errorf("output lacks %q", want)
				}
			}
			for _, system := range tt.notFail {
				if strings.Contains(stdout, fmt.Sprintf("FAIL  %-8s", system)) {
					t.Errorf("%s reported failing", system)
				}
			}
			if strings.Contains(stdout+stderr, "wrong-token-value") || strings.Contains(stderr, "pool.go") {
				t.Errorf("a token or a raw go-redis line was printed")
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
		})
	}
}

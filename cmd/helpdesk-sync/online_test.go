package main

import (
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

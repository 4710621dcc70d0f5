package service_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// TestExampleConfigDrivesTheSimulators proves the wiring: the commented
// example configuration, pointed at the simulators by environment variables
// alone, assembles a service whose first cycle links a ticket, counts its
// enterprise customer, annotates the ticket and keeps every request under
// the shared transports.
func TestExampleConfigDrivesTheSimulators(t *testing.T) {
	ctx := context.Background()
	zd := zendesktest.NewServer(zendesktest.WithExportLag(0))
	defer zd.Close()
	jr := jiratest.NewServer()
	defer jr.Close()
	rdb, prefix := redistest.Client(t)
	redisURL, err := redistest.URL()
	if err != nil {
		t.Fatal(err)
	}

	const keysField, statusField = 360001234567, 360007654321
	zd.AddTicketField(zendesktest.TicketField{ID: keysField, Type: "text", Title: "Jira keys", Active: true})
	zd.AddTicketField(zendesktest.TicketField{ID: statusField, Type: "text", Title: "Bug status", Active: true})
	zd.AddOrganization(zendesktest.Organization{ID: 7, Name: "Initech", Fields: map[string]any{"customer_tier": "enterprise"}})
	u := zd.AddUser(zendesktest.User{Name: "Peter", Email: "peter@initech.example", OrganizationID: 7})
	jr.AddProject("PROJ", "Product")
	bug := jr.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "Export fails", Priority: "Low"})
	tk := zd.CreateTicket(zendesktest.Ticket{Subject: "Export broken", Status: "open", RequesterID: u.ID,
		OrganizationID: 7, CustomFields: []zendesktest.CustomField{{ID: keysField, Value: strings.ToLower(bug.Key)}}})

	env := map[string]string{
		"HELPDESK_SYNC_ZENDESK_URL":   zd.URL,
		"HELPDESK_SYNC_ZENDESK_EMAIL": zendesktest.DefaultEmail,
		"HELPDESK_SYNC_ZENDESK_TOKEN": zendesktest.DefaultToken,
		// The simulator enforces no budget; Zendesk's real 10 exports a
		// minute would space this test's requests 6 s apart.
		"HELPDESK_SYNC_ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "400",
		"HELPDESK_SYNC_JIRA_URL":                           jr.URL,
		"HELPDESK_SYNC_JIRA_EMAIL":                         jiratest.ServiceEmail,
		"HELPDESK_SYNC_JIRA_TOKEN":                         jiratest.ServiceToken,
		"HELPDESK_SYNC_JIRA_PROJECTS":                      "PROJ",
		"HELPDESK_SYNC_JIRA_CUSTOMER_COUNT_FIELD":          jiratest.CustomerCountField,
		"HELPDESK_SYNC_REDIS_URL":                          redisURL,
		"HELPDESK_SYNC_REDIS_KEY_PREFIX":                   prefix,
	}
	cfg, err := config.Load("../../config/example.yaml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(cfg, service.Options{Logger: zaptest.NewLogger(t), Redis: rdb, NoLease: true})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()

	rep, err := svc.Engine.Cycle(ctx)
	if err != nil {
		t.Fatalf("cycle: %v", err)
	}
	if rep.LinksAdded != 1 || rep.TicketUpdates != 1 {
		t.Fatalf("report %+v: want one link and one ticket update", rep)
	}
	is, _ := jr.Issue(bug.Key)
	if c := is.Custom[jiratest.CustomerCountField]; c == nil || *c != 5 {
		t.Fatalf("count field %v, want 5 (one enterprise customer, weight 5)", c)
	}
	got, _ := zd.Ticket(tk.ID)
	if v, _ := got.Field(statusField).(string); !strings.Contains(v, bug.Key) {
		t.Fatalf("ticket status field %q does not name %s", v, bug.Key)
	}
	if !got.HasTag("bug_open") {
		t.Fatalf("ticket tags %v lack bug_open", got.Tags)
	}
	// Every request went through the shared transports, which counted it.
	if svc.Requests.Total() == 0 || svc.Requests.Count("GET", "/api/v2/incremental/tickets/cursor.json") == 0 {
		t.Fatalf("transport counts %v", svc.Requests.Snapshot())
	}
	// The rate budgets live in Redis under the service's prefix.
	keys, err := rdb.Keys(ctx, prefix+"ratelimit:*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("no shared rate-limit keys under %s (err %v)", prefix, err)
	}

	// A second cycle is idle: one read per system, nothing written.
	before := svc.Requests.Snapshot()
	if rep, err = svc.Engine.Cycle(ctx); err != nil || rep.Writes() != 0 {
		t.Fatalf("second cycle: %+v, %v", rep, err)
	}
	after := svc.Requests.Snapshot()
	diff := 0
	for k, n := range after {
		diff += n - before[k]
	}
	if diff != 2 {
		t.Fatalf("idle cycle made %d requests (%v → %v); want 2", diff, before, after)
	}
}

package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/lease"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// simEnv starts both simulators with one bug and n linked tickets of
// distinct organizations, and returns the environment configuring the
// service for them (with example.yaml).
func simEnv(t *testing.T, n int) (env []string, zd *zendesktest.Server, jr *jiratest.Server, bugKey, prefix string) {
	t.Helper()
	zd = zendesktest.NewServer(zendesktest.WithExportLag(0))
	t.Cleanup(zd.Close)
	jr = jiratest.NewServer()
	t.Cleanup(jr.Close)
	jr.AddProject("PROJ", "Product")
	zd.AddTicketField(zendesktest.TicketField{ID: 360001234567, Type: "text", Title: "Jira keys", Active: true})
	zd.AddTicketField(zendesktest.TicketField{ID: 360007654321, Type: "text", Title: "Bug status", Active: true})
	bug := jr.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "Export fails", Priority: "Low"})
	for i := range n {
		org := int64(100 + i)
		zd.AddOrganization(zendesktest.Organization{ID: org, Name: fmt.Sprintf("Org %d", i)})
		u := zd.AddUser(zendesktest.User{Name: "R", Email: fmt.Sprintf("r%d@example.com", i), OrganizationID: org})
		zd.CreateTicket(zendesktest.Ticket{Subject: "broken", Status: "open", RequesterID: u.ID, OrganizationID: org,
			CustomFields: []zendesktest.CustomField{{ID: 360001234567, Value: bug.Key}}})
	}
	_, prefix = redistest.Client(t)
	redisURL, err := redistest.URL()
	if err != nil {
		t.Fatal(err)
	}
	env = append(append([]string(nil), exampleEnv...),
		"HELPDESK_SYNC_CONFIG="+example,
		"HELPDESK_SYNC_ZENDESK_URL="+zd.URL, "HELPDESK_SYNC_ZENDESK_EMAIL="+zendesktest.DefaultEmail,
		"HELPDESK_SYNC_ZENDESK_TOKEN="+zendesktest.DefaultToken,
		"HELPDESK_SYNC_ZENDESK_EXPORT_REQUESTS_PER_MINUTE=400",
		"HELPDESK_SYNC_JIRA_URL="+jr.URL, "HELPDESK_SYNC_JIRA_EMAIL="+jiratest.ServiceEmail,
		"HELPDESK_SYNC_JIRA_TOKEN="+jiratest.ServiceToken, "HELPDESK_SYNC_JIRA_PROJECTS=PROJ",
		"HELPDESK_SYNC_JIRA_CUSTOMER_COUNT_FIELD="+jiratest.CustomerCountField,
		"HELPDESK_SYNC_REDIS_URL="+redisURL, "HELPDESK_SYNC_REDIS_KEY_PREFIX="+prefix,
		"HELPDESK_SYNC_LOG_LEVEL=warn",
	)
	return env, zd, jr, bug.Key, prefix
}

func TestOnceSyncsThenIdles(t *testing.T) {
	env, _, jr, key, _ := simEnv(t, 3)
	code, stdout, stderr := runCLI(t, env, "once")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"cycle in ", "3  links added", "3  ticket updates", "1  bug edit\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	is, _ := jr.Issue(key)
	if c := is.Custom[jiratest.CustomerCountField]; c == nil || *c != 3 {
		t.Fatalf("count %v, want 3", c)
	}
	code, stdout, _ = runCLI(t, env, "once", "--json")
	if code != exitOK || !strings.Contains(stdout, `"TicketUpdates": 0`) || !strings.Contains(stdout, `"BugEdits": 0`) {
		t.Fatalf("second run is not idle: exit %d\n%s", code, stdout)
	}
}

func TestOnceGuardHoldsThenConfirm(t *testing.T) {
	env, zd, _, _, _ := simEnv(t, 3)
	env = append(env, "HELPDESK_SYNC_POLICY_MAX_TICKET_UPDATES=2")
	code, stdout, stderr := runCLI(t, env, "once")
	if code != exitHeld || !strings.Contains(stdout, "HELD: 3 ticket writes planned, limit 2") {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitHeld, stdout, stderr)
	}
	if n := zd.Count("PUT", "/api/v2/tickets/update_many"); n != 0 {
		t.Fatalf("held ticket writes were sent: %d update_many calls", n)
	}
	code, stdout, stderr = runCLI(t, env, "once", "--confirm-large-change")
	if code != exitOK || !strings.Contains(stdout, "3  ticket updates") {
		t.Fatalf("confirmed: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestOnceDryRunWritesNothing(t *testing.T) {
	env, zd, jr, _, _ := simEnv(t, 2)
	code, stdout, stderr := runCLI(t, env, "once", "--dry-run")
	if code != exitOK || !strings.Contains(stdout, "dry run") || !strings.Contains(stdout, "2  ticket updates") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if w := zd.Writes(); len(w) > 0 {
		t.Fatalf("dry run sent writes to Zendesk: %v", w)
	}
	if w := jr.Writes(); len(w) > 0 {
		t.Fatalf("dry run sent writes to Jira: %v", w)
	}
}

func TestOnceWaitsForTheLeader(t *testing.T) {
	env, _, _, _, prefix := simEnv(t, 1)
	rdb, _ := redistest.Client(t)
	holder := lease.New(rdb, prefix+"leader", 30*time.Second, nil)
	ctx, cancel := context.WithCancel(context.Background())
	leading := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = holder.Run(ctx, func(ctx context.Context, _ int64) error {
			close(leading)
			<-ctx.Done()
			return nil
		})
	}()
	<-leading
	code, stdout, stderr := runCLI(t, env, "once", "--wait", "300ms")
	cancel()
	<-done
	if code != exitFailure || !strings.Contains(stderr, "another replica holds the leader lease") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Released, the lease is free again.
	if code, stdout, stderr = runCLI(t, env, "resync"); code != exitOK || !strings.Contains(stdout, "resync in ") {
		t.Fatalf("resync after release: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// A clean once takes the lease, runs its cycle and gives the lease back:
// its release is logged as clean, not as an error.
func TestOnceReleasesTheLeaseCleanly(t *testing.T) {
	env, _, _, _, _ := simEnv(t, 1)
	env = append(env, "HELPDESK_SYNC_LOG_LEVEL=info", "HELPDESK_SYNC_LOG_FORMAT=json")
	code, stdout, stderr := runCLI(t, env, "once")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	released := 0
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, `"lease released"`) {
			released++
			if !strings.Contains(line, `"error":false`) {
				t.Errorf("a clean once logged its release as %s", line)
			}
		}
		if strings.Contains(line, `"level":"error"`) {
			t.Errorf("a clean once logged an error: %s", line)
		}
	}
	if released != 1 {
		t.Errorf("%d lease releases logged, want 1:\n%s", released, stderr)
	}
}

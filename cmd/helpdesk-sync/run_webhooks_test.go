package main

import (
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

// TestRunWebhookDeliveryIsWrittenWithoutAPoll runs the real binary with
// webhooks enabled and a poll interval far longer than the test: a bug
// moved in Jira must reach its tickets through the signed delivery alone.
func TestRunWebhookDeliveryIsWrittenWithoutAPoll(t *testing.T) {
	const secret = "jira-webhook-secret-for-the-test"
	w := newWorld(t, 1, 3,
		"HELPDESK_SYNC_WEBHOOKS_ENABLED=true", "HELPDESK_SYNC_WEBHOOKS_JIRA_SECRET="+secret,
		"HELPDESK_SYNC_SYNC_POLL_INTERVAL=10m", "HELPDESK_SYNC_SYNC_WEBHOOK_POLL_INTERVAL=30m")
	r := w.start("replica")
	w.waitFor("the backfill", 20*time.Second, func() bool { return w.showing("To Do") == 3 })

	w.jr.SetWebhook(jiratest.Webhook{URL: "http://" + r.addr + "/webhooks/jira", Secret: secret})
	if err := w.jr.Transition(w.bugs[0], "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	w.waitFor("the transition on every ticket", 15*time.Second, func() bool { return w.showing("In Progress") == 3 })
	for _, d := range w.jr.Deliveries() {
		if d.Status != http.StatusAccepted && d.Status != http.StatusOK {
			t.Errorf("delivery %s answered %d", d.Event, d.Status)
		}
	}

	// An unsigned delivery is refused.
	resp, err := http.Post("http://"+r.addr+"/webhooks/jira", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned delivery answered %d, want 401", resp.StatusCode)
	}
	if code, _ := r.stop(syscall.SIGTERM, 20*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
}

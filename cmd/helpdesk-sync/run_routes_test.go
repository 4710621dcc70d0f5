package main

import (
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

// TestRunWebhooksAndBoard runs the real binary with webhooks and the board
// enabled and a poll interval far longer than the test: a bug moved in Jira
// must reach its tickets through the signed delivery alone, and the board,
// on the same listener, shows it behind its token.
func TestRunWebhooksAndBoard(t *testing.T) {
	const secret, boardToken = "jira-webhook-secret-for-the-test", "board-token-for-the-test"
	w := newWorld(t, 1, 3,
		"HELPDESK_SYNC_WEBHOOKS_ENABLED=true", "HELPDESK_SYNC_WEBHOOKS_JIRA_SECRET="+secret,
		"HELPDESK_SYNC_BOARD_ENABLED=true", "HELPDESK_SYNC_BOARD_TOKEN="+boardToken,
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

	// The board is mounted on the same listener, behind its token.
	board := func(path, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+r.addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := board("/board", ""); code != http.StatusUnauthorized {
		t.Fatalf("/board without a token answered %d", code)
	}
	w.waitFor("the board to show the bug in progress", 10*time.Second, func() bool {
		code, body := board("/api/v1/bugs", boardToken)
		return code == http.StatusOK && strings.Contains(body, w.bugs[0]) && strings.Contains(body, "In Progress")
	})
	if code, body := board("/board", boardToken); code != http.StatusOK || !strings.Contains(body, w.bugs[0]) {
		t.Fatalf("/board answered %d:\n%.300s", code, body)
	}
	if code, _ := r.stop(syscall.SIGTERM, 20*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
}

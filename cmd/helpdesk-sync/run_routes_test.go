package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
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
	if code, _ := board("/api/v1/unknown", ""); code != http.StatusUnauthorized {
		t.Fatalf("an unknown API path without a token answered %d", code)
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

// With http.admin_listen, the operators' routes leave the public listener:
// metrics, pprof and readiness details are served on the admin address
// only, the webhooks and board on the public one only, and an unknown API
// path is refused for want of credentials before it is looked up.
func TestRunAdminListener(t *testing.T) {
	w := newWorld(t, 1, 3,
		"HELPDESK_SYNC_WEBHOOKS_ENABLED=true", "HELPDESK_SYNC_WEBHOOKS_JIRA_SECRET=jira-webhook-secret-for-the-test",
		"HELPDESK_SYNC_BOARD_ENABLED=true", "HELPDESK_SYNC_BOARD_TOKEN=board-token-for-the-test",
		"HELPDESK_SYNC_HTTP_ADMIN_LISTEN=127.0.0.1:0", "HELPDESK_SYNC_HTTP_PPROF=true")
	r := w.start("replica")
	if r.adminAddr == r.addr {
		t.Fatalf("no admin listener: both on %s", r.addr)
	}
	fetch := func(method, addr, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	w.waitFor("readiness", 20*time.Second, func() bool { code, _ := r.readyz(); return code == http.StatusOK })
	tests := []struct {
		method, addr, path string
		code               int
		has, hasNot        string
	}{
		{"GET", r.addr, "/healthz", 200, `"alive"`, ""},
		{"GET", r.addr, "/readyz", 200, `"status": "ready"`, `"checks"`},
		{"GET", r.addr, "/metrics", 404, "", ""},
		{"GET", r.addr, "/debug/pprof/", 404, "", ""},
		{"POST", r.addr, "/webhooks/jira", 401, "", ""},
		{"GET", r.addr, "/board", 401, "", ""},
		{"GET", r.addr, "/api/v1/unknown", 401, "", ""},
		{"GET", r.adminAddr, "/healthz", 200, `"alive"`, ""},
		{"GET", r.adminAddr, "/readyz", 200, `"name": "redis"`, ""},
		{"GET", r.adminAddr, "/metrics", 200, "helpdesk_sync_", ""},
		{"GET", r.adminAddr, "/debug/pprof/", 200, "goroutine", ""},
		{"POST", r.adminAddr, "/webhooks/jira", 404, "", ""},
		{"GET", r.adminAddr, "/board", 404, "", ""},
	}
	for _, tt := range tests {
		code, body := fetch(tt.method, tt.addr, tt.path)
		if code != tt.code || !strings.Contains(body, tt.has) || (tt.hasNot != "" && strings.Contains(body, tt.hasNot)) {
			where := "public"
			if tt.addr == r.adminAddr {
				where = "admin"
			}
			t.Errorf("%s %s on the %s listener: %d\n%.300s", tt.method, tt.path, where, code, body)
		}
	}
	if code, _ := r.stop(syscall.SIGTERM, 20*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
}

// When Redis accepts connections and never answers, /readyz still answers
// within a second or so (well inside a probe's timeout), 503, naming the
// check that did not answer; and so does the next probe while the first
// check still hangs.
func TestReadyzAnswersWhenRedisStalls(t *testing.T) {
	stall := stallingServer(t)
	w := newWorld(t, 1, 1, "HELPDESK_SYNC_REDIS_URL=redis://"+stall+"/0")
	r := w.start("replica")
	for probe := 1; probe <= 3; probe++ {
		start := time.Now()
		code, body := r.readyz()
		took := time.Since(start)
		t.Logf("probe %d: %d in %s", probe, code, took.Round(time.Millisecond))
		// The deadline is 1s; the margin is for a loaded machine.
		if took > 3*time.Second {
			t.Errorf("probe %d took %s; the readiness deadline is 1s", probe, took.Round(time.Millisecond))
		}
		var rd struct {
			Checks []struct {
				Name  string `json:"name"`
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			} `json:"checks"`
		}
		if err := json.Unmarshal([]byte(body), &rd); err != nil {
			t.Fatalf("probe %d: %d %s", probe, code, body)
		}
		named := false
		for _, c := range rd.Checks {
			named = named || c.Name == "redis" && !c.OK && c.Error != ""
		}
		if code != http.StatusServiceUnavailable || !named {
			t.Fatalf("probe %d: %d, want 503 naming the redis check:\n%s", probe, code, body)
		}
	}
}

// stallingServer accepts TCP connections and never answers, as a Redis
// stalled by a long command or a dead network path does; it returns its
// address.
func stallingServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

package jiratest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

func TestRateLimitAndFaults(t *testing.T) {
	srv, clk := start(t)
	srv.SetTimeScale(0.01) // a 10 ms window on the site clock
	srv.SetRateLimit(jiratest.RateLimit{Requests: 2})
	for i := range 2 {
		if status, _, h := call(t, srv, "GET", "/rest/api/2/myself", ""); status != 200 || h.Get("X-RateLimit-Remaining") != []string{"1", "0"}[i] {
			t.Fatalf("request %d: %d, remaining %q", i, status, h.Get("X-RateLimit-Remaining"))
		}
	}
	status, b, h := call(t, srv, "GET", "/rest/api/2/myself", "")
	if status != 429 || h.Get("RateLimit-Reason") != "jira-burst-based" || h.Get("X-RateLimit-Limit") != "2" ||
		h.Get("Retry-After") != "0.01" || h.Get("X-RateLimit-Reset") != "2025-03-01T10:00Z" || !strings.Contains(string(b), "errorMessages") {
		t.Fatalf("over budget: %d %v %s", status, h, b)
	}
	clk.Advance(10 * time.Millisecond)
	if status, _, _ := call(t, srv, "GET", "/rest/api/2/myself", ""); status != 200 {
		t.Fatalf("after the window: %d", status)
	}
	srv.ClearFaults()

	srv.InjectFault(jiratest.Fault{Method: "GET", Pattern: "/rest/api/2/myself", Times: 2, Status: 503, RetryAfter: 3 * time.Second})
	srv.SetTimeScale(1)
	for range 2 {
		if status, _, h := call(t, srv, "GET", "/rest/api/2/myself", ""); status != 503 || h.Get("Retry-After") != "3" {
			t.Fatalf("5xx burst: %d %v", status, h)
		}
	}
	if status, _, _ := call(t, srv, "GET", "/rest/api/2/myself", ""); status != 200 {
		t.Fatalf("after the burst: %d", status)
	}

	if n := srv.Count("GET", "/rest/api/2/myself"); n != 7 {
		t.Errorf("Count = %d, want 7", n)
	}
	srv.InjectFault(jiratest.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/rest/api/2/myself", nil)
	req.SetBasicAuth(jiratest.ServiceEmail, jiratest.ServiceToken)
	if _, err := srv.Client().Do(req); err == nil {
		t.Fatal("a hanging response returned")
	}
	// The hung request is logged once the site sees the client gone: wait
	// for it, or it could land in the log after the reset.
	for deadline := time.Now().Add(10 * time.Second); srv.Count("GET", "/rest/api/2/myself") < 8; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the hung request was never logged")
		}
	}
	srv.ResetLog()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests after ResetLog", n)
	}
}

func TestLatencyHoldsResponses(t *testing.T) {
	srv, _ := start(t)
	srv.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/rest/api/2/myself", nil)
	req.SetBasicAuth(jiratest.ServiceEmail, jiratest.ServiceToken)
	if _, err := srv.Client().Do(req); err == nil {
		t.Fatal("a response came back before the added latency")
	}
	srv.ClearFaults()
	if status, _, _ := call(t, srv, "GET", "/rest/api/2/myself", ""); status != 200 {
		t.Fatalf("after ClearFaults: %d", status)
	}
}

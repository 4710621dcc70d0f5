package zendesktest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	srv := newTestServer(t)
	srv.CreateTicket(Ticket{ID: 1})

	srv.Inject(Fault{Path: "/api/v2/tickets/{id}", Status: 503, RetryAfter: 3, Times: 2})
	for i := range 2 {
		resp, _ := call(t, srv, "GET", "/api/v2/tickets/1.json", nil, nil)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "3" {
			t.Fatalf("burst request %d: %d", i, resp.StatusCode)
		}
	}
	if resp, _ := call(t, srv, "GET", "/api/v2/tickets/1.json", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("after the burst: %d", resp.StatusCode)
	}

	// A fault for another endpoint leaves this one alone.
	srv.Inject(Fault{Method: "PUT", Status: 500})
	if resp, _ := call(t, srv, "GET", "/api/v2/tickets/1.json", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("GET hit by a PUT fault: %d", resp.StatusCode)
	}
	srv.ClearFaults()

	srv.Inject(Fault{Truncate: true})
	resp, body := call(t, srv, "GET", "/api/v2/tickets/1.json", nil, nil)
	if resp.StatusCode != 200 || json.Valid(body) || !strings.HasPrefix(string(body), `{"ticket":{`) {
		t.Fatalf("truncated: %d %s", resp.StatusCode, body)
	}
	srv.Inject(Fault{Malformed: true})
	resp, body = call(t, srv, "GET", "/api/v2/tickets/1.json", nil, nil)
	if resp.StatusCode != 200 || json.Valid(body) || resp.Header.Get("Content-Type") != "text/html" {
		t.Fatalf("malformed: %d %s", resp.StatusCode, body)
	}

	srv.Inject(Fault{Hang: true})
	client := &http.Client{Timeout: 50 * time.Millisecond}
	req, _ := newRequest(srv, "GET", "/api/v2/tickets/1.json")
	req.SetBasicAuth(DefaultEmail+"/token", DefaultToken)
	start := time.Now()
	if _, err := client.Do(req); err == nil {
		t.Fatal("hanging response answered")
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("hang outlived the client timeout by far")
	}

	srv.SetLatency(30 * time.Millisecond)
	start = time.Now()
	call(t, srv, "GET", "/api/v2/tickets/1.json", nil, nil)
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("latency not applied")
	}
	srv.SetLatency(0)
	// The hung request is logged once the server sees the client gone:
	// wait until the count is final.
	got := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if got = srv.Count("GET", "/api/v2/tickets/{id}"); got >= 8 {
			break
		}
	}
	if got != 8 {
		t.Fatalf("request log counted %d, want 8 (faulted requests included)", got)
	}
}

func TestCloseReleasesHangingRequests(t *testing.T) {
	srv := NewServer()
	srv.Inject(Fault{Hang: true})
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := newRequest(srv, "GET", "/api/v2/users/me.json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(20 * time.Millisecond)
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a hanging request")
	}
	<-done
}

func TestRateLimits(t *testing.T) {
	srv := newTestServer(t)
	srv.CreateTicket(Ticket{ID: 1})

	// Unenforced: headers on every response, counting against 700.
	resp, _ := call(t, srv, "GET", "/api/v2/tickets/1.json", nil, nil)
	for h, want := range map[string]string{"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "699",
		"ratelimit-limit": "700", "ratelimit-remaining": "699"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if reset, err := strconv.Atoi(resp.Header.Get("ratelimit-reset")); err != nil || reset < 1 || reset > 60 {
		t.Errorf("ratelimit-reset %q", resp.Header.Get("ratelimit-reset"))
	}

	// Endpoint budget: the export allows 3 here, then 429 with Retry-After
	// while the account budget still has room.
	srv.SetRateLimits(RateLimits{Account: 100, Export: 3, UpdateTicket: 2})
	for i := range 3 {
		if resp, _ := call(t, srv, "GET", "/api/v2/incremental/tickets/cursor.json?start_time=0", nil, nil); resp.StatusCode != 200 {
			t.Fatalf("export %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := call(t, srv, "GET", "/api/v2/incremental/tickets/cursor.json?start_time=0", nil, nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "exceeded") {
		t.Fatalf("4th export: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	// The organization export is one of "these endpoints" [ZD-INC].
	if resp, _ := call(t, srv, "GET", "/api/v2/incremental/organizations.json?start_time=0", nil, nil); resp.StatusCode != 429 {
		t.Fatalf("organization export past the export budget: %d", resp.StatusCode)
	}
	if resp, _ := call(t, srv, "GET", "/api/v2/tickets/1.json", nil, nil); resp.StatusCode != 200 ||
		resp.Header.Get("X-Rate-Limit-Remaining") != "96" {
		t.Fatalf("other endpoint: %d remaining %s", resp.StatusCode, resp.Header.Get("X-Rate-Limit-Remaining"))
	}
	for i := range 3 {
		resp, _ := call(t, srv, "PUT", "/api/v2/tickets/1.json", map[string]any{"ticket": map[string]any{"tags": []string{strconv.Itoa(i)}}}, nil)
		if want := map[bool]int{true: 200, false: 429}[i < 2]; resp.StatusCode != want {
			t.Fatalf("update %d: %d, want %d", i, resp.StatusCode, want)
		}
	}

	// Account budget, with a minute lasting one second: exhausted, then
	// refilled once Retry-After has passed.
	srv.SetRateLimits(RateLimits{Account: 5, TimeScale: 60})
	n, retryAfter := 0, ""
	for ; n < 10; n++ {
		if resp, _ := call(t, srv, "GET", "/api/v2/users/me.json", nil, nil); resp.StatusCode == 429 {
			if resp.Header.Get("X-Rate-Limit-Remaining") != "0" {
				t.Fatalf("remaining on 429: %q", resp.Header.Get("X-Rate-Limit-Remaining"))
			}
			retryAfter = resp.Header.Get("Retry-After")
			break
		}
	}
	if n != 5 || retryAfter != "1" {
		t.Fatalf("account budget let %d requests through (want 5), Retry-After %q (want 1)", n, retryAfter)
	}
	time.Sleep(1050 * time.Millisecond)
	if resp, _ := call(t, srv, "GET", "/api/v2/users/me.json", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("after the window: %d", resp.StatusCode)
	}
	srv.SetRateLimits(RateLimits{})
	for range 10 {
		if resp, _ := call(t, srv, "GET", "/api/v2/users/me.json", nil, nil); resp.StatusCode != 200 {
			t.Fatalf("limits off: %d", resp.StatusCode)
		}
	}
}

// The signature test vector of notes.md §5, computed with Python's hmac.
func TestSignatureVector(t *testing.T) {
	got := Signature("dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==", "2024-04-17T17:18:10Z",
		[]byte(`{"ticket_id":"123","status":"open"}`))
	if got != "5W0Vq29SZyd32qzvBOA58etDXg1N0MJRsnIzMj+LuEY=" {
		t.Fatalf("signature %s", got)
	}
}

func TestWebhooks(t *testing.T) {
	type received struct {
		header http.Header
		body   []byte
	}
	got := make(chan received, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Clone(), body}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(receiver.Close)

	srv := newTestServer(t, WithWebhook(Webhook{URL: receiver.URL, Secret: "s3cret", ID: "01HOOK"}))
	at := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	srv.SetNow(at)
	srv.CreateTicket(Ticket{ID: 123, Status: "open"})
	call(t, srv, "PUT", "/api/v2/tickets/123.json", map[string]any{"ticket": map[string]any{"status": "pending"}}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.FlushWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Deliveries()); n != 2 {
		t.Fatalf("%d deliveries, want 2", n)
	}
	<-got
	r := <-got
	var body map[string]string
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if body["ticket_id"] != "123" || body["status"] != "pending" || body["updated_at"] != "2025-05-01T10:00:01Z" {
		t.Fatalf("body %s", r.body)
	}
	ts := r.header.Get("X-Zendesk-Webhook-Signature-Timestamp")
	if ts != "2025-05-01T10:00:00Z" || r.header.Get("X-Zendesk-Webhook-Id") != "01HOOK" ||
		r.header.Get("User-Agent") != "Zendesk Webhook" || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", r.header)
	}
	if sig := r.header.Get("X-Zendesk-Webhook-Signature"); sig != Signature("s3cret", ts, r.body) {
		t.Fatalf("signature %s does not verify", sig)
	}
	if d := srv.Deliveries()[1]; d.TicketID != 123 || d.Status != 200 || d.Err != "" {
		t.Fatalf("delivery %+v", d)
	}

	srv.SetWebhook(Webhook{})
	srv.AddTags(123, "quiet")
	if err := srv.FlushWebhooks(ctx); err != nil || len(srv.Deliveries()) != 2 {
		t.Fatalf("webhook off: %d deliveries", len(srv.Deliveries()))
	}
}

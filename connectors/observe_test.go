package connectors

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// recorder keeps every RequestInfo it is given.
type recorder struct {
	mu    sync.Mutex
	infos []RequestInfo
}

func (r *recorder) ObserveRequest(i RequestInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.infos = append(r.infos, i)
}

func TestObserverSeesEveryAttempt(t *testing.T) {
	srv := newVendor(t,
		reply{status: 429, header: map[string]string{"Retry-After": "0.01", "X-Zendesk-Request-Id": "zd-1"}},
		reply{status: 200, header: map[string]string{"X-Rate-Limit-Remaining": "5", "X-Zendesk-Request-Id": "zd-2"}},
	)
	rec := &recorder{}
	var c1, c2 Counter
	tr := NewTransport(fast(Options{Vendor: "zendesk", Observer: Observers{rec, &c1, &c2}}))
	req, _ := http.NewRequest("PUT", srv.URL+"/api/v2/tickets/42.json", strings.NewReader(`{}`))
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	want := []RequestInfo{
		{Vendor: "zendesk", Method: "PUT", Route: "/api/v2/tickets/{id}.json", Status: 429, Attempt: 1, WillRetry: true,
			RetryAfter: 10 * time.Millisecond, RateLimitRemaining: -1, VendorRequestID: "zd-1"},
		{Vendor: "zendesk", Method: "PUT", Route: "/api/v2/tickets/{id}.json", Status: 200, Attempt: 2,
			RateLimitRemaining: 5, VendorRequestID: "zd-2"},
	}
	if len(rec.infos) != len(want) {
		t.Fatalf("observer called %d times, want %d", len(rec.infos), len(want))
	}
	for i, got := range rec.infos {
		if got.Duration <= 0 {
			t.Errorf("attempt %d: duration %s", i+1, got.Duration)
		}
		got.Duration = 0
		if got != want[i] {
			t.Errorf("attempt %d:\n got %+v\nwant %+v", i+1, got, want[i])
		}
	}
	for _, c := range []*Counter{&c1, &c2} {
		if n := c.Count("PUT", "/api/v2/tickets/{id}.json"); n != 2 || c.Total() != 2 {
			t.Errorf("counter: %d PUTs, %d in all; want 2 and 2", n, c.Total())
		}
	}
}

func TestObserverSeesTransportError(t *testing.T) {
	srv := newVendor(t, reply{drop: true})
	rec := &recorder{}
	tr := NewTransport(fast(Options{Observer: rec}))
	req, _ := http.NewRequest("POST", srv.URL+"/rest/api/2/issue/ABC-1/comment", strings.NewReader(`{}`))
	if _, err := tr.RoundTrip(req); err == nil {
		t.Fatal("no error")
	}
	if len(rec.infos) != 1 {
		t.Fatalf("observer called %d times, want 1", len(rec.infos))
	}
	if i := rec.infos[0]; i.Status != 0 || i.Err == nil || i.WillRetry || i.RateLimitRemaining != -1 {
		t.Errorf("info %+v, want status 0 with the error, no retry", i)
	}
}

func TestCounter(t *testing.T) {
	var c Counter
	if c.Total() != 0 || c.Count("GET", "/x") != 0 || len(c.Snapshot()) != 0 {
		t.Fatal("zero Counter is not empty")
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			method := []string{"GET", "PUT"}[i%2]
			c.ObserveRequest(RequestInfo{Method: method, Route: "/api/v2/tickets/{id}.json"})
		})
	}
	wg.Wait()
	c.ObserveRequest(RequestInfo{Method: "POST", Route: "/rest/api/2/issue/{key}/remotelink"})
	want := map[string]int{
		"GET /api/v2/tickets/{id}.json":           25,
		"PUT /api/v2/tickets/{id}.json":           25,
		"POST /rest/api/2/issue/{key}/remotelink": 1,
	}
	snap := c.Snapshot()
	if fmt.Sprint(snap) != fmt.Sprint(want) || c.Total() != 51 || c.Count("PUT", "/api/v2/tickets/{id}.json") != 25 {
		t.Errorf("snapshot %v total %d, want %v total 51", snap, c.Total(), want)
	}
	snap["GET /api/v2/tickets/{id}.json"] = 0
	if c.Count("GET", "/api/v2/tickets/{id}.json") != 25 {
		t.Error("Snapshot shares the counter's map")
	}
}

func TestLogsOneLinePerAttemptWithoutSecrets(t *testing.T) {
	srv := newVendor(t,
		reply{status: 502, header: map[string]string{"X-Arequestid": "jira-req-1"}, body: "secret body out"},
		reply{status: 200, header: map[string]string{"X-Arequestid": "jira-req-2"}},
	)
	core, logs := observer.New(zapcore.DebugLevel)
	tr := NewTransport(fast(Options{Vendor: "jira", Logger: zap.New(core)}))
	req, _ := http.NewRequest("PUT", srv.URL+"/rest/api/2/issue/ABC-7?token=s3cr3t-query", strings.NewReader(`{"secret":"s3cr3t-body"}`))
	req.Header.Set("Authorization", "Basic czNjcjN0LWF1dGg=")
	req.Header.Set("X-Request-Id", "ours-1")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	var debug, warn int
	for _, e := range logs.All() {
		line := e.Message + fmt.Sprint(e.ContextMap())
		for _, secret := range []string{"s3cr3t", "czNjcjN0", "Basic", "secret body", "ABC-7", "token="} {
			if strings.Contains(line, secret) {
				t.Errorf("log line %q reveals %q", line, secret)
			}
		}
		f := e.ContextMap()
		if f["vendor"] != "jira" || f["method"] != "PUT" || f["route"] != "/rest/api/2/issue/{key}" {
			t.Errorf("log line %q lacks vendor, method or route: %v", e.Message, f)
		}
		switch e.Level {
		case zapcore.DebugLevel:
			debug++
			if f["request_id"] != "ours-1" {
				t.Errorf("debug line without our request id: %v", f)
			}
		case zapcore.WarnLevel:
			warn++
			if f["status"] != int64(502) || f["attempt"] != int64(1) || f["vendor_request_id"] != "jira-req-1" || f["wait"] == nil {
				t.Errorf("retry line %v lacks status, attempt, wait or vendor request id", f)
			}
		}
	}
	if debug != 2 || warn != 1 {
		t.Errorf("%d debug and %d warn lines, want 2 (one per attempt) and 1 (one per retry)", debug, warn)
	}
	if got := srv.requests(); len(got) != 2 {
		t.Errorf("server received %d requests", len(got))
	}
}

func TestRequestIDHeadersAreNotInvented(t *testing.T) {
	var seen http.Header
	srv := newVendor(t)
	tr := NewTransport(fast(Options{Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen = r.Header.Clone()
		return http.DefaultTransport.RoundTrip(r)
	})}))
	req, _ := http.NewRequest("GET", srv.URL+"/api/v2/tickets/1.json", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(seen) != 0 {
		t.Errorf("the transport added headers: %v", seen)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

package connectors

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// reply is one scripted answer of the test server.
type reply struct {
	status int
	header map[string]string
	body   string
	hang   bool // wait for the client to give up
	drop   bool // close the connection without answering
}

// received is what the server saw of one request.
type received struct {
	method, path, body string
	user               string // of Basic auth
	at                 time.Time
}

// vendor is an httptest server that answers from a script (the last reply
// repeats) and records every request it receives.
type vendor struct {
	*httptest.Server
	mu      sync.Mutex
	script  []reply
	got     []received
	arrived chan struct{}
}

func newVendor(t testing.TB, script ...reply) *vendor {
	t.Helper()
	v := &vendor{script: script, arrived: make(chan struct{}, 1024)}
	v.Server = httptest.NewServer(http.HandlerFunc(v.serve))
	t.Cleanup(v.Close)
	return v
}

func (v *vendor) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v.mu.Lock()
	n := len(v.got)
	user, _, _ := r.BasicAuth()
	v.got = append(v.got, received{method: r.Method, path: r.URL.RequestURI(), body: string(body), user: user, at: time.Now()})
	rep := reply{status: http.StatusOK}
	if len(v.script) > 0 {
		rep = v.script[min(n, len(v.script)-1)]
	}
	v.mu.Unlock()
	select {
	case v.arrived <- struct{}{}:
	default:
	}
	switch {
	case rep.hang:
		<-r.Context().Done()
		return
	case rep.drop:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	for k, val := range rep.header {
		w.Header().Set(k, val)
	}
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

func (v *vendor) requests() []received {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]received(nil), v.got...)
}

// fast are options whose waits are short enough for tests.
func fast(o Options) Options {
	if o.Vendor == "" {
		o.Vendor = "test"
	}
	if o.BaseDelay == 0 {
		o.BaseDelay = time.Millisecond
	}
	if o.MaxDelay == 0 {
		o.MaxDelay = 5 * time.Millisecond
	}
	return o
}

func TestRetryRules(t *testing.T) {
	const payload = `{"comment":{"body":"hello"}}`
	tests := []struct {
		name       string
		method     string
		noGetBody  bool
		idempotent bool
		appends    bool // marked WithNotIdempotent
		script     []reply
		maxAtt     int
		wantSent   int
		wantStatus int  // of the returned response
		wantErr    bool // an error instead of a response
	}{
		{name: "GET 503 then 200", method: "GET", script: []reply{{status: 503, header: map[string]string{"Retry-After": "0"}}, {status: 200}}, wantSent: 2, wantStatus: 200},
		{name: "POST 429 is resent", method: "POST", script: []reply{{status: 429, header: map[string]string{"Retry-After": "0.01"}}, {status: 201}}, wantSent: 2, wantStatus: 201},
		{name: "POST 503 is resent", method: "POST", script: []reply{{status: 503}, {status: 201}}, wantSent: 2, wantStatus: 201},
		{name: "POST 500 goes back", method: "POST", script: []reply{{status: 500, body: "boom"}, {status: 201}}, wantSent: 1, wantStatus: 500},
		{name: "POST 502 goes back", method: "POST", script: []reply{{status: 502}, {status: 201}}, wantSent: 1, wantStatus: 502},
		{name: "idempotent POST 500 is resent", method: "POST", idempotent: true, script: []reply{{status: 500}, {status: 200}}, wantSent: 2, wantStatus: 200},
		{name: "PUT 500 is resent", method: "PUT", script: []reply{{status: 500}, {status: 200}}, wantSent: 2, wantStatus: 200},
		{name: "appending PUT 500 goes back", method: "PUT", appends: true, script: []reply{{status: 500}, {status: 200}}, wantSent: 1, wantStatus: 500},
		{name: "appending PUT 429 is resent", method: "PUT", appends: true, script: []reply{{status: 429, header: map[string]string{"Retry-After": "0"}}, {status: 200}}, wantSent: 2, wantStatus: 200},
		{name: "DELETE 504 is resent", method: "DELETE", script: []reply{{status: 504}, {status: 204}}, wantSent: 2, wantStatus: 204},
		{name: "GET 501 is final", method: "GET", script: []reply{{status: 501}, {status: 200}}, wantSent: 1, wantStatus: 501},
		{name: "GET 404 is final", method: "GET", script: []reply{{status: 404}, {status: 200}}, wantSent: 1, wantStatus: 404},
		{name: "PUT 409 is final", method: "PUT", script: []reply{{status: 409}, {status: 200}}, wantSent: 1, wantStatus: 409},
		{name: "no GetBody, no retry", method: "PUT", noGetBody: true, script: []reply{{status: 503}, {status: 200}}, wantSent: 1, wantStatus: 503},
		{name: "last response after max attempts", method: "PUT", maxAtt: 3, script: []reply{{status: 502, body: "still down"}}, wantSent: 3, wantStatus: 502},
		{name: "GET dropped connection is resent", method: "GET", script: []reply{{drop: true}, {status: 200}}, wantSent: 2, wantStatus: 200},
		{name: "POST dropped connection is an error", method: "POST", script: []reply{{drop: true}, {status: 201}}, wantSent: 1, wantErr: true},
		{name: "GET dropped every time is an error", method: "GET", maxAtt: 2, script: []reply{{drop: true}}, wantSent: 2, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newVendor(t, tc.script...)
			tr := NewTransport(fast(Options{MaxAttempts: tc.maxAtt}))
			ctx := context.Background()
			if tc.idempotent {
				ctx = WithIdempotent(ctx)
			}
			if tc.appends {
				ctx = WithNotIdempotent(ctx)
			}
			var body io.Reader
			if tc.method == "POST" || tc.method == "PUT" {
				body = strings.NewReader(payload)
			}
			req, err := http.NewRequestWithContext(ctx, tc.method, srv.URL+"/api/v2/tickets/7.json?secret=s3cr3t", body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.noGetBody {
				req.GetBody = nil
			}
			resp, err := tr.RoundTrip(req)
			got := srv.requests()
			if len(got) != tc.wantSent {
				t.Errorf("server received %d requests, want %d", len(got), tc.wantSent)
			}
			for i, r := range got {
				if body != nil && r.body != payload {
					t.Errorf("request %d carried body %q, want %q", i+1, r.body, payload)
				}
			}
			if tc.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got status %d, want an error", resp.StatusCode)
				}
				for _, leak := range []string{"s3cr3t", "secret=", "/7.json"} {
					if strings.Contains(err.Error(), leak) {
						t.Errorf("error %q reveals %q", err, leak)
					}
				}
				if !strings.Contains(err.Error(), tc.method+" /api/v2/tickets/{id}.json") {
					t.Errorf("error %q does not name the method and route", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			want := tc.script[min(tc.wantSent, len(tc.script))-1].body
			if b, _ := io.ReadAll(resp.Body); string(b) != want {
				t.Errorf("body %q, want %q (the last response, unread)", b, want)
			}
		})
	}
}

func TestAttemptTimeoutRetriesIdempotent(t *testing.T) {
	srv := newVendor(t, reply{hang: true}, reply{status: 200, body: "ok"})
	tr := NewTransport(fast(Options{AttemptTimeout: 50 * time.Millisecond}))
	req, _ := http.NewRequest("GET", srv.URL+"/rest/api/2/issue/ABC-1", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); string(b) != "ok" || len(srv.requests()) != 2 {
		t.Fatalf("body %q after %d requests, want ok after 2", b, len(srv.requests()))
	}
}

func TestCancelDuringRetryWait(t *testing.T) {
	srv := newVendor(t, reply{status: 429, header: map[string]string{"Retry-After": "30"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once the 429 is in hand, i.e. during the wait.
	tr := NewTransport(fast(Options{Observer: observerFunc(func(RequestInfo) { cancel() })}))
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/api/v2/tickets/update_many.json", bytes.NewReader([]byte(`{}`)))
	_, err := tr.RoundTrip(req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "status 429") {
		t.Errorf("error %q does not name the status it was waiting out", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server received %d requests, want 1", n)
	}
}

func TestWaitPastDeadlineReturnsResponse(t *testing.T) {
	srv := newVendor(t, reply{status: 429, header: map[string]string{"Retry-After": "60"}, body: "slow down"})
	tr := NewTransport(fast(Options{}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v2/tickets/1.json", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 429 || len(srv.requests()) != 1 {
		t.Fatalf("status %d after %d requests, want the 429 after 1", resp.StatusCode, len(srv.requests()))
	}
}

type observerFunc func(RequestInfo)

func (f observerFunc) ObserveRequest(i RequestInfo) { f(i) }

func errorsContain(err error, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			return false
		}
	}
	return true
}

func TestBodyReplayFailureIsReturned(t *testing.T) {
	srv := newVendor(t, reply{status: 503}, reply{status: 200})
	tr := NewTransport(fast(Options{}))
	req, _ := http.NewRequest("PUT", srv.URL+"/api/v2/tickets/3.json", strings.NewReader(`{"ticket":{}}`))
	req.GetBody = func() (io.ReadCloser, error) { return nil, errors.New("buffer gone") }
	_, err := tr.RoundTrip(req)
	if err == nil || !errorsContain(err, "replay body", "buffer gone", "PUT /api/v2/tickets/{id}.json") {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server received %d requests, want 1", n)
	}
}

// BenchmarkRoundTrip measures what the Transport adds to a request: the
// base answers at once, without a network.
func BenchmarkRoundTrip(b *testing.B) {
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{"X-Rate-Limit-Remaining": {"699"}}, Body: http.NoBody, Request: r}, nil
	})
	req, _ := http.NewRequest("GET", "https://acme.zendesk.com/api/v2/tickets/123.json?include=users", nil)
	run := func(b *testing.B, rt http.RoundTripper) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	b.Run("base", func(b *testing.B) { run(b, base) })
	b.Run("transport", func(b *testing.B) { run(b, NewTransport(Options{Base: base})) })
	b.Run("transport+counter+limit", func(b *testing.B) {
		run(b, NewTransport(Options{Base: base, Observer: &Counter{},
			Limits: []Limit{{Name: "account", Limiter: NewLocalLimiter(1<<30, time.Second, 1<<30)}}}))
	})
}

// BenchmarkLoopback puts the overhead beside a request over loopback, the
// cheapest a real request gets.
func BenchmarkLoopback(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Rate-Limit-Remaining", "699")
		_, _ = io.WriteString(w, `{"ticket":{"id":1}}`)
	}))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/api/v2/tickets/1.json", nil)
	for _, tc := range []struct {
		name string
		rt   http.RoundTripper
	}{
		{"base", defaultBase()},
		{"transport", NewTransport(Options{Observer: &Counter{}})},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, err := tc.rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

type idleCloser struct {
	http.RoundTripper
	closed int
}

func (c *idleCloser) CloseIdleConnections() { c.closed++ }

func TestCloseIdleConnectionsReachesTheBase(t *testing.T) {
	base := &idleCloser{RoundTripper: http.DefaultTransport}
	c := &http.Client{Transport: NewTransport(Options{Vendor: "zendesk", Base: base})}
	c.CloseIdleConnections()
	if base.closed != 1 {
		t.Fatalf("base transport's CloseIdleConnections called %d times, want 1", base.closed)
	}
	// A base without the method is left alone.
	NewTransport(Options{Vendor: "jira", Base: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, nil })}).CloseIdleConnections()
}

package slack

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack/slacktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
)

var t0 = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

var note = Message{Text: "hello", Blocks: []Block{section("hello")}}

// advanceWhenWaiting moves clk to each timer the code under test sets,
// until stop is closed, and reports the waits it saw.
func advanceWhenWaiting(clk *clocktest.Manual, stop <-chan struct{}) <-chan []time.Duration {
	out := make(chan []time.Duration, 1)
	go func() {
		var waits []time.Duration
		defer func() { out <- waits }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if ts := clk.Timers(); len(ts) > 0 {
				d := ts[0].Sub(clk.Now())
				waits = append(waits, d)
				clk.Advance(d)
			}
		}
	}()
	return out
}

func newTestClient(t *testing.T, url string, clk *clocktest.Manual, log *zap.Logger) *Client {
	t.Helper()
	c, err := NewClient(url, ClientOptions{Name: "ops", Clock: clk, Logger: log, MaxAttempts: 3, BaseDelay: time.Second, MaxRetryAfter: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.jitter = func(n int64) int64 { return n / 2 }
	return c
}

func TestClientRetries(t *testing.T) {
	for _, tc := range []struct {
		name      string
		replies   []slacktest.Reply
		waits     []time.Duration
		status    int // 0: success
		code      string
		temporary bool
		accepted  int
	}{
		{"ok", nil, nil, 0, "", false, 1},
		{"429 waits Retry-After", []slacktest.Reply{{Status: 429, Body: "rate_limited", RetryAfter: 3}}, []time.Duration{3 * time.Second}, 0, "", false, 1},
		{"429 past the bound goes back to the caller", []slacktest.Reply{{Status: 429, RetryAfter: 60}}, nil, 429, "", true, 0},
		{"500 backs off", []slacktest.Reply{{Status: 500, Body: "rollup_error"}, {Status: 503}}, []time.Duration{500 * time.Millisecond, time.Second}, 0, "", false, 1},
		{"500 until attempts run out", []slacktest.Reply{{Status: 500}, {Status: 500}, {Status: 500, Body: "rollup_error"}}, []time.Duration{500 * time.Millisecond, time.Second}, 500, "rollup_error", true, 0},
		{"410 is permanent", []slacktest.Reply{{Status: 410, Body: "channel_is_archived"}}, nil, 410, "channel_is_archived", false, 0},
		{"403 is permanent", []slacktest.Reply{{Status: 403, Body: "action_prohibited"}}, nil, 403, "action_prohibited", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := slacktest.New(t)
			srv.Then(tc.replies...)
			clk := clocktest.NewManual(t0)
			c := newTestClient(t, srv.WebhookURL(), clk, nil)
			stop := make(chan struct{})
			waits := advanceWhenWaiting(clk, stop)
			err := c.Post(context.Background(), note)
			close(stop)
			if got := <-waits; !equalDurations(got, tc.waits) {
				t.Errorf("waits %v, want %v", got, tc.waits)
			}
			if got := len(srv.Messages()); got != tc.accepted {
				t.Errorf("%d messages accepted, want %d", got, tc.accepted)
			}
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("Post: %v", err)
				}
				return
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Post = %v, want an *Error", err)
			}
			if se.Status != tc.status || se.Code != tc.code || se.Temporary() != tc.temporary {
				t.Errorf("error %+v, want status %d code %q temporary %v", se, tc.status, tc.code, tc.temporary)
			}
			if !tc.temporary && !strings.Contains(err.Error(), "permanent") {
				t.Errorf("error %q does not say it is permanent", err)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestClientRevokedWebhookSaysWhatToDo(t *testing.T) {
	srv := slacktest.New(t)
	c := newTestClient(t, srv.URL+"/services/T0/B0/revoked", clocktest.NewManual(t0), nil)
	err := c.Post(context.Background(), note)
	var se *Error
	if !errors.As(err, &se) || se.Status != http.StatusNotFound || se.Code != "no_service" || se.Temporary() {
		t.Fatalf("Post = %v, want a permanent 404 no_service", err)
	}
	if !strings.Contains(err.Error(), "create a new webhook") {
		t.Errorf("error %q gives no fix", err)
	}
}

// The webhook URL is a secret: no error, log line or %v of the client
// shows it, whatever goes wrong.
func TestWebhookURLNeverLeaks(t *testing.T) {
	srv := slacktest.New(t)
	secret := strings.TrimPrefix(slacktest.Hook, "/services/")
	core, logs := observer.New(zap.DebugLevel)
	clk := clocktest.NewManual(t0)
	c := newTestClient(t, srv.WebhookURL(), clk, zap.New(core))

	var errs []error
	// 500s then a 400 echoing nothing secret; retried, so logged.
	srv.Then(slacktest.Reply{Status: 500}, slacktest.Reply{Status: 410, Body: "channel_is_archived"})
	stop := make(chan struct{})
	done := advanceWhenWaiting(clk, stop)
	errs = append(errs, c.Post(context.Background(), note))
	// A server that is gone: net/http's error quotes the URL.
	dead := newTestClient(t, srv.WebhookURL(), clk, zap.New(core))
	srv.Close()
	errs = append(errs, dead.Post(context.Background(), note))
	close(stop)
	<-done
	// A cancelled context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs = append(errs, c.Post(ctx, note))
	_, err := NewClient("ftp://"+secret, ClientOptions{Name: "bad"})
	errs = append(errs, err)

	var seen []string
	for _, err := range errs {
		if err == nil {
			t.Fatal("a failing post returned nil")
		}
		seen = append(seen, err.Error())
	}
	for _, e := range logs.All() {
		seen = append(seen, e.Message)
		for k, v := range e.ContextMap() {
			seen = append(seen, k+"="+toString(v))
		}
	}
	seen = append(seen, c.String())
	if logs.Len() == 0 {
		t.Fatal("no retry was logged: the log check proves nothing")
	}
	for _, s := range seen {
		for _, part := range strings.Split(secret, "/") {
			if strings.Contains(s, part) {
				t.Errorf("secret part %q leaked in %q", part, s)
			}
		}
	}
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if e, ok := v.(error); ok {
		return e.Error()
	}
	return ""
}

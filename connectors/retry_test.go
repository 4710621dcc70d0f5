package connectors

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		status int
		want   time.Duration
		wantOK bool
	}{
		{"absent", nil, 429, 0, false},
		{"seconds", map[string]string{"Retry-After": "41"}, 429, 41 * time.Second, true},
		{"zero seconds", map[string]string{"Retry-After": "0"}, 503, 0, true},
		{"padded seconds", map[string]string{"Retry-After": " 3 "}, 429, 3 * time.Second, true},
		{"fractional seconds", map[string]string{"Retry-After": "0.25"}, 429, 250 * time.Millisecond, true},
		{"HTTP date", map[string]string{"Retry-After": "Mon, 02 Mar 2026 10:00:30 GMT"}, 503, 30 * time.Second, true},
		{"HTTP date in the past", map[string]string{"Retry-After": "Mon, 02 Mar 2026 09:59:00 GMT"}, 503, 0, true},
		{"RFC 850 date", map[string]string{"Retry-After": "Monday, 02-Mar-26 10:00:05 GMT"}, 503, 5 * time.Second, true},
		{"garbage", map[string]string{"Retry-After": "soon"}, 429, 0, false},
		{"negative", map[string]string{"Retry-After": "-5"}, 429, 0, false},
		{"hex is not seconds", map[string]string{"Retry-After": "0x10"}, 429, 0, false},
		{"exponent is not seconds", map[string]string{"Retry-After": "1e3"}, 429, 0, false},
		{"NaN", map[string]string{"Retry-After": "NaN"}, 429, 0, false},
		{"huge is capped", map[string]string{"Retry-After": "99999999999999999999"}, 429, maxHold, true},
		{"huge integer is capped", map[string]string{"Retry-After": "86400"}, 429, maxHold, true},
		{"Beta-Retry-After when Retry-After is absent", map[string]string{"Beta-Retry-After": "7"}, 429, 7 * time.Second, true},
		{"Retry-After wins over Beta-Retry-After", map[string]string{"Retry-After": "2", "Beta-Retry-After": "7"}, 429, 2 * time.Second, true},
		{"garbage Retry-After falls back to Beta", map[string]string{"Retry-After": "x", "Beta-Retry-After": "7"}, 429, 7 * time.Second, true},
		{"Zendesk ratelimit-reset on a 429", map[string]string{"ratelimit-reset": "12"}, 429, 12 * time.Second, true},
		{"Jira X-RateLimit-Reset on a 429", map[string]string{"X-RateLimit-Reset": "2026-03-02T10:01Z"}, 429, time.Minute, true},
		{"RFC 3339 X-RateLimit-Reset", map[string]string{"X-RateLimit-Reset": "2026-03-02T10:00:09.5Z"}, 429, 9500 * time.Millisecond, true},
		{"X-RateLimit-Reset with offset", map[string]string{"X-RateLimit-Reset": "2026-03-02T11:00+0100"}, 429, 0, true},
		{"garbage X-RateLimit-Reset", map[string]string{"X-RateLimit-Reset": "tomorrow"}, 429, 0, false},
		{"reset headers ignored on a 503", map[string]string{"ratelimit-reset": "12"}, 503, 0, false},
		{"Retry-After wins over reset", map[string]string{"Retry-After": "1", "ratelimit-reset": "12"}, 429, time.Second, true},
	}
	p := retryPolicy{maxAttempts: 5, baseDelay: time.Second, maxDelay: time.Minute, jitter: func(n int64) int64 { return n - 1 }}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			req, _ := http.NewRequest("GET", "http://vendor.test/x", nil)
			v := p.decide(req, &http.Response{StatusCode: tc.status, Header: h}, nil, 1, now)
			if !v.retry {
				t.Fatalf("a %d is not retried", tc.status)
			}
			if v.retryAfter != tc.want {
				t.Errorf("retryAfter = %s, want %s", v.retryAfter, tc.want)
			}
			wantWait := tc.want
			if !tc.wantOK {
				wantWait = p.backoff(1) // absent or garbage: backoff
			}
			if v.wait != wantWait {
				t.Errorf("wait = %s, want %s", v.wait, wantWait)
			}
		})
	}
}

func TestBackoffIsExponentialWithFullJitter(t *testing.T) {
	top := func(n int64) int64 { return n - 1 }
	bottom := func(int64) int64 { return 0 }
	p := retryPolicy{maxAttempts: 100, baseDelay: 250 * time.Millisecond, maxDelay: 30 * time.Second}
	tests := []struct {
		attempt int
		ceiling time.Duration
	}{
		{1, 250 * time.Millisecond},
		{2, 500 * time.Millisecond},
		{3, time.Second},
		{5, 4 * time.Second},
		{8, 30 * time.Second}, // 32s capped
		{64, 30 * time.Second},
		{1000, 30 * time.Second}, // no overflow
	}
	for _, tc := range tests {
		p.jitter = top
		if got := p.backoff(tc.attempt); got != tc.ceiling-1 {
			t.Errorf("attempt %d: longest wait %s, want just under %s", tc.attempt, got, tc.ceiling)
		}
		p.jitter = bottom
		if got := p.backoff(tc.attempt); got != 0 {
			t.Errorf("attempt %d: shortest wait %s, want 0 (full jitter)", tc.attempt, got)
		}
	}
	p.jitter = defaultJitter
	for range 1000 {
		if d := p.backoff(3); d < 0 || d >= time.Second {
			t.Fatalf("backoff(3) = %s, outside [0, 1s)", d)
		}
	}
}

func TestIdempotency(t *testing.T) {
	tests := []struct {
		method string
		ctx    context.Context
		header string
		want   bool
	}{
		{"GET", context.Background(), "", true},
		{"HEAD", context.Background(), "", true},
		{"OPTIONS", context.Background(), "", true},
		{"PUT", context.Background(), "", true},
		{"DELETE", context.Background(), "", true},
		{"POST", context.Background(), "", false},
		{"PATCH", context.Background(), "", false},
		{"POST", WithIdempotent(context.Background()), "", true},
		{"PATCH", WithIdempotent(context.Background()), "", true},
		{"PUT", WithNotIdempotent(context.Background()), "", false},
		{"POST", WithNotIdempotent(context.Background()), "Idempotency-Key", false},
		{"POST", WithNotIdempotent(WithIdempotent(context.Background())), "", false},
		{"POST", context.Background(), "Idempotency-Key", true},
		{"POST", context.Background(), "X-Idempotency-Key", true},
	}
	for _, tc := range tests {
		req, _ := http.NewRequestWithContext(tc.ctx, tc.method, "http://vendor.test/x", nil)
		if tc.header != "" {
			req.Header.Set(tc.header, "k1")
		}
		if got := idempotent(req); got != tc.want {
			t.Errorf("%s (header %q, marked %v): idempotent = %v, want %v", tc.method, tc.header, tc.ctx != context.Background(), got, tc.want)
		}
	}
}

func TestDecideAtLastAttempt(t *testing.T) {
	p := retryPolicy{maxAttempts: 3, baseDelay: time.Millisecond, maxDelay: time.Second, jitter: defaultJitter}
	req, _ := http.NewRequest("GET", "http://vendor.test/x", nil)
	resp := &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"4"}}}
	if v := p.decide(req, resp, nil, 2, time.Now()); !v.retry {
		t.Error("attempt 2 of 3 is not retried")
	}
	v := p.decide(req, resp, nil, 3, time.Now())
	if v.retry {
		t.Error("attempt 3 of 3 is retried")
	}
	if v.retryAfter != 4*time.Second {
		t.Errorf("retryAfter = %s at the last attempt, want the vendor's 4s reported anyway", v.retryAfter)
	}
}

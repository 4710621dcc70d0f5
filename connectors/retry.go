package connectors

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxHold bounds any wait a vendor header can impose, so a garbage or
// far-future value cannot stall the service for longer than an hour (Jira's
// longest documented quota window).
const maxHold = time.Hour

type idempotentKey struct{}

// WithIdempotent marks the requests made with ctx as safe to resend after a
// 5xx, a timeout or a connection error, whatever their method. Use it for
// requests the vendor treats as upserts, e.g. a Jira remote-link POST that
// carries a globalId.
func WithIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// WithNotIdempotent marks the requests made with ctx as unsafe to resend
// after a 5xx, a timeout or a connection error, whatever their method: for
// a PUT that appends (a Zendesk ticket update carrying a comment without
// safe_update). 429 and 503 are still retried: the vendor did nothing.
func WithNotIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, false)
}

// idempotent reports whether resending req cannot do a thing twice. A
// context marking wins; then the method; then, like net/http's own retry
// rule, an Idempotency-Key header makes any method idempotent.
func idempotent(req *http.Request) bool {
	if v, ok := req.Context().Value(idempotentKey{}).(bool); ok {
		return v
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
}

// replayable reports whether req's body can be sent again.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// verdict is what the transport does after one attempt.
type verdict struct {
	retry      bool
	wait       time.Duration // before the next attempt, when retry
	retryAfter time.Duration // what the vendor asked for; 0 when it did not
	reason     string        // why it retries, for the log
}

// retryPolicy is the pure part of the retry rules: what to do after an
// attempt, given the response or error it produced.
type retryPolicy struct {
	maxAttempts         int
	baseDelay, maxDelay time.Duration
	jitter              func(n int64) int64 // uniform in [0, n); rand.Int64N in production
}

// decide applies the rules in the package documentation. It never looks at
// the context: the caller caps the wait by the context's deadline.
func (p retryPolicy) decide(req *http.Request, resp *http.Response, err error, attempt int, now time.Time) verdict {
	var v verdict
	var hinted bool
	if resp != nil {
		v.retryAfter, hinted = retryAfter(resp.Header, now)
		if !hinted && resp.StatusCode == http.StatusTooManyRequests {
			// A 429 without Retry-After: the window's end is the next
			// moment the vendor will take a request. Only for a 429, since
			// Zendesk sends ratelimit-reset on every response.
			v.retryAfter, hinted = resetIn(resp.Header, now)
		}
	}
	if attempt >= p.maxAttempts || !replayable(req) {
		return v
	}
	switch {
	case err != nil:
		if !idempotent(req) {
			return v
		}
		v.reason = "transport error"
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		// The vendor refused the request without processing it, so even a
		// POST is safe to send again.
		v.reason = "throttled"
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented &&
		resp.StatusCode != http.StatusHTTPVersionNotSupported:
		// The vendor may have applied the request before failing: only an
		// idempotent request can be resent blindly. 501 and 505 will not
		// change on a retry.
		if !idempotent(req) {
			return v
		}
		v.reason = "server error"
	default:
		return v
	}
	v.retry = true
	if hinted {
		v.wait = v.retryAfter
	} else {
		v.wait = p.backoff(attempt)
	}
	return v
}

// backoff is exponential backoff with full jitter: a uniform wait in
// [0, min(maxDelay, baseDelay·2^(attempt-1))), so that many clients throttled
// together do not come back together.
func (p retryPolicy) backoff(attempt int) time.Duration {
	ceiling := p.maxDelay
	if attempt-1 < 62 {
		if d := p.baseDelay << (attempt - 1); d > 0 && d < ceiling {
			ceiling = d
		}
	}
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(p.jitter(int64(ceiling)))
}

func defaultJitter(n int64) int64 { return rand.Int64N(n) }

// retryAfter reads how long the vendor asked us to wait: Retry-After
// (seconds or an HTTP date), else Jira's Beta-Retry-After (seconds; what
// Jira would ask once its point quotas are enforced). ok is false when
// neither is present and valid.
func retryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	if d, ok := parseRetryAfter(header(h, "Retry-After"), now); ok {
		return d, true
	}
	return parseSeconds(header(h, "Beta-Retry-After"))
}

// resetIn reads when the current rate-limit window ends: Zendesk's
// ratelimit-reset (seconds) or Jira's X-RateLimit-Reset (an ISO 8601
// instant).
func resetIn(h http.Header, now time.Time) (time.Duration, bool) {
	if d, ok := parseSeconds(header(h, "Ratelimit-Reset")); ok {
		return d, true
	}
	if t, ok := parseInstant(header(h, "X-Ratelimit-Reset")); ok {
		return clampHold(t.Sub(now)), true
	}
	return 0, false
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3). Fractional seconds are accepted too: Jira's simulator
// sends them when it runs on a scaled clock.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if d, ok := parseSeconds(v); ok {
		return d, true
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return clampHold(t.Sub(now)), true
}

func parseSeconds(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(maxHold/time.Second) {
			return maxHold, true
		}
		return time.Duration(n) * time.Second, true
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < 0 || strings.ContainsAny(v, "eExXpP_") {
		return 0, false
	}
	return clampHold(time.Duration(math.Min(f, maxHold.Seconds()) * float64(time.Second))), true
}

// isoLayouts are the ISO 8601 forms seen in X-RateLimit-Reset: Jira
// documents yyyy-MM-ddTHH:mmZ; full RFC 3339 is accepted too.
var isoLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z0700"}

func parseInstant(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func clampHold(d time.Duration) time.Duration {
	return min(max(d, 0), maxHold)
}

// header is h.Get for a name already in canonical form: response headers are
// read on every attempt, and canonicalising constant names is wasted work.
func header(h http.Header, canonical string) string {
	if v := h[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}

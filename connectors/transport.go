// Package connectors holds the HTTP plumbing both vendor adapters share: a
// Transport that goes under go-zendesk's and go-jira's *http.Client and
// retries, honours Retry-After, keeps to client-side and vendor-announced
// rate limits, names endpoints for metrics and reports every attempt.
//
// The retry rules:
//
//   - 429 and 503 are retried whatever the method: the vendor refused the
//     request without processing it. The wait is Retry-After (seconds or an
//     HTTP date), else Jira's Beta-Retry-After, else for a 429 the end of
//     the rate-limit window (ratelimit-reset, X-RateLimit-Reset), else
//     exponential backoff with full jitter.
//   - Other 5xx, timeouts and connection errors are retried with backoff
//     only for idempotent requests: GET, HEAD, OPTIONS, PUT, DELETE, a
//     request carrying an Idempotency-Key, or one made with a context from
//     WithIdempotent (and not from WithNotIdempotent). A POST that got a 500
//     may have been applied, so its response goes back to the caller.
//   - A request whose body cannot be replayed (no GetBody) is never retried.
//   - A wait that would outlast the context's deadline is not started: the
//     caller gets the vendor's response at once, to reschedule the work.
//   - After the last attempt the caller gets the last response, unread, or
//     the last error.
package connectors

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
)

// Options configure a Transport. The zero value of each field is a usable
// default.
type Options struct {
	Vendor      string            // "zendesk" or "jira": a metric label and log field
	Base        http.RoundTripper // nil: a clone of http.DefaultTransport tuned for one API host
	Limits      []Limit           // every matching limit is waited on before each attempt
	MaxAttempts int               // first try included; default 5
	// BaseDelay and MaxDelay shape the backoff; default 250ms and 30s.
	BaseDelay, MaxDelay time.Duration
	AttemptTimeout      time.Duration              // bounds each attempt up to the response headers and body; default 30s
	Observer            Observer                   // nil: none
	Route               func(*http.Request) string // endpoint label; default RouteTemplate
	Logger              *zap.Logger                // nil: no logs
}

// Transport is an http.RoundTripper for one vendor's API. It is safe for
// concurrent use; share one per vendor so that its limits and its view of
// the vendor's rate-limit window cover every request.
type Transport struct {
	vendor         string
	base           http.RoundTripper
	limits         []Limit
	policy         retryPolicy
	attemptTimeout time.Duration
	observer       Observer
	route          func(*http.Request) string
	log            *zap.Logger
	hold           gate
}

var _ http.RoundTripper = (*Transport)(nil)

// CloseIdleConnections closes the base transport's idle connections
// (http.Client.CloseIdleConnections calls it). A connection dialled for a
// request that another one then served sits idle without ever sending a
// request, and a server shutting down gracefully waits 5 s for those.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// NewTransport returns a Transport configured by opts.
func NewTransport(opts Options) *Transport {
	t := &Transport{
		vendor:         opts.Vendor,
		base:           opts.Base,
		limits:         slices.Clone(opts.Limits),
		attemptTimeout: opts.AttemptTimeout,
		observer:       opts.Observer,
		route:          opts.Route,
		log:            opts.Logger,
		policy: retryPolicy{
			maxAttempts: opts.MaxAttempts,
			baseDelay:   opts.BaseDelay,
			maxDelay:    opts.MaxDelay,
			jitter:      defaultJitter,
		},
	}
	for _, l := range t.limits {
		if l.Limiter == nil {
			panic(fmt.Sprintf("connectors: %s limit %q has no Limiter", opts.Vendor, l.Name))
		}
	}
	if t.base == nil {
		t.base = defaultBase()
	}
	if t.policy.maxAttempts <= 0 {
		t.policy.maxAttempts = 5
	}
	if t.policy.baseDelay <= 0 {
		t.policy.baseDelay = 250 * time.Millisecond
	}
	if t.policy.maxDelay <= 0 {
		t.policy.maxDelay = 30 * time.Second
	}
	if t.attemptTimeout <= 0 {
		t.attemptTimeout = 30 * time.Second
	}
	if t.route == nil {
		t.route = RouteTemplate
	}
	if t.log == nil {
		t.log = zap.NewNop()
	}
	t.log = t.log.With(zap.String("vendor", t.vendor))
	return t
}

// defaultBase keeps more idle connections per host than net/http's default
// of 2: the adapters talk to one host from many goroutines, and a closed
// connection costs a TLS handshake.
func defaultBase() http.RoundTripper {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 100
	tr.MaxIdleConnsPerHost = 32
	return tr
}

// RoundTrip sends req, again if the rules in the package documentation allow,
// and returns the last response or error.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := call{Transport: t, req: req, ctx: req.Context(), route: t.route(req)}
	defer c.closeUnsentBody()
	for attempt := 1; ; attempt++ {
		resp, cancel, elapsed, err := c.send(attempt)
		if cancel == nil {
			return nil, err // not sent
		}
		v, late := c.judge(resp, err, attempt)
		info := t.observe(req, c.route, resp, err, attempt, elapsed, v)
		if !v.retry {
			return c.finish(resp, cancel, err, info, v, late)
		}
		if resp != nil {
			discard(resp.Body)
		}
		cancel()
		t.log.Warn("vendor request retried",
			zap.String("method", req.Method), zap.String("route", c.route), zap.Int("status", info.Status),
			zap.Int("attempt", attempt), zap.Duration("wait", v.wait), zap.String("reason", v.reason),
			zap.String("vendor_request_id", info.VendorRequestID), errField(err))
		if err := clock.Sleep(c.ctx, v.wait); err != nil {
			return nil, c.errorf("waiting %s to retry after status %d: %w", v.wait.Round(time.Millisecond), info.Status, err)
		}
	}
}

// call is one RoundTrip: a request and its attempts.
type call struct {
	*Transport
	req      *http.Request
	ctx      context.Context
	route    string
	bodySent bool // req.Body was handed to the base, which closes it
}

// send waits for the limits and makes one attempt, under its own timeout.
// cancel ends the attempt's context; it is nil when nothing was sent.
func (c *call) send(attempt int) (resp *http.Response, cancel context.CancelFunc, elapsed time.Duration, err error) {
	var slots []heldSlot
	var actx context.Context
	for {
		if slots, err = c.admit(c.ctx, c.req, c.route); err != nil {
			return nil, nil, 0, c.errorf("attempt %d: %w", attempt, err)
		}
		actx, cancel = context.WithTimeout(c.ctx, c.attemptTimeout)
		if fresh(slots, time.Now()) {
			break
		}
		// A slot waited on another limit too long to cover the attempt:
		// give them all back and ask again.
		cancel()
		c.release(slots, unsent)
	}
	body := c.req.Body
	if attempt > 1 && body != nil && body != http.NoBody {
		if body, err = c.req.GetBody(); err != nil {
			cancel()
			c.release(slots, unsent)
			return nil, nil, 0, c.errorf("replay body for attempt %d: %w", attempt, err)
		}
	}
	c.bodySent = true
	areq := c.req.WithContext(actx)
	areq.Body = body
	start := time.Now()
	resp, err = c.base.RoundTrip(areq)
	if err != nil && resp != nil {
		// A RoundTripper must not return both; trust the error.
		resp.Body.Close()
		resp = nil
	}
	how := answered
	if resp == nil && actx.Err() != nil {
		how = unknown
	}
	c.release(slots, how)
	return resp, cancel, time.Since(start), err
}

// judge decides whether to retry. late reports a retry given up because
// its wait would outlast the context's deadline.
func (c *call) judge(resp *http.Response, err error, attempt int) (v verdict, late bool) {
	v = c.policy.decide(c.req, resp, err, attempt, time.Now())
	if v.retry && c.ctx.Err() != nil {
		v.retry = false
	}
	if deadline, ok := c.ctx.Deadline(); v.retry && ok && time.Until(deadline) < v.wait {
		v.retry, late = false, true
	}
	return v, late
}

// finish hands the caller the last attempt's outcome. The response body
// keeps the attempt's context alive until it is closed.
func (c *call) finish(resp *http.Response, cancel context.CancelFunc, err error, info RequestInfo, v verdict, late bool) (*http.Response, error) {
	if err != nil {
		cancel()
		return nil, c.errorf("attempt %d: %w", info.Attempt, scrub(err))
	}
	if late {
		c.log.Warn("vendor request not retried: the wait outlasts the deadline",
			zap.String("method", c.req.Method), zap.String("route", c.route), zap.Int("status", info.Status),
			zap.Int("attempt", info.Attempt), zap.Duration("wait", v.wait), zap.String("vendor_request_id", info.VendorRequestID))
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// closeUnsentBody keeps RoundTrip's promise to close the request body even
// when it never sends it.
func (c *call) closeUnsentBody() {
	if !c.bodySent && c.req.Body != nil {
		_ = c.req.Body.Close()
	}
}

// errorf prefixes an error with vendor, method and route: never the URL,
// whose query may hold secrets.
func (c *call) errorf(format string, args ...any) error {
	return fmt.Errorf("%s %s %s: "+format, append([]any{c.vendor, c.req.Method, c.route}, args...)...)
}

// admitLead bounds the time from a held slot's grant to the start of the
// attempt that uses it: the slot counts the request as in flight until
// admitLead + AttemptTimeout after its grant, by which the attempt has
// ended. A slot older than that when the attempt would start (it waited
// for another limit) is given back and asked for again.
const admitLead = time.Second

// heldSlot is a slot of a named limit, for the log.
type heldSlot struct {
	limit string
	slot
}

// fresh reports whether every held slot still covers an attempt that
// starts at now.
func fresh(slots []heldSlot, now time.Time) bool {
	for _, s := range slots {
		if now.Sub(s.asked) > admitLead {
			return false
		}
	}
	return true
}

// admit waits for the vendor's window to reopen and for every matching
// client-side limit, and returns the slots held for the attempt.
func (c *call) admit(ctx context.Context, req *http.Request, route string) ([]heldSlot, error) {
	if waited, err := c.hold.wait(ctx); err != nil {
		return nil, err
	} else if waited > 0 {
		c.log.Debug("held until the vendor's rate-limit window reset",
			zap.String("method", req.Method), zap.String("route", route), zap.Duration("waited", waited))
	}
	var slots []heldSlot
	for _, l := range c.limits {
		if !l.matches(req) {
			continue
		}
		h, holds := l.Limiter.(holder)
		if !holds {
			if err := l.Limiter.Wait(ctx); err != nil {
				c.release(slots, unsent)
				return nil, fmt.Errorf("rate limit %q: %w", l.Name, err)
			}
			continue
		}
		s, err := h.hold(ctx, admitLead+c.attemptTimeout)
		if err != nil {
			c.release(slots, unsent)
			return nil, fmt.Errorf("rate limit %q: %w", l.Name, err)
		}
		if s.release != nil {
			slots = append(slots, heldSlot{limit: l.Name, slot: s})
		}
	}
	return slots, nil
}

// releaseTimeout bounds giving a slot back; a slot not given back counts
// until its bound, which only costs the budget.
const releaseTimeout = 2 * time.Second

// release tells each slot's budget how its request ended. It runs after
// the caller may have given up, so on a context of its own.
func (c *call) release(slots []heldSlot, how outcome) {
	if len(slots) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), releaseTimeout)
	defer cancel()
	for _, s := range slots {
		if err := s.release(ctx, how); err != nil {
			c.log.Warn("rate limit slot not released: it counts as in flight until its bound",
				zap.String("limit", s.limit), zap.String("method", c.req.Method), zap.String("route", c.route), zap.Error(err))
		}
	}
}

// observe reads what the attempt tells about the vendor's limits, closes the
// gate when the window is spent, reports to the Observer and logs at debug.
func (t *Transport) observe(req *http.Request, route string, resp *http.Response, err error,
	attempt int, elapsed time.Duration, v verdict) RequestInfo {
	info := RequestInfo{
		Vendor: t.vendor, Method: req.Method, Route: route, Duration: elapsed, Attempt: attempt,
		WillRetry: v.retry, RetryAfter: v.retryAfter, RateLimitRemaining: -1, Err: err,
	}
	if resp != nil {
		info.Status = resp.StatusCode
		info.RateLimitRemaining = remaining(resp.Header)
		info.VendorRequestID = vendorRequestID(resp.Header)
		if info.RateLimitRemaining == 0 {
			t.holdForReset(resp, req, route)
		}
	}
	if t.observer != nil {
		t.observer.ObserveRequest(info)
	}
	if ce := t.log.Check(zap.DebugLevel, "vendor request"); ce != nil {
		ce.Write(zap.String("method", req.Method), zap.String("route", route), zap.Int("status", info.Status),
			zap.Int("attempt", attempt), zap.Duration("duration", elapsed), zap.Int("ratelimit_remaining", info.RateLimitRemaining),
			zap.String("vendor_request_id", info.VendorRequestID), zap.String("request_id", req.Header.Get("X-Request-Id")),
			errField(err))
	}
	return info
}

// holdForReset closes the gate until the window the response reports as
// spent resets: Retry-After when present, else the reset headers.
func (t *Transport) holdForReset(resp *http.Response, req *http.Request, route string) {
	now := time.Now()
	d, ok := retryAfter(resp.Header, now)
	if !ok {
		d, ok = resetIn(resp.Header, now)
	}
	if !ok || d <= 0 {
		return
	}
	if !t.hold.holdUntil(now.Add(d), now) {
		return
	}
	t.log.Info("vendor rate-limit window spent: holding requests until it resets",
		zap.String("method", req.Method), zap.String("route", route), zap.Int("status", resp.StatusCode),
		zap.Duration("hold", d))
}

// vendorRequestID is the id the vendor gave the request, for support cases:
// Zendesk's X-Zendesk-Request-Id, Jira's X-Arequestid, or X-Request-Id.
func vendorRequestID(h http.Header) string {
	for _, name := range [...]string{"X-Zendesk-Request-Id", "X-Arequestid", "X-Request-Id"} {
		if v := header(h, name); v != "" {
			return v
		}
	}
	return ""
}

// cancelOnClose ends the attempt's context when the caller is done with the
// body, not before: the body is still streaming when RoundTrip returns.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// discard reads a little of a body we will not use, so that the connection
// can be reused, and closes it.
func discard(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 64<<10)
	_ = body.Close()
}

// scrub drops the URL from a *url.Error a custom Base may return: its query
// string can hold credentials.
func scrub(err error) error {
	if ue, ok := err.(*url.Error); ok && ue.Err != nil {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

func errField(err error) zap.Field {
	if err == nil {
		return zap.Skip()
	}
	return zap.Error(scrub(err))
}

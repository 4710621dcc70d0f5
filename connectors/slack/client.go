package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
)

// ClientOptions configure a Client. The zero value of each field is a
// usable default.
type ClientOptions struct {
	// Name labels the webhook in errors and logs (the URL never appears);
	// default "slack".
	Name   string
	HTTP   *http.Client // default: a client with a 10s timeout per attempt
	Clock  clock.Clock  // waits between attempts; default clock.Real
	Logger *zap.Logger  // default: none
	// MaxAttempts bounds the posts per Post call, first included; default 4.
	MaxAttempts int
	// BaseDelay and MaxDelay shape the backoff after a 5xx or transport
	// error; default 1s and 30s.
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After waited out inside Post; a
	// longer one is returned as a temporary *Error carrying it, for the
	// caller to reschedule. Default 60s.
	MaxRetryAfter time.Duration
}

// Client posts messages to one incoming webhook. It is safe for
// concurrent use.
type Client struct {
	url    string // secret: never in an error or a log line
	name   string
	http   *http.Client
	clock  clock.Clock
	log    *zap.Logger
	tries  int
	base   time.Duration
	cap    time.Duration
	maxRA  time.Duration
	jitter func(n int64) int64
}

// NewClient returns a Client for webhookURL. The error for a malformed URL
// names the webhook, not the URL.
func NewClient(webhookURL string, opts ClientOptions) (*Client, error) {
	name := opts.Name
	if name == "" {
		name = "slack"
	}
	u, err := url.Parse(webhookURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("slack webhook %q: the URL is not an http(s) URL (expected https://hooks.slack.com/services/…)", name)
	}
	c := &Client{url: webhookURL, name: name, http: opts.HTTP, clock: opts.Clock, log: opts.Logger,
		tries: opts.MaxAttempts, base: opts.BaseDelay, cap: opts.MaxDelay, maxRA: opts.MaxRetryAfter,
		jitter: rand.Int64N}
	if c.http == nil {
		c.http = &http.Client{Timeout: 10 * time.Second}
	}
	if c.clock == nil {
		c.clock = clock.Real{}
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	c.log = c.log.With(zap.String("webhook", name))
	if c.tries <= 0 {
		c.tries = 4
	}
	if c.base <= 0 {
		c.base = time.Second
	}
	if c.cap <= 0 {
		c.cap = 30 * time.Second
	}
	if c.maxRA <= 0 {
		c.maxRA = 60 * time.Second
	}
	return c, nil
}

// String names the webhook without its URL, so a Client in a log field or
// a %v is safe.
func (c *Client) String() string { return "slack webhook " + strconv.Quote(c.name) }

// Name is the webhook's configured name.
func (c *Client) Name() string { return c.name }

// Post sends m, retrying as the package documentation says, and returns
// nil once Slack answered 200. Any error is an *Error.
func (c *Client) Post(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return &Error{Webhook: c.name, Err: fmt.Errorf("encode the message: %w", err)}
	}
	for attempt := 1; ; attempt++ {
		e := c.once(ctx, body)
		if e == nil {
			return nil
		}
		if !e.Temporary() || attempt >= c.tries || ctx.Err() != nil {
			return e
		}
		wait := e.RetryAfter
		if e.Status != http.StatusTooManyRequests || wait == 0 {
			wait = c.backoff(attempt)
		}
		if wait > c.maxRA {
			return e // Slack asks for longer than we hold a post open
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			// The context's deadline is wall time whatever clock waits.
			return e
		}
		c.log.Warn("slack post retried", zap.Int("status", e.Status), zap.String("code", e.Code),
			zap.Int("attempt", attempt), zap.Duration("wait", wait), zap.String("error", e.Error()))
		select {
		case <-ctx.Done():
			return &Error{Webhook: c.name, Status: e.Status, Code: e.Code, Err: ctx.Err()}
		case <-c.clock.After(wait):
		}
	}
}

// backoff is exponential with full jitter: uniform in [0, min(cap, base·2^(attempt-1))).
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.cap
	if attempt-1 < 32 {
		if d := c.base << (attempt - 1); d > 0 && d < ceiling {
			ceiling = d
		}
	}
	return time.Duration(c.jitter(int64(ceiling)))
}

// once makes one post and classifies the outcome.
func (c *Client) once(ctx context.Context, body []byte) *Error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return &Error{Webhook: c.name, Err: c.redact(err)}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := c.http.Do(req)
	if err != nil {
		return &Error{Webhook: c.name, Err: c.redact(err)}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	e := &Error{Webhook: c.name, Status: resp.StatusCode, Code: c.code(raw)}
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
	}
	return e
}

// code is Slack's error string from a response body ("channel_is_archived"),
// kept short and to printable ASCII so a body cannot flood or forge a log.
func (c *Client) code(raw []byte) string {
	s := strings.TrimSpace(c.scrub(string(raw)))
	if len(s) > 100 {
		s = s[:100]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

// retryAfter reads delay-seconds; Slack sends whole seconds. A missing or
// malformed value is 0 (the caller backs off instead).
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(min(n, 24*3600)) * time.Second
}

// redact turns a transport error into one that cannot leak the URL:
// net/http's *url.Error quotes it in full.
func (c *Client) redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return redacted{msg: c.scrub(err.Error()), err: err}
}

// scrub removes the URL and its path (the secret part) from s.
func (c *Client) scrub(s string) string {
	s = strings.ReplaceAll(s, c.url, "[webhook url]")
	if u, err := url.Parse(c.url); err == nil && len(u.Path) > 1 {
		s = strings.ReplaceAll(s, u.Path, "[webhook path]")
		s = strings.ReplaceAll(s, u.EscapedPath(), "[webhook path]")
	}
	return s
}

type redacted struct {
	msg string
	err error
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return r.err }

package connectors

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
)

// Limit is a client-side budget: every request it matches waits on Limiter
// before each attempt, retries included.
type Limit struct {
	Name    string                   // for logs and errors, e.g. "account" or "export"
	Match   func(*http.Request) bool // nil matches every request
	Limiter Limiter
}

func (l Limit) matches(r *http.Request) bool { return l.Match == nil || l.Match(r) }

// Limiter blocks until one more request fits its budget, or ctx ends.
type Limiter interface {
	Wait(ctx context.Context) error
}

// NewLocalLimiter is a token bucket in this process: events per period on
// average, up to burst at once. Any window of length per sees at most
// events+burst requests, so keep burst small where the vendor counts fixed
// windows.
func NewLocalLimiter(events int, per time.Duration, burst int) Limiter {
	return rate.NewLimiter(rate.Every(per/time.Duration(max(events, 1))), max(burst, 1))
}

// holder is a Limiter whose budget counts a request from its grant until
// its answer is back (see windowLog); the Transport takes such a budget's
// slots with hold, and reports how each request ended.
type holder interface {
	// hold waits like Wait. The slot counts the request as in flight until
	// flight after the grant, or until the slot is released.
	hold(ctx context.Context, flight time.Duration) (slot, error)
}

// slot is a request's place in a budget.
type slot struct {
	// asked is when (this process's clock) the ask that was granted went
	// out: the grant is no earlier, so the slot counts the request as in
	// flight until at least asked + flight.
	asked time.Time
	// release ends the slot; nil when the budget does not hold requests.
	release func(ctx context.Context, how outcome) error
}

// outcome is how a request that held a slot ended.
type outcome int

const (
	// unsent: never handed to the network; the slot is freed.
	unsent outcome = iota
	// answered: a response came back, or the way to the vendor failed
	// (refused, reset); whatever reached the vendor did so by now.
	answered
	// unknown: the attempt was cut by its timeout or its caller; it may
	// reach the vendor until its flight bound, and counts until then.
	unknown
)

// redisLimiter is a budget kept in Redis and shared by every replica.
// Vendor budgets keep a log of the requests in flight or answered in the
// last window (see window.go); a budget beyond any vendor's is a GCRA one,
// of which one round trip takes a chunk of slots that this process hands
// out until they lapse.
type redisLimiter struct {
	key string
	// ask takes up to chunk slots, or says how long until the next one;
	// member names a slot of the window log ("" for a chunk).
	ask   func(ctx context.Context, flight time.Duration) (granted int, member string, retryAfter time.Duration, err error)
	log   *windowLog    // nil for a chunked budget
	chunk int           // slots taken per round trip
	span  time.Duration // how long a chunk's slots stay usable

	mu     sync.Mutex
	left   int       // slots taken and not yet handed out
	lapses time.Time // when they stop being usable

	// turn lets one waiter of this process at a time ask Redis: waiters
	// that all sleep until the same next slot wake together, one wins and
	// the rest sleep again, and a slot nobody claims in time is lost.
	turn chan struct{}
	// lead is how much before its slot a waiter asks again (ns): a timer
	// fires late and the answer takes a round trip, and the time by which
	// a slot is claimed late is lost to the budget.
	lead     atomic.Int64
	interval time.Duration // between two slots on average
}

// minWait keeps a waiter told "now" by a rounded RetryAfter from spinning.
const minWait = 100 * time.Microsecond

// chunkFrom is the rate from which a budget is drawn in chunks of
// chunkSpan. Below it every request takes its own slot in the window log,
// which is what keeps a vendor's windows, however short, from being
// overrun. Above it the budget is beyond any vendor's (a way of saying
// there is none), and a request a round trip would make Redis the
// bottleneck.
const (
	chunkFrom = 10_000 // requests a second
	chunkSpan = 10 * time.Millisecond
	maxChunk  = 1 << 16
)

// NewRedisLimiter is a budget of events per period shared by every process
// that uses the same Redis and key: each replica's requests count against
// one budget. Through a Transport, a request counts from its grant until
// its answer is back and for a period after, so no period of the vendor's,
// fixed or sliding, sees more than events requests arrive, however late
// a request goes out or long it takes on the way (see windowLog); within
// that, requests go as soon as they are ready: a poll after a quiet minute
// reads its export pages at once. Wait alone counts a request from its
// grant only. A budget of 10,000 a second or more is taken from a GCRA
// budget a chunk of 10 ms at a time, which saves a round trip per request
// and lets a second hold 1% more. key is used as is (put the service's key
// prefix in it); the log is kept at key+":log", so that replicas of a
// release that kept a GCRA budget at key do not meet a key of another type
// while both run.
func NewRedisLimiter(rdb redis.UniversalClient, key string, events int, per time.Duration) Limiter {
	events = max(events, 1)
	l := &redisLimiter{key: key, chunk: 1, turn: make(chan struct{}, 1), interval: per / time.Duration(events)}
	if float64(events)/per.Seconds() < chunkFrom {
		l.log = newWindowLog(rdb, key+":log", events, per)
		l.ask = func(ctx context.Context, flight time.Duration) (int, string, time.Duration, error) {
			member, retryAfter, err := l.log.take(ctx, flight)
			if member == "" {
				return 0, "", retryAfter, err
			}
			return 1, member, 0, nil
		}
		return l
	}
	l.chunk = min(maxChunk, int(float64(events)*float64(chunkSpan)/float64(per)))
	l.span = l.interval * time.Duration(l.chunk)
	rl := redis_rate.NewLimiter(unprefixed{rdb})
	limit := redis_rate.Limit{Rate: events, Period: per, Burst: l.chunk}
	l.ask = func(ctx context.Context, _ time.Duration) (int, string, time.Duration, error) {
		res, err := rl.AllowN(ctx, key, limit, l.chunk)
		if err != nil {
			return 0, "", 0, err
		}
		return res.Allowed, "", res.RetryAfter, nil
	}
	return l
}

// Wait takes a slot that counts from its grant, as though its request were
// answered at once.
func (l *redisLimiter) Wait(ctx context.Context) error {
	_, err := l.hold(ctx, 0)
	return err
}

func (l *redisLimiter) hold(ctx context.Context, flight time.Duration) (slot, error) {
	if l.takeLeft() {
		return slot{asked: time.Now()}, nil
	}
	select {
	case l.turn <- struct{}{}:
		defer func() { <-l.turn }()
	case <-ctx.Done():
		return slot{}, ctx.Err()
	}
	if l.takeLeft() { // a chunk came while this one waited its turn
		return slot{asked: time.Now()}, nil
	}
	slept := false
	var late time.Duration // how late the last sleep ended
	for {
		asked := time.Now()
		granted, member, retryAfter, err := l.ask(ctx, flight)
		if err != nil {
			return slot{}, fmt.Errorf("redis rate limit %q: %w", l.key, err)
		}
		if slept {
			l.learn(late + time.Since(asked))
		}
		if granted > 0 {
			l.keep(granted - 1)
			return slot{asked: asked, release: l.releaser(member)}, nil
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < retryAfter {
			return slot{}, fmt.Errorf("redis rate limit %q: next slot in %s is past the deadline: %w",
				l.key, retryAfter.Round(time.Millisecond), context.DeadlineExceeded)
		}
		wait := max(retryAfter-time.Duration(l.lead.Load()), minWait)
		wake := time.Now().Add(wait)
		if err := clock.Sleep(ctx, wait); err != nil {
			return slot{}, err
		}
		slept, late = true, time.Since(wake)
	}
}

// releaser ends member's slot in the window log; nil for a chunk's slot,
// which nothing holds.
func (l *redisLimiter) releaser(member string) func(context.Context, outcome) error {
	if member == "" {
		return nil
	}
	return func(ctx context.Context, how outcome) error {
		var err error
		switch how {
		case unsent:
			err = l.log.unsent(ctx, member)
		case answered:
			err = l.log.answered(ctx, member)
		default:
			return nil
		}
		if err != nil {
			return fmt.Errorf("redis rate limit %q: release a slot: %w", l.key, err)
		}
		return nil
	}
}

// learn moves lead towards d, a sleep's lateness plus the round trip after
// it, by an eighth, and keeps it under a quarter of a slot (and 2 ms): a
// waiter that asks too early only asks once more.
func (l *redisLimiter) learn(d time.Duration) {
	old := time.Duration(l.lead.Load())
	next := old + (d-old)/8
	l.lead.Store(int64(min(max(next, 0), l.interval/4, 2*time.Millisecond)))
}

// takeLeft hands out a slot of the current chunk, if one is left and the
// chunk has not lapsed: a slot kept past its span would be spent in a
// window Redis has already granted to others.
func (l *redisLimiter) takeLeft() bool {
	if l.chunk == 1 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.left == 0 || !time.Now().Before(l.lapses) {
		l.left = 0
		return false
	}
	l.left--
	return true
}

// keep holds the rest of a chunk just granted, replacing what is left of
// an older one.
func (l *redisLimiter) keep(n int) {
	if n <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.left, l.lapses = n, time.Now().Add(l.span)
}

// unprefixed hands redis_rate our keys unchanged. redis_rate puts "rate:" in
// front of every key, which would take the budget out of the service's key
// prefix (and out of the key patterns a Redis ACL grants the service).
type unprefixed struct{ redis.UniversalClient }

const rateKeyPrefix = "rate:"

func trimKeys(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.TrimPrefix(k, rateKeyPrefix)
	}
	return out
}

func (u unprefixed) Eval(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return u.UniversalClient.Eval(ctx, script, trimKeys(keys), args...)
}

func (u unprefixed) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return u.UniversalClient.EvalSha(ctx, sha1, trimKeys(keys), args...)
}

func (u unprefixed) EvalRO(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return u.UniversalClient.EvalRO(ctx, script, trimKeys(keys), args...)
}

func (u unprefixed) EvalShaRO(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return u.UniversalClient.EvalShaRO(ctx, sha1, trimKeys(keys), args...)
}

func (u unprefixed) Del(ctx context.Context, keys ...string) *redis.IntCmd {
	return u.UniversalClient.Del(ctx, trimKeys(keys)...)
}

// gate holds every request until a moment the vendor named: when a response
// says no request is left in the window, the next one would only bounce off
// a 429, so the Transport waits for the window to reset instead.
type gate struct {
	until atomic.Int64 // unix nanoseconds; 0 when open
}

// holdUntil closes the gate until t, unless it is already closed for
// longer. It reports whether the gate was open at now: whether this starts
// a hold rather than extending one.
func (g *gate) holdUntil(t, now time.Time) (started bool) {
	n := t.UnixNano()
	for {
		cur := g.until.Load()
		if cur >= n {
			return false
		}
		if g.until.CompareAndSwap(cur, n) {
			return cur < now.UnixNano()
		}
	}
}

// wait returns once the gate is open, or with ctx's error. It reports how
// long it waited.
func (g *gate) wait(ctx context.Context) (time.Duration, error) {
	var waited time.Duration
	for {
		until := g.until.Load()
		if until == 0 {
			return waited, nil
		}
		d := time.Until(time.Unix(0, until))
		if d <= 0 {
			return waited, nil
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
			return waited, fmt.Errorf("vendor rate limit resets in %s, past the deadline: %w",
				d.Round(time.Millisecond), context.DeadlineExceeded)
		}
		if err := clock.Sleep(ctx, d); err != nil {
			return waited, err
		}
		waited += d
	}
}

// remaining reads the vendor's count of requests left in the window:
// Zendesk's X-Rate-Limit-Remaining / ratelimit-remaining, Jira's
// X-RateLimit-Remaining. -1 when absent.
func remaining(h http.Header) int {
	for _, name := range [...]string{"X-Rate-Limit-Remaining", "Ratelimit-Remaining", "X-Ratelimit-Remaining"} {
		if v := header(h, name); v != "" {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
				return n
			}
		}
	}
	return -1
}

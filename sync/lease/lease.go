// Package lease elects one leader among the replicas that share a Redis: the
// holder of a lock key that it renews, with a fencing token that grows with
// every new leader.
//
// A leader acquires the lock (github.com/bsm/redislock), then, still holding
// it, increments the epoch key and writes the epoch into the lock's value.
// The token is that epoch: a later leader always holds a larger one. Check
// compares both the lock value and the epoch key with the leader's own, in
// one script, so a replica whose lease was lost or superseded by any later
// acquisition stops passing the fence at once.
//
// Under Redis Cluster the lock key and its epoch key must share a hash slot:
// give the key prefix a hash tag, e.g. "{helpdesk-sync}:leader".
package lease

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bsm/redislock"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
)

// ErrNotLeader is returned by Check when this replica does not hold the
// lease with its token.
var ErrNotLeader = errors.New("not the leader")

// errLost and errStopped are the causes of a leading context's end.
var (
	errLost    = errors.New("lease lost")
	errStopped = errors.New("lead returned")
)

// Lease campaigns for leadership on one key. Its methods are safe for
// concurrent use; Run is called once at a time.
type Lease struct {
	rdb      redis.UniversalClient
	locker   *redislock.Client
	key      string
	epochKey string
	ttl      time.Duration
	log      *zap.Logger

	running  atomic.Bool
	mu       sync.Mutex
	term     *term         // the current leadership, nil when standing by
	acquired chan struct{} // a value after each acquisition, until received
}

// term is one leadership: from acquisition to release or loss.
type term struct {
	lock  *redislock.Lock
	value string // the lock's value: redislock's token and ":<epoch>"
	token int64
	ctx   context.Context // ends when the term does
	end   context.CancelCauseFunc
	// deadline is when the leader steps down unless renewed; only the
	// renewing goroutine touches it once the term has begun.
	deadline time.Time
}

// New returns a Lease on key (e.g. "<prefix>leader"; the epoch lives at
// key+":epoch"). A leader that cannot renew within ttl steps down. ttl must
// be positive.
func New(rdb redis.UniversalClient, key string, ttl time.Duration, logger *zap.Logger) *Lease {
	if ttl <= 0 {
		panic(fmt.Sprintf("lease: non-positive ttl %s for %q", ttl, key))
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	return &Lease{
		rdb:      rdb,
		locker:   redislock.New(rdb),
		key:      key,
		epochKey: key + ":epoch",
		ttl:      ttl,
		log:      logger.With(zap.String("lease", key)),
		acquired: make(chan struct{}, 1),
	}
}

// Acquired receives after this replica acquires the lease (acquisitions
// not yet received make one value), so that the new leader starts its
// work at once instead of at its next periodic check.
func (l *Lease) Acquired() <-chan struct{} { return l.acquired }

// Run campaigns until ctx ends, then returns ctx's error. While this replica
// leads, Run calls lead with a context that ends the moment the lease is
// lost or can no longer be renewed in time, and with the fencing token of
// this leadership. When lead returns, Run releases the lease, so another
// replica can take over at once: if lead returned an error, Run returns it;
// if it returned nil, Run waits one retry interval (giving a standby the
// chance to lead) and campaigns again; if the lease was lost, Run campaigns
// again.
func (l *Lease) Run(ctx context.Context, lead func(ctx context.Context, token int64) error) error {
	if !l.running.CompareAndSwap(false, true) {
		return fmt.Errorf("lease %q: Run is already running", l.key)
	}
	defer l.running.Store(false)
	for {
		t, err := l.campaign(ctx)
		if err != nil {
			return err
		}
		lost, err := l.serve(ctx, t, lead)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case lost:
			continue
		case err != nil:
			return fmt.Errorf("lease %q: leader with token %d: %w", l.key, t.token, err)
		}
		if err := clock.Sleep(ctx, l.retryInterval()); err != nil {
			return err
		}
	}
}

// Do campaigns until this replica leads (or ctx ends), runs fn once while
// leading, releases the lease and returns fn's error: one-off commands
// that must not write beside a running leader. fn's context ends if the
// lease is lost meanwhile, and Do then says so with ErrNotLeader.
func (l *Lease) Do(ctx context.Context, fn func(ctx context.Context, token int64) error) error {
	if !l.running.CompareAndSwap(false, true) {
		return fmt.Errorf("lease %q: Run or Do is already running", l.key)
	}
	defer l.running.Store(false)
	t, err := l.campaign(ctx)
	if err != nil {
		return err
	}
	lost, err := l.serve(ctx, t, fn)
	if lost {
		return errors.Join(err, fmt.Errorf("lease %q: lost while leading with token %d: %w", l.key, t.token, ErrNotLeader))
	}
	return err
}

// Leading reports whether this replica holds the lease, as far as it knows
// without asking Redis; Check asks.
func (l *Lease) Leading() bool {
	t := l.current()
	return t != nil && t.ctx.Err() == nil
}

// Token is the fencing token of the current leadership, 0 when standing by.
func (l *Lease) Token() int64 {
	if t := l.current(); t != nil && t.ctx.Err() == nil {
		return t.token
	}
	return 0
}

// Check is the fence: it returns nil only if Redis still holds this
// replica's lease with its token and no later leader has been elected. The
// engine calls it before each batch of writes. A failed check ends the
// leadership; an error talking to Redis does not, but is not a pass either.
func (l *Lease) Check(ctx context.Context) error {
	t := l.current()
	if t == nil || t.ctx.Err() != nil {
		return fmt.Errorf("lease %q: %w", l.key, ErrNotLeader)
	}
	held, err := checkScript.Run(ctx, l.rdb, []string{l.key, l.epochKey}, t.value, t.token).Int()
	if err != nil {
		return fmt.Errorf("lease %q: check token %d: %w", l.key, t.token, err)
	}
	if held != 1 {
		t.end(errLost)
		l.log.Warn("lease lost: the fence refused our token", zap.Int64("epoch", t.token))
		return fmt.Errorf("lease %q: token %d: %w", l.key, t.token, ErrNotLeader)
	}
	return nil
}

func (l *Lease) current() *term {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.term
}

func (l *Lease) setCurrent(t *term) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.term = t
}

// retryInterval is how often a standby tries to acquire: a third of the TTL,
// jittered down to a sixth so that standbys do not try in lockstep. A dead
// leader's lease is taken over within ttl + ttl/3.
func (l *Lease) retryInterval() time.Duration {
	third := l.ttl / 3
	return third/2 + time.Duration(rand.Int64N(int64(third/2)+1))
}

// campaign tries to acquire until it does or ctx ends. Between attempts it
// waits a retry interval or for a leader's release notice, whichever comes
// first, so that a graceful handover is taken at once.
func (l *Lease) campaign(ctx context.Context) (*term, error) {
	sub := l.rdb.Subscribe(ctx, l.releasedChannel())
	defer sub.Close()
	released := sub.Channel()
	announced := false
	for {
		t, err := l.acquire(ctx)
		if err == nil {
			return t, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		switch {
		case !errors.Is(err, redislock.ErrNotObtained):
			l.log.Warn("lease campaign failed; retrying", zap.Error(err))
		case !announced:
			l.log.Info("standing by: another replica leads")
			announced = true
		}
		timer := time.NewTimer(l.retryInterval())
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		case _, ok := <-released:
			timer.Stop()
			if !ok {
				released = nil // subscription gone: the timer alone paces us
			}
		}
	}
}

// releasedChannel is where a leader announces a graceful release.
func (l *Lease) releasedChannel() string { return l.key + ":released" }

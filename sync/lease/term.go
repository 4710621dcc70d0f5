package lease

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/bsm/redislock"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// stampScript gives a lock just obtained its epoch: only while the lock
// still holds our token, it increments the epoch and appends it to the
// lock's value, keeping the lock's expiry. Tokens thus grow in the order
// leaders are elected.
var stampScript = redis.NewScript(`
if redis.call("get", KEYS[1]) ~= ARGV[1] then return false end
local epoch = redis.call("incr", KEYS[2])
redis.call("set", KEYS[1], ARGV[1] .. ":" .. epoch, "KEEPTTL")
return epoch
`)

// checkScript is the fence: the lock holds our value and no acquisition
// has incremented the epoch since ours.
var checkScript = redis.NewScript(`
if redis.call("get", KEYS[1]) == ARGV[1] and redis.call("get", KEYS[2]) == ARGV[2] then return 1 end
return 0
`)

// acquire takes the lease if it is free: obtain the lock, stamp it with the
// next epoch, re-obtain it through redislock with the stamped value (so
// that renewals and release compare the full value), and pass the fence
// once, which catches a lock that expired and was recreated between steps.
func (l *Lease) acquire(ctx context.Context) (*term, error) {
	lock, err := l.locker.Obtain(ctx, l.key, l.ttl, nil)
	if err != nil {
		return nil, err
	}
	abandon := func(cause error) (*term, error) {
		l.release(ctx, lock)
		return nil, cause
	}
	epoch, err := stampScript.Run(ctx, l.rdb, []string{l.key, l.epochKey}, lock.Token()).Int64()
	if errors.Is(err, redis.Nil) {
		return abandon(redislock.ErrNotObtained) // expired before the stamp
	} else if err != nil {
		return abandon(fmt.Errorf("stamp the epoch: %w", err))
	}
	start := time.Now()
	lock, err = l.locker.Obtain(ctx, l.key, l.ttl, &redislock.Options{Token: lock.Token(), Metadata: ":" + strconv.FormatInt(epoch, 10)})
	if err != nil {
		return nil, err
	}
	tctx, end := context.WithCancelCause(ctx)
	t := &term{lock: lock, value: lock.Token() + lock.Metadata(), token: epoch, ctx: tctx, end: end}
	held, err := checkScript.Run(ctx, l.rdb, []string{l.key, l.epochKey}, t.value, t.token).Int()
	if err != nil || held != 1 {
		end(errLost)
		if err == nil {
			err = redislock.ErrNotObtained // superseded while acquiring
		}
		return abandon(err)
	}
	t.deadline = start.Add(l.renewDeadline())
	return t, nil
}

// renewDeadline is how long after a renewal was sent the leader steps down
// if no later renewal succeeded: a fifth short of the TTL, so that the
// leader has stopped before Redis lets a standby in, whatever the delays of
// its own timers.
func (l *Lease) renewDeadline() time.Duration { return l.ttl - l.ttl/5 }

// serve runs lead for one term and releases the lease after. lost reports
// that the term ended because the lease was lost rather than because lead
// returned.
func (l *Lease) serve(ctx context.Context, t *term, lead func(context.Context, int64) error) (lost bool, err error) {
	l.log.Info("lease acquired: leading", zap.Int64("epoch", t.token))
	l.setCurrent(t)
	select {
	case l.acquired <- struct{}{}:
	default: // one is waiting already
	}
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		l.renew(t)
	}()

	err = lead(t.ctx, t.token)
	lost = errors.Is(context.Cause(t.ctx), errLost)
	t.end(errStopped)
	<-renewed
	l.setCurrent(nil)
	l.release(ctx, t.lock)
	switch {
	case lost:
		l.log.Warn("lease lost: stopped leading", zap.Int64("epoch", t.token))
	default:
		l.log.Info("lease released", zap.Int64("epoch", t.token), zap.Bool("error", err != nil))
	}
	return lost, err
}

// renew extends the lease every third of the TTL until the term ends. A
// renewal that fails for want of Redis is retried often until the renew
// deadline; one that Redis refuses (the lock is gone or someone else's)
// ends the term at once, as does the deadline passing.
func (l *Lease) renew(t *term) {
	every := l.ttl / 3
	retry := max(l.ttl/10, time.Millisecond)
	stepDown := time.AfterFunc(time.Until(t.deadline), func() { t.end(errLost) })
	defer stepDown.Stop()
	next := time.NewTimer(every)
	defer next.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-next.C:
		}
		start := time.Now()
		rctx, cancel := context.WithDeadline(t.ctx, t.deadline)
		err := t.lock.Refresh(rctx, l.ttl, nil)
		cancel()
		switch {
		case err == nil:
			if !stepDown.Stop() {
				return // the deadline passed while the renewal was in flight
			}
			t.deadline = start.Add(l.renewDeadline())
			stepDown.Reset(time.Until(t.deadline))
			next.Reset(every)
		case errors.Is(err, redislock.ErrNotObtained):
			t.end(errLost)
			return
		default:
			if t.ctx.Err() != nil {
				return
			}
			l.log.Warn("lease renewal failed; retrying until the renew deadline",
				zap.Int64("epoch", t.token), zap.Duration("left", time.Until(t.deadline)), zap.Error(err))
			next.Reset(retry)
		}
	}
}

// release gives the lock up if it is still ours and tells the standbys, so
// that one takes over without waiting for the TTL or its next retry. It
// runs after ctx may have ended, hence its own short timeout.
func (l *Lease) release(ctx context.Context, lock *redislock.Lock) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(l.ttl/3, time.Second))
	defer cancel()
	err := lock.Release(rctx)
	switch {
	case errors.Is(err, redislock.ErrLockNotHeld):
	case err != nil:
		l.log.Warn("lease release failed; it expires by itself", zap.Duration("ttl", l.ttl), zap.Error(err))
	default:
		if err := l.rdb.Publish(rctx, l.releasedChannel(), lock.Metadata()).Err(); err != nil {
			l.log.Warn("lease released, but the standbys were not told; they retry on their own", zap.Error(err))
		}
	}
}

package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
)

// Claimant is one replica's standing to hold claims on the shared work
// queue: a key holding nothing but its existence, under a random token,
// that the replica renews like the leader lease (every third of the TTL,
// stepping down a fifth short of it). Work claimed for the token is held
// only while the key lives, so the work of a replica that dies, leader or
// not, is released as its key expires, within one TTL, and taken up by the
// next claim of any replica. A key that expired is never renewed: the
// replica takes a new token, so writes fenced by the old one stay refused.
// It implements sync.Claimant.
type Claimant struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
	log    *zap.Logger

	mu       sync.Mutex
	token    string
	deadline time.Time // the token is held until then unless renewed
}

// NewClaimant returns a claimant whose key is prefix+token, e.g.
// "<store prefix>claimant:" (state.ClaimantPrefix). ttl must be positive.
func NewClaimant(rdb redis.UniversalClient, prefix string, ttl time.Duration, logger *zap.Logger) *Claimant {
	if ttl <= 0 {
		panic("lease: non-positive claimant ttl")
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	return &Claimant{rdb: rdb, prefix: prefix, ttl: ttl, log: logger}
}

// Token is the current token, "" while the claimant holds none (before Run
// registered it, or once it may have expired).
func (c *Claimant) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Now().Before(c.deadline) {
		return c.token
	}
	return ""
}

// Holds reports whether token is the current one and was renewed recently
// enough that its key surely outlives a write sent now.
func (c *Claimant) Holds(token string) bool {
	return token != "" && token == c.Token()
}

func (c *Claimant) set(token string, deadline time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token, c.deadline = token, deadline
}

// Run registers a token and keeps its key alive until ctx ends, then
// deletes it (releasing what is still claimed for it) and returns ctx's
// error. Until the first registration the claimant holds no token.
func (c *Claimant) Run(ctx context.Context) error {
	for {
		token, err := c.register(ctx)
		if err != nil {
			return err
		}
		if err := c.keep(ctx, token); err != nil {
			return err
		}
	}
}

// Start registers a token, then keeps its key alive in the background
// until stop, which deletes the key (releasing what is still claimed for
// it) and returns once that is done. When the key is lost meanwhile (it
// expired while Redis was out of reach) a new token is registered.
func (c *Claimant) Start(ctx context.Context) (stop func(), err error) {
	token, err := c.register(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func(token string) {
		defer close(done)
		for c.keep(ctx, token) == nil {
			var err error
			if token, err = c.register(ctx); err != nil {
				return
			}
		}
	}(token)
	return func() { cancel(); <-done }, nil
}

// register sets a new token's key, retrying until it succeeds or ctx ends.
func (c *Claimant) register(ctx context.Context) (string, error) {
	retry := max(c.ttl/10, 10*time.Millisecond)
	for {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		token := hex.EncodeToString(b)
		start := time.Now()
		err := c.rdb.SetArgs(ctx, c.prefix+token, "1", redis.SetArgs{Mode: "NX", TTL: c.ttl}).Err()
		if err == nil {
			c.set(token, start.Add(c.renewDeadline()))
			c.log.Debug("claimant registered", zap.String("claimant", token))
			return token, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		c.log.Warn("claimant registration failed; retrying", zap.Error(err))
		if err := clock.Sleep(ctx, retry); err != nil {
			return "", err
		}
	}
}

// renewDeadline mirrors the lease: past it the token is not used, a fifth
// of the TTL before Redis may let the key expire.
func (c *Claimant) renewDeadline() time.Duration { return c.ttl - c.ttl/5 }

// keep renews token's key every third of the TTL (retrying often when
// Redis fails) until ctx ends, when it deletes the key and returns
// ctx.Err(), or until the key is gone, when it returns nil.
func (c *Claimant) keep(ctx context.Context, token string) error {
	key := c.prefix + token
	next := time.NewTimer(c.ttl / 3)
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			c.set("", time.Time{})
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(c.ttl/3, time.Second))
			defer cancel()
			if err := c.rdb.Del(dctx, key).Err(); err != nil {
				c.log.Warn("claimant key not deleted; it expires by itself", zap.Duration("ttl", c.ttl), zap.Error(err))
			}
			return ctx.Err()
		case <-next.C:
		}
		start := time.Now()
		err := c.rdb.SetArgs(ctx, key, "1", redis.SetArgs{Mode: "XX", TTL: c.ttl}).Err()
		switch {
		case err == nil:
			c.set(token, start.Add(c.renewDeadline()))
			next.Reset(c.ttl / 3)
		case errors.Is(err, redis.Nil):
			c.set("", time.Time{})
			c.log.Warn("claimant key expired: what it claimed went to other replicas; taking a new token", zap.String("claimant", token))
			return nil
		case ctx.Err() == nil:
			c.log.Warn("claimant renewal failed; retrying", zap.String("claimant", token), zap.Error(err))
			next.Reset(max(c.ttl/10, time.Millisecond))
		}
	}
}

package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

const defaultRedisURL = "redis://127.0.0.1:6379/0"

// connectRedis returns the Redis the demo keeps its state in and says
// which: the one given, the one at o.RedisURL when it answers, or an
// embedded in-process server. Only the address is ever shown, never a
// password from the URL.
func connectRedis(ctx context.Context, o Options) (_ redis.UniversalClient, where string, closeFn func(), _ error) {
	if o.Redis != nil {
		return o.Redis, "the Redis given", func() {}, nil
	}
	u := o.RedisURL
	if u == "" {
		u = defaultRedisURL
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		return nil, "", nil, fmt.Errorf("demo: REDIS_URL is not a redis:// URL: %w", err)
	}
	opts.DialTimeout = 500 * time.Millisecond
	c := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	perr := c.Ping(pctx).Err()
	cancel()
	if perr == nil {
		return c, "the server at " + opts.Addr, func() { _ = c.Close() }, nil
	}
	_ = c.Close()

	m, err := miniredis.Run()
	if err != nil {
		return nil, "", nil, fmt.Errorf("demo: no Redis at %s (%v), and the embedded one did not start: %w", opts.Addr, perr, err)
	}
	c = redis.NewClient(&redis.Options{Addr: m.Addr()})
	where = fmt.Sprintf("none answered at %s, so an embedded in-process miniredis", opts.Addr)
	return c, where, func() { _ = c.Close(); m.Close() }, nil
}

// deletePrefix removes every key under prefix, in batches, without
// blocking the server the way KEYS or a flush would.
func deletePrefix(ctx context.Context, c redis.UniversalClient, prefix string) (int, error) {
	n := 0
	iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := c.Unlink(ctx, batch...).Err(); err != nil {
			return err
		}
		n += len(batch)
		batch = batch[:0]
		return nil
	}
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 500 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

// demoPrefix starts the key prefix of every demo run that was not given
// one: "helpdesk-sync-demo:<random>:".
const demoPrefix = "helpdesk-sync-demo:"

// aliveTTL is how long a demo's "alive" key outlives the demo's last
// renewal. A demo deletes its keys when it ends; one that was killed
// cannot, and the next demo deletes them once this has passed.
const aliveTTL = 15 * time.Second

// keepAlive marks prefix as in use by a running demo until stop is called.
func keepAlive(ctx context.Context, c redis.UniversalClient, prefix string) (stop func(), _ error) {
	key := prefix + "alive"
	if err := c.Set(ctx, key, "1", aliveTTL).Err(); err != nil {
		return nil, fmt.Errorf("demo: mark %s in use: %w", prefix, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(aliveTTL / 3)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_ = c.Expire(ctx, key, aliveTTL).Err()
			}
		}
	}()
	return func() { cancel(); <-done }, nil
}

// sweepAbandoned deletes the keys of demos under base (demoPrefix) that
// were stopped before they could delete their own (their "alive" key has
// expired), and returns how many it deleted. Demos still running are left
// alone.
func sweepAbandoned(ctx context.Context, c redis.UniversalClient, base string) (int, error) {
	prefixes := map[string]bool{}
	iter := c.Scan(ctx, 0, base+"*", 500).Iterator()
	for iter.Next(ctx) {
		rest := strings.TrimPrefix(iter.Val(), base)
		if id, _, ok := strings.Cut(rest, ":"); ok {
			prefixes[base+id+":"] = true
		}
	}
	if err := iter.Err(); err != nil {
		return 0, fmt.Errorf("demo: look for stopped demos' keys: %w", err)
	}
	deleted := 0
	for p := range prefixes {
		alive, err := c.Exists(ctx, p+"alive").Result()
		if err != nil {
			return deleted, fmt.Errorf("demo: look for stopped demos' keys: %w", err)
		}
		if alive > 0 {
			continue
		}
		n, err := deletePrefix(ctx, c, p)
		deleted += n
		if err != nil {
			return deleted, fmt.Errorf("demo: delete the keys a stopped demo left under %s: %w", p, err)
		}
	}
	return deleted, nil
}

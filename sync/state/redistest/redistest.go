// Package redistest gives tests a Redis to talk to: the real server when one
// answers, an embedded miniredis otherwise (announced once per process).
//
// With CI=true or an explicit REDIS_URL the real server is required: a test
// that cannot reach it fails instead of silently running against the
// embedded stand-in, so Redis-specific behaviour (Lua, MULTI, expiry) is proven
// against the real thing where it matters.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// DefaultURL is tried when REDIS_URL is not set.
const DefaultURL = "redis://127.0.0.1:6379/0"

var (
	once     sync.Once
	url      string
	embedded bool
	setupErr error
)

// Client returns a client for the test Redis and a key prefix unique to the
// test; keys under the prefix are deleted when the test ends, and a key
// that is back right after (written by something the test left running)
// fails the test. Tests must keep every key they write under the prefix
// and never flush the database: other packages' tests share the server,
// and with no REDIS_URL it is the developer's own Redis. A package whose
// TestMain calls Run is also told of keys written under its prefixes
// after their tests ended.
func Client(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	u, err := URL()
	if err != nil {
		t.Fatal(err)
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("redistest: parse %q: %v", u, err)
	}
	c := redis.NewClient(opts)
	prefix := "test:" + randomHex(6) + ":"
	handedOut.add(prefix, t.Name())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := deletePrefix(ctx, c, prefix); err != nil {
			t.Errorf("redistest: delete the keys under %s: %v", prefix, err)
		}
		if left, err := keysUnder(ctx, c, prefix); err == nil && len(left) > 0 {
			t.Errorf("redistest: %d keys written under %s while its test ended (something it started still runs): %s",
				len(left), prefix, strings.Join(left, ", "))
			_ = deletePrefix(ctx, c, prefix)
		}
		_ = c.Close()
	})
	return c, prefix
}

// prefixes are the prefixes Client handed out in this process, with the
// tests they went to.
type prefixes struct {
	mu    sync.Mutex
	tests map[string]string
}

var handedOut prefixes

func (p *prefixes) add(prefix, test string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tests == nil {
		p.tests = map[string]string{}
	}
	p.tests[prefix] = test
}

func (p *prefixes) all() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.tests)
}

// Run runs the package's tests (call it from TestMain) and then looks for
// keys under every prefix Client handed out: a key there was written after
// its test's cleanup, by a goroutine or process the test left running. It
// names them, deletes them, and fails the run.
func Run(m *testing.M) int {
	code := m.Run()
	if len(handedOut.all()) == 0 {
		return code
	}
	u, err := URL()
	if err != nil {
		return code
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		return code
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if strays := sweep(ctx, c, handedOut.all()); len(strays) > 0 {
		for _, s := range strays {
			fmt.Fprintln(os.Stderr, "redistest:", s)
		}
		if code == 0 {
			code = 1
		}
	}
	return code
}

// sweep deletes the keys left under the prefixes and describes them.
func sweep(ctx context.Context, c *redis.Client, tests map[string]string) []string {
	var out []string
	for prefix, test := range tests {
		left, err := keysUnder(ctx, c, prefix)
		if err != nil {
			out = append(out, fmt.Sprintf("cannot look under %s (%s): %v", prefix, test, err))
			continue
		}
		if len(left) > 0 {
			out = append(out, fmt.Sprintf("%d keys left behind by %s after it ended: %s",
				len(left), test, strings.Join(left, ", ")))
			_ = deletePrefix(ctx, c, prefix)
		}
	}
	slices.Sort(out)
	return out
}

// keysUnder lists up to 20 keys under prefix.
func keysUnder(ctx context.Context, c *redis.Client, prefix string) ([]string, error) {
	var out []string
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) && len(out) < 20 {
		out = append(out, iter.Val())
	}
	return out, iter.Err()
}

// URL returns the URL of the Redis tests should use, starting the embedded
// server on first use when no real one answers and none is required.
func URL() (string, error) {
	once.Do(func() { url, embedded, setupErr = resolve() })
	return url, setupErr
}

// Embedded reports whether tests run against the embedded stand-in.
func Embedded() bool {
	_, _ = URL()
	return embedded
}

func resolve() (string, bool, error) {
	explicit := os.Getenv("REDIS_URL")
	required := explicit != "" || os.Getenv("CI") == "true"
	u := explicit
	if u == "" {
		u = DefaultURL
	}
	if err := ping(u); err == nil {
		return u, false, nil
	} else if required {
		return "", false, fmt.Errorf("redistest: Redis at %s does not answer (%v); CI=true or REDIS_URL requires a real server: start redis-server or unset both to use the embedded one", redact(u), err)
	}
	m, err := miniredis.Run()
	if err != nil {
		return "", false, fmt.Errorf("redistest: start embedded Redis: %w", err)
	}
	fmt.Fprintf(os.Stderr, "redistest: no Redis at %s; using the embedded miniredis at %s (set CI=true to require a real server)\n", u, m.Addr())
	return "redis://" + m.Addr() + "/0", true, nil
}

func ping(u string) error {
	opts, err := redis.ParseURL(u)
	if err != nil {
		return err
	}
	opts.DialTimeout = 500 * time.Millisecond
	opts.MaxRetries = -1
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

func deletePrefix(ctx context.Context, c *redis.Client, prefix string) error {
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := c.Unlink(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if err := c.Unlink(ctx, batch...).Err(); err != nil {
			return err
		}
	}
	return iter.Err()
}

func redact(u string) string {
	opts, err := redis.ParseURL(u)
	if err != nil {
		return "(unparseable REDIS_URL)"
	}
	return opts.Addr
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

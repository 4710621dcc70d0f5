package lease

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// patience bounds every wait for something the lease must do; it is long
// so that a loaded machine slows the tests down rather than failing them.
const patience = 30 * time.Second

// replica runs l.Run in a goroutine until the test ends (or stop is
// called) and returns a function that stops it and returns Run's error.
func replica(t *testing.T, l *Lease, lead func(context.Context, int64) error) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx, lead) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(patience):
				t.Errorf("Run did not return %s after its context ended", patience)
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func logger(t *testing.T) *zap.Logger { return zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel)) }

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(patience):
		t.Fatalf("no %s within %s", what, patience)
		panic("unreachable")
	}
}

// holdUntilLost is a lead function that reports its token and keeps
// leading until its context ends, then reports why it ended.
func holdUntilLost(tokens chan<- int64, ended chan<- error) func(context.Context, int64) error {
	return func(ctx context.Context, token int64) error {
		tokens <- token
		<-ctx.Done()
		if ended != nil {
			ended <- context.Cause(ctx)
		}
		return nil
	}
}

func TestOneLeaderAmongThree(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	const terms = 6
	var (
		active, most atomic.Int32
		mu           sync.Mutex
		tokens       []int64
		leaders      []int
		enough       = make(chan struct{})
	)
	for i := range 3 {
		l := New(rdb, prefix+"leader", time.Second, logger(t).With(zap.Int("replica", i)))
		replica(t, l, func(ctx context.Context, token int64) error {
			n := active.Add(1)
			defer active.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			if err := l.Check(ctx); err != nil {
				t.Errorf("replica %d, token %d: Check on taking office: %v", i, token, err)
			}
			if !l.Leading() || l.Token() != token {
				t.Errorf("replica %d: Leading %v, Token %d; want true, %d", i, l.Leading(), l.Token(), token)
			}
			mu.Lock()
			tokens = append(tokens, token)
			leaders = append(leaders, i)
			if len(tokens) == terms {
				close(enough)
			}
			mu.Unlock()
			// Lead across at least one renewal (every ttl/3), then yield.
			select {
			case <-ctx.Done():
			case <-time.After(600 * time.Millisecond):
			}
			return nil
		})
	}
	receive(t, enough, "six terms")
	mu.Lock()
	defer mu.Unlock()
	t.Logf("leaders in order: %v, tokens %v", leaders, tokens)
	if m := most.Load(); m != 1 {
		t.Errorf("%d replicas led at once", m)
	}
	for i := 1; i < len(tokens); i++ {
		if tokens[i] <= tokens[i-1] {
			t.Errorf("token %d after %d: tokens must grow with every leader", tokens[i], tokens[i-1])
		}
	}
}

// dyingClient is a second connection to the test Redis, which a test closes
// to make a replica unable to renew or release: as good as dead.
func dyingClient(t *testing.T) *redis.Client {
	u, err := redistest.URL()
	if err != nil {
		t.Fatal(err)
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestTakeoverWhenLeaderStopsRenewing(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	const ttl = 600 * time.Millisecond
	dying := dyingClient(t)
	a := New(dying, prefix+"leader", ttl, logger(t).With(zap.String("replica", "a")))
	b := New(rdb, prefix+"leader", ttl, logger(t).With(zap.String("replica", "b")))

	aTokens, aEnded := make(chan int64, 1), make(chan error, 1)
	replica(t, a, holdUntilLost(aTokens, aEnded))
	tokenA := receive(t, aTokens, "leader a")

	bTokens := make(chan int64, 1)
	aLeadingWhenBTookOver := make(chan bool, 1)
	replica(t, b, func(ctx context.Context, token int64) error {
		aLeadingWhenBTookOver <- a.Leading()
		return holdUntilLost(bTokens, nil)(ctx, token)
	})
	// While a renews, b stands by.
	time.Sleep(2 * ttl)
	if b.Leading() {
		t.Fatal("b leads while a renews")
	}
	_ = dying.Close()

	tokenB := receive(t, bTokens, "takeover by b")
	if receive(t, aLeadingWhenBTookOver, "a's state") {
		t.Error("a still believed it led when b took over")
	}
	if cause := receive(t, aEnded, "a's term to end"); !errors.Is(cause, errLost) {
		t.Errorf("a's term ended with %v, want the lease lost", cause)
	}
	if tokenB <= tokenA {
		t.Errorf("b's token %d is not above a's %d", tokenB, tokenA)
	}
	if err := a.Check(context.Background()); !errors.Is(err, ErrNotLeader) {
		t.Errorf("a.Check after its death = %v, want ErrNotLeader", err)
	}
}

func TestTakeoverAfterRedisExpiresTheKey(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	const ttl = 2 * time.Second // renewals are far apart: the expiry comes first
	key := prefix + "leader"
	a := New(rdb, key, ttl, logger(t).With(zap.String("replica", "a")))
	b := New(rdb, key, ttl, logger(t).With(zap.String("replica", "b")))
	aTokens, aEnded := make(chan int64, 1), make(chan error, 1)
	replica(t, a, holdUntilLost(aTokens, aEnded))
	tokenA := receive(t, aTokens, "leader a")
	bTokens := make(chan int64, 1)
	replica(t, b, holdUntilLost(bTokens, nil))

	// Redis forgets the lock (an expiry, a failover that lost the write).
	if err := rdb.PExpire(ctx, key, time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	tokenB := receive(t, bTokens, "takeover by b")
	if tokenB <= tokenA {
		t.Errorf("b's token %d is not above a's %d", tokenB, tokenA)
	}
	// a may not have renewed yet, but its fence already refuses it, and
	// that ends its term.
	if err := a.Check(ctx); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("a.Check after the expiry = %v, want ErrNotLeader", err)
	}
	if cause := receive(t, aEnded, "a's term to end"); !errors.Is(cause, errLost) {
		t.Errorf("a's term ended with %v, want the lease lost", cause)
	}
	if a.Leading() || a.Token() != 0 {
		t.Errorf("a: Leading %v, Token %d after losing", a.Leading(), a.Token())
	}
	if err := b.Check(ctx); err != nil {
		t.Errorf("b.Check = %v", err)
	}
}

func TestRenewalNoticesLoss(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	key := prefix + "leader"
	a := New(rdb, key, 300*time.Millisecond, logger(t))
	tokens, ended := make(chan int64, 1), make(chan error, 1)
	replica(t, a, holdUntilLost(tokens, ended))
	receive(t, tokens, "leader")
	// Someone else's lock in its place: the next renewal is refused.
	if err := rdb.Set(context.Background(), key, "other:99", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if cause := receive(t, ended, "the term to end"); !errors.Is(cause, errLost) {
		t.Errorf("term ended with %v, want the lease lost", cause)
	}
}

func TestCheckRefusesASupersededToken(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	key := prefix + "leader"
	a := New(rdb, key, time.Minute, logger(t))
	tokens, ended := make(chan int64, 1), make(chan error, 1)
	replica(t, a, holdUntilLost(tokens, ended))
	receive(t, tokens, "leader")
	if err := a.Check(ctx); err != nil {
		t.Fatalf("Check while leading = %v", err)
	}
	// A later acquisition moved the epoch on, though our lock value stands.
	if err := rdb.Incr(ctx, key+":epoch").Err(); err != nil {
		t.Fatal(err)
	}
	if err := a.Check(ctx); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("Check after the epoch moved = %v, want ErrNotLeader", err)
	}
	if cause := receive(t, ended, "the term to end"); !errors.Is(cause, errLost) {
		t.Errorf("term ended with %v, want the lease lost", cause)
	}
}

func TestReleaseOnStopHandsOverAtOnce(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	key := prefix + "leader"
	// An hour-long lease, retried every 10 to 20 minutes: only the release
	// and its notice can hand it over within the test's patience.
	const ttl = time.Hour
	a := New(rdb, key, ttl, logger(t))
	aTokens := make(chan int64, 1)
	stopA := replica(t, a, holdUntilLost(aTokens, nil))
	tokenA := receive(t, aTokens, "leader a")

	core, logs := observer.New(zap.InfoLevel)
	b := New(rdb, key, ttl, zap.New(zapcore.NewTee(core, logger(t).Core())))
	bTokens := make(chan int64, 1)
	replica(t, b, holdUntilLost(bTokens, nil))
	for deadline := time.Now().Add(patience); logs.FilterMessage("standing by: another replica leads").Len() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("b never stood by")
		}
		time.Sleep(5 * time.Millisecond)
	}

	if err := stopA(); !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	if tokenB := receive(t, bTokens, "takeover by b"); tokenB <= tokenA {
		t.Errorf("b's token %d is not above a's %d", tokenB, tokenA)
	}
	if err := b.Check(ctx); err != nil {
		t.Errorf("b.Check = %v", err)
	}
}

func TestReleaseOnStop(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	key := prefix + "leader"
	a := New(rdb, key, time.Hour, logger(t))
	tokens := make(chan int64, 1)
	stop := replica(t, a, holdUntilLost(tokens, nil))
	receive(t, tokens, "leader")
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	if n, err := rdb.Exists(ctx, key).Result(); err != nil || n != 0 {
		t.Errorf("lock still there after Run returned (exists %d, err %v)", n, err)
	}
	if a.Leading() || a.Token() != 0 {
		t.Error("still leading after Run returned")
	}
}

func TestLeadErrorIsReturnedAfterRelease(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	key := prefix + "leader"
	l := New(rdb, key, time.Minute, logger(t))
	boom := errors.New("poller misconfigured")
	err := l.Run(ctx, func(context.Context, int64) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the lead error", err)
	}
	if n := rdb.Exists(ctx, key).Val(); n != 0 {
		t.Error("lock still held after lead failed")
	}
	if l.Leading() || l.Token() != 0 {
		t.Error("still leading after Run returned")
	}
}

func TestStandbyState(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	l := New(rdb, prefix+"leader", time.Minute, logger(t))
	if l.Leading() || l.Token() != 0 {
		t.Error("leading before Run")
	}
	if err := l.Check(ctx); !errors.Is(err, ErrNotLeader) {
		t.Errorf("Check before Run = %v, want ErrNotLeader", err)
	}
	tokens := make(chan int64, 1)
	replica(t, l, holdUntilLost(tokens, nil))
	receive(t, tokens, "leader")
	if err := l.Run(ctx, holdUntilLost(tokens, nil)); err == nil {
		t.Error("a second concurrent Run was accepted")
	}
}

// Do leads once: fn runs with the token, the lease is released after it,
// and a clean run is logged as a clean release; fn's error comes back.
func TestDoLeadsOnceAndReleases(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	key := prefix + "leader"
	core, logs := observer.New(zap.InfoLevel)
	l := New(rdb, key, time.Minute, zap.New(core))
	runs := 0
	err := l.Do(ctx, func(lctx context.Context, token int64) error {
		runs++
		if token <= 0 || l.Check(lctx) != nil {
			t.Errorf("fn runs with token %d, Check %v", token, l.Check(lctx))
		}
		return nil
	})
	if err != nil || runs != 1 {
		t.Fatalf("Do = %v after %d runs", err, runs)
	}
	if n := rdb.Exists(ctx, key).Val(); n != 0 || l.Leading() {
		t.Error("the lease is still held after Do returned")
	}
	released := logs.FilterMessage("lease released").All()
	if len(released) != 1 || released[0].ContextMap()["error"] != false {
		t.Errorf("release logged as %v, want one clean release", released)
	}
	boom := errors.New("cycle failed")
	if err := l.Do(ctx, func(context.Context, int64) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Do = %v, want fn's error", err)
	}
}

// Acquired tells of each acquisition, so that a new leader starts at once.
func TestAcquiredTellsOfEachAcquisition(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	l := New(rdb, prefix+"leader", time.Minute, logger(t))
	select {
	case <-l.Acquired():
		t.Fatal("acquired before campaigning")
	default:
	}
	tokens := make(chan int64, 1)
	stop := replica(t, l, holdUntilLost(tokens, nil))
	receive(t, tokens, "leader")
	receive(t, l.Acquired(), "acquisition notice")
	_ = stop()
	if err := l.Do(context.Background(), func(context.Context, int64) error { return nil }); err != nil {
		t.Fatal(err)
	}
	receive(t, l.Acquired(), "second acquisition notice")
}

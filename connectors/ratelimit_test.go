package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// maxInWindow is the most arrivals any window [t, t+w) holds, t being an
// arrival: the busiest window the vendor could have counted.
func maxInWindow(got []received, w time.Duration) int {
	at := make([]time.Time, len(got))
	for i, r := range got {
		at[i] = r.at
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	most := 0
	for i, j := 0, 0; i < len(at); i++ {
		for j < len(at) && at[j].Sub(at[i]) < w {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

// burst sends n GET requests from n goroutines at once through each
// transport in turn, and fails the test on any error or non-200.
func burst(t *testing.T, url string, n int, trs ...*Transport) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n*len(trs))
	for i := range n {
		for r, tr := range trs {
			wg.Go(func() {
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v2/tickets/%d.json?replica=%d", url, i, r), nil)
				resp, err := tr.RoundTrip(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestLocalLimiterKeepsBurstUnderBudget(t *testing.T) {
	const (
		events = 10
		per    = 250 * time.Millisecond
		burstN = 2
	)
	// On a clock of its own: burst at once, then one per per/events, so
	// that a window of per grants at most events+burst.
	lim := NewLocalLimiter(events, per, burstN).(*rate.Limiter)
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var granted []received
	for at := t0; at.Before(t0.Add(4 * per)); at = at.Add(time.Millisecond) {
		if lim.AllowN(at, 1) {
			granted = append(granted, received{at: at})
		}
	}
	if most := maxInWindow(granted, per); most > events+burstN {
		t.Errorf("a window of %s granted %d; budget %d + burst %d", per, most, events, burstN)
	}
	if len(granted) < 4*events {
		t.Errorf("%d granted in four windows; budget %d a window", len(granted), events)
	}
}

func TestLimitMatchAndRetriesCount(t *testing.T) {
	srv := newVendor(t, reply{status: 503, header: map[string]string{"Retry-After": "0"}}, reply{status: 200})
	var exports, all countingLimiter
	tr := NewTransport(fast(Options{Limits: []Limit{
		{Name: "account", Limiter: &all},
		{Name: "export", Match: func(r *http.Request) bool { return RouteTemplate(r) == "/api/v2/incremental/tickets/cursor.json" }, Limiter: &exports},
	}}))
	for _, path := range []string{"/api/v2/tickets/1.json", "/api/v2/incremental/tickets/cursor.json"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// 3 attempts in all (the first request was retried once); 1 export.
	if all.n != 3 || exports.n != 1 {
		t.Errorf("account limiter waited %d times, export %d; want 3 and 1", all.n, exports.n)
	}
}

type countingLimiter struct {
	mu sync.Mutex
	n  int
}

func (c *countingLimiter) Wait(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return nil
}

type refusingLimiter struct{}

func (refusingLimiter) Wait(context.Context) error { return errors.New("budget store down") }

// closeTracker records whether a request body was closed.
type closeTracker struct{ closed bool }

func (c *closeTracker) Read([]byte) (int, error) { return 0, errors.New("never read") }
func (c *closeTracker) Close() error             { c.closed = true; return nil }

func TestLimiterErrorClosesBodyAndSendsNothing(t *testing.T) {
	srv := newVendor(t)
	tr := NewTransport(fast(Options{Limits: []Limit{{Name: "account", Limiter: refusingLimiter{}}}}))
	body := &closeTracker{}
	req, _ := http.NewRequest("POST", srv.URL+"/api/v2/tickets.json", body)
	_, err := tr.RoundTrip(req)
	if err == nil || !errorsContain(err, `rate limit "account"`, "budget store down", "POST /api/v2/tickets.json") {
		t.Fatalf("err = %v", err)
	}
	if !body.closed {
		t.Error("request body not closed")
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("server received %d requests, want 0", n)
	}
}

func TestRedisLimiterIsSharedByReplicas(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	const (
		events = 10
		per    = 400 * time.Millisecond
		n      = 15 // per replica
	)
	srv := newVendor(t)
	replica := func() *Transport {
		return NewTransport(fast(Options{Limits: []Limit{{Name: "account", Limiter: NewRedisLimiter(rdb, prefix+"zendesk", events, per)}}}))
	}
	burst(t, srv.URL, n, replica(), replica())
	got := srv.requests()
	if len(got) != 2*n {
		t.Fatalf("server received %d requests, want %d", len(got), 2*n)
	}
	perReplica := map[string]int{}
	for _, r := range got {
		perReplica[r.path[len(r.path)-1:]]++
	}
	if perReplica["0"] != n || perReplica["1"] != n {
		t.Errorf("requests per replica %v, want %d each", perReplica, n)
	}
	// One budget for both: a window holds what one replica alone may send,
	// by construction, however late the requests arrive.
	if most := maxInWindow(got, per); most > events {
		t.Errorf("a window of %s held %d requests from two replicas; shared budget %d", per, most, events)
	}
}

func TestRedisLimiterKeepsKeyAndHonoursContext(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	key := prefix + "jira"
	lim := NewRedisLimiter(rdb, key, 1, time.Hour)
	if err := lim.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := rdb.Exists(ctx, key+":log").Result(); err != nil || n != 1 {
		t.Fatalf("exists = %d, %v", n, err)
	}
	if ttl := rdb.PTTL(ctx, key+":log").Val(); ttl <= 0 || ttl > 2*time.Hour {
		t.Errorf("budget key %q has TTL %s; want it to expire within the window", key+":log", ttl)
	}

	// The next slot is an hour away: past a deadline, it fails at once.
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := lim.Wait(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait past the deadline = %v, want DeadlineExceeded", err)
	}
	// Without a deadline it waits until cancelled.
	cctx, cancel2 := context.WithCancel(ctx)
	go func() { time.Sleep(20 * time.Millisecond); cancel2() }()
	if err := lim.Wait(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait cancelled = %v, want Canceled", err)
	}
}

func TestSpentWindowHoldsRequests(t *testing.T) {
	// Zendesk says: no request left, window resets in 1s.
	srv := newVendor(t,
		reply{status: 200, header: map[string]string{"X-Rate-Limit-Remaining": "0", "ratelimit-reset": "1"}},
		reply{status: 200, header: map[string]string{"X-Rate-Limit-Remaining": "699", "ratelimit-reset": "60"}},
	)
	tr := NewTransport(fast(Options{}))
	get := func() {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v2/tickets/1.json", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	}
	get()
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(get)
	}
	wg.Wait()
	got := srv.requests()
	if len(got) != 4 {
		t.Fatalf("server received %d requests, want 4", len(got))
	}
	// The client saw the reset after the server sent it, so no later request
	// may arrive less than the reset after the first one did.
	for _, r := range got[1:] {
		if gap := r.at.Sub(got[0].at); gap < time.Second {
			t.Errorf("a request arrived %s after the window was spent, before its 1s reset", gap)
		}
	}
}

func TestSpentWindowPastDeadlineFails(t *testing.T) {
	srv := newVendor(t, reply{status: 200, header: map[string]string{"X-RateLimit-Remaining": "0", "Retry-After": "30"}})
	tr := NewTransport(fast(Options{}))
	req, _ := http.NewRequest("GET", srv.URL+"/rest/api/2/myself", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, "GET", srv.URL+"/rest/api/2/myself", nil)
	if _, err := tr.RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded at once", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server received %d requests, want 1", n)
	}
}

func TestGateStartsAndExtendsHolds(t *testing.T) {
	var g gate
	now := time.Now()
	if !g.holdUntil(now.Add(time.Second), now) {
		t.Error("closing an open gate does not start a hold")
	}
	if g.holdUntil(now.Add(500*time.Millisecond), now) {
		t.Error("a shorter hold replaced a longer one")
	}
	if g.holdUntil(now.Add(2*time.Second), now) {
		t.Error("extending a hold counts as starting one")
	}
	later := now.Add(3 * time.Second)
	if !g.holdUntil(later.Add(time.Second), later) {
		t.Error("closing a gate whose hold has passed does not start a hold")
	}
	var open gate
	if waited, err := open.wait(context.Background()); err != nil || waited != 0 {
		t.Errorf("open gate: waited %s, err %v", waited, err)
	}
}

func TestNilLimiterIsRefused(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `"export"`) {
			t.Errorf("recovered %v, want a panic naming the limit", r)
		}
	}()
	NewTransport(Options{Vendor: "zendesk", Limits: []Limit{{Name: "export"}}})
}

func TestRedisLimiterChunksOnlyLargeBudgets(t *testing.T) {
	for _, tc := range []struct {
		name        string
		events      int
		per         time.Duration
		waits       int
		least, most int64 // round trips
	}{
		// Every vendor budget: at least a round trip per request (more
		// where Redis says to wait for the next slot).
		{"jira 10/s", 10, time.Second, 3, 3, 100},
		{"zendesk 700/min", 700, time.Minute, 3, 3, 100},
		{"jira sped up 46x", 460, time.Second, 5, 5, 100},
		{"9,999/s", 9_999, time.Second, 5, 5, 100},
		// 100k/s: 10 ms of budget is 1000 slots, usable for 10 ms.
		{"100k/s", 100_000, time.Second, 640, 1, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb, prefix := redistest.Client(t)
			rt := &state.RoundTrips{}
			rdb.AddHook(rt)
			lim := NewRedisLimiter(rdb, prefix+"budget", tc.events, tc.per)
			for range tc.waits {
				if err := lim.Wait(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if n := rt.Count(); n < tc.least || n > tc.most {
				t.Errorf("%d waits made %d round trips, want %d..%d", tc.waits, n, tc.least, tc.most)
			}
		})
	}
}

func TestRedisLimiterChunkLapses(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	rt := &state.RoundTrips{}
	rdb.AddHook(rt)
	// 64,000/s: chunks of 640 slots spanning 10 ms.
	lim := NewRedisLimiter(rdb, prefix+"budget", 64_000, time.Second)
	if err := lim.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if rdb.Exists(t.Context(), prefix+"budget").Val() != 1 || rdb.Exists(t.Context(), "rate:"+prefix+"budget").Val() != 0 {
		t.Errorf("the GCRA budget is not at %q: redis_rate's own prefix leaked", prefix+"budget")
	}
	before := rt.Count()
	time.Sleep(30 * time.Millisecond)
	if err := lim.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if rt.Count() == before {
		t.Error("a slot was handed out from a chunk past its span; it must be asked of Redis again")
	}
}

func TestRedisLimiterChunksKeepWindowsNearBudget(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	const (
		events = 2000
		per    = 100 * time.Millisecond // 20k/s: chunks of 200 slots spanning 10 ms
		chunk  = 200
	)
	var (
		mu  sync.Mutex
		got []received
	)
	// Three windows' worth: at least three windows long, however fast the
	// machine; as many on a slow one.
	const each = 3 * events / 8
	var wg sync.WaitGroup
	for range 2 { // replicas
		lim := NewRedisLimiter(rdb, prefix+"budget", events, per)
		for range 4 { // workers each
			wg.Go(func() {
				for range each {
					if err := lim.Wait(t.Context()); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					got = append(got, received{at: time.Now()})
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	// A window of per holds the budget, the slots granted in the span
	// before it and still being spent, and one burst: events + 2 chunks.
	if most := maxInWindow(got, per); most > events+2*chunk+events/20 {
		t.Errorf("a window of %s held %d requests; budget %d, chunks of %d", per, most, events, chunk)
	}
}

func TestRedisLimiterWaitersAskOneAtATime(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	rt := &state.RoundTrips{}
	rdb.AddHook(rt)
	lim := NewRedisLimiter(rdb, prefix+"budget", 200, time.Second)
	const workers, each = 8, 5
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				if err := lim.Wait(t.Context()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// One waiter asks at a time: about a denial and a grant per request.
	// Eight waiters woken for the same slot would ask about eight times.
	if n := rt.Count(); n > 4*workers*each {
		t.Errorf("%d waits from %d goroutines made %d round trips; waiters should take turns", workers*each, workers, n)
	}
}

// lateBase holds the first `late` requests it is given for delay before
// sending them on: what a descheduled thread or a slow network does to a
// request between its grant and its arrival.
type lateBase struct {
	next  http.RoundTripper
	late  int
	delay time.Duration

	mu   sync.Mutex
	seen int
}

func (b *lateBase) RoundTrip(r *http.Request) (*http.Response, error) {
	b.mu.Lock()
	b.seen++
	held := b.seen <= b.late
	b.mu.Unlock()
	if held {
		time.Sleep(b.delay)
	}
	return b.next.RoundTrip(r)
}

func TestRedisLimiterHoldsWhenRequestsArriveLate(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	const (
		events = 3
		per    = 300 * time.Millisecond
	)
	srv := newVendor(t)
	// The first three requests are granted at once and arrive most of a
	// window later; the next three are granted as soon as the budget
	// allows. Counted from their grants, all six would arrive within one
	// window.
	base := &lateBase{next: http.DefaultTransport, late: events, delay: per * 5 / 6}
	tr := NewTransport(fast(Options{Base: base,
		Limits: []Limit{{Name: "burst", Limiter: NewRedisLimiter(rdb, prefix+"jira", events, per)}}}))
	burst(t, srv.URL, 2*events, tr)
	got := srv.requests()
	if len(got) != 2*events {
		t.Fatalf("server received %d requests, want %d", len(got), 2*events)
	}
	if most := maxInWindow(got, per); most > events {
		t.Errorf("a window of %s held %d arrivals; budget %d", per, most, events)
	}
}

// slowLimiter makes its first Wait last d.
type slowLimiter struct {
	d     time.Duration
	mu    sync.Mutex
	waits int
}

func (s *slowLimiter) Wait(ctx context.Context) error {
	s.mu.Lock()
	s.waits++
	first := s.waits == 1
	s.mu.Unlock()
	if first {
		return clock.Sleep(ctx, s.d)
	}
	return nil
}

func TestTransportAsksAgainForASlotThatWaitedOnAnotherLimit(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	srv := newVendor(t)
	slow := &slowLimiter{d: admitLead + 50*time.Millisecond}
	// One request a minute: the slot given back is the only one there is.
	tr := NewTransport(fast(Options{Limits: []Limit{
		{Name: "account", Limiter: NewRedisLimiter(rdb, prefix+"account", 1, time.Minute)},
		{Name: "export", Limiter: slow},
	}}))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v2/incremental/tickets/cursor.json", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("the account slot that waited %s on the export limit was not given back and taken again: %v", slow.d, err)
	}
	resp.Body.Close()
	if slow.waits != 2 || len(srv.requests()) != 1 {
		t.Errorf("export limit waited %d times, server received %d requests; want 2 and 1", slow.waits, len(srv.requests()))
	}
	if n := rdb.ZCard(t.Context(), prefix+"account:log").Val(); n != 1 {
		t.Errorf("the account log holds %d requests, want 1", n)
	}
}

func TestTransportReleasesSlotsByOutcome(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script []reply
		method string
		noBody bool // GetBody fails on the retry
		// want is where the request's entry ends, after Redis's now when
		// the call returned: answered (at most now), in flight (until its
		// bound), or gone.
		want string
	}{
		{"answered", []reply{{status: 200}}, "GET", false, "answered"},
		{"refused is answered too", []reply{{status: 429, header: map[string]string{"Retry-After": "0"}}}, "GET", false, "answered twice"},
		{"connection dropped", []reply{{drop: true}}, "POST", false, "answered"},
		{"timed out", []reply{{hang: true}}, "POST", false, "in flight"},
		{"retry never sent", []reply{{status: 503, header: map[string]string{"Retry-After": "0"}}}, "POST", true, "answered and gone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb, prefix := redistest.Client(t)
			key := prefix + "zendesk"
			srv := newVendor(t, tc.script...)
			attemptTimeout := time.Minute // none times out but the one meant to
			if tc.want == "in flight" {
				attemptTimeout = 50 * time.Millisecond
			}
			tr := NewTransport(fast(Options{MaxAttempts: 2, AttemptTimeout: attemptTimeout,
				Limits: []Limit{{Name: "account", Limiter: NewRedisLimiter(rdb, key, 10, time.Minute)}}}))
			req, _ := http.NewRequest(tc.method, srv.URL+"/api/v2/tickets/1.json", strings.NewReader("{}"))
			if tc.noBody {
				req.GetBody = func() (io.ReadCloser, error) { return nil, errors.New("body gone") }
			}
			if resp, err := tr.RoundTrip(req); err == nil {
				resp.Body.Close()
			}
			now := redisNow(t, rdb)
			var got []string
			for _, at := range scores(t, rdb, key+":log") {
				switch {
				case !at.After(now):
					got = append(got, "answered")
				default:
					got = append(got, "in flight")
				}
			}
			want := map[string][]string{"answered": {"answered"}, "answered twice": {"answered", "answered"},
				"in flight": {"in flight"}, "answered and gone": {"answered"}}[tc.want]
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("log entries %v, want %v", got, want)
			}
		})
	}
}

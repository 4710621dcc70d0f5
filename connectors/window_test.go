package connectors

import (
	"math"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// redisNow is Redis's clock, which the window log's scores are on.
func redisNow(t *testing.T, rdb redis.UniversalClient) time.Time {
	t.Helper()
	now, err := rdb.Time(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return now
}

// scores are the log's entries, member to time.
func scores(t *testing.T, rdb redis.UniversalClient, key string) map[string]time.Time {
	t.Helper()
	zs, err := rdb.ZRangeWithScores(t.Context(), key, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]time.Time{}
	for _, z := range zs {
		out[z.Member.(string)] = time.UnixMicro(int64(z.Score))
	}
	return out
}

func TestWindowLogGrantsUpToLimitThenNamesTheOldest(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	// A window no stall of a loaded machine outlasts; how a grant leaves
	// it is TestWindowLogCountsARequestUntilItsAnswerAndAWindowAfter's.
	const limit, window = 3, time.Minute
	w := newWindowLog(rdb, prefix+"log", limit, window)
	var members []string
	for i := range limit {
		if i == limit-1 {
			time.Sleep(50 * time.Millisecond) // the last grant comes later
		}
		m, _, err := w.take(t.Context(), 0)
		if err != nil || m == "" {
			t.Fatalf("take %d of %d = %q, %v; want granted at once", i+1, limit, m, err)
		}
		members = append(members, m)
	}
	before := redisNow(t, rdb)
	m, retry, err := w.take(t.Context(), 0)
	if err != nil || m != "" {
		t.Fatalf("take past the limit = %q, %v; want refused", m, err)
	}
	// The first grant leaves the window first: the next slot is a window
	// after it, not after the latest grant.
	first := scores(t, rdb, prefix+"log")[members[0]]
	if most := first.Add(window + time.Microsecond).Sub(before); retry <= 0 || retry > most {
		t.Errorf("next slot in %s; want at most %s (a window after the first grant)", retry, most)
	}
}

func TestWindowLogIsSharedAndKeepsWholeMicroseconds(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	key := prefix + "log"
	a, b := newWindowLog(rdb, key, 2, time.Minute), newWindowLog(rdb, key, 2, time.Minute)
	for _, w := range []*windowLog{a, b} {
		if m, _, err := w.take(t.Context(), 0); err != nil || m == "" {
			t.Fatalf("take = %q, %v", m, err)
		}
	}
	if m, _, _ := a.take(t.Context(), 0); m != "" {
		t.Error("two replicas' grants did not count against one budget")
	}
	got, err := rdb.ZRangeWithScores(t.Context(), key, 0, -1).Result()
	if err != nil || len(got) != 2 {
		t.Fatalf("log = %v, %v; want two members", got, err)
	}
	for _, z := range got {
		at := time.UnixMicro(int64(z.Score))
		if z.Score != math.Trunc(z.Score) || time.Since(at).Abs() > time.Minute {
			t.Errorf("grant time %f is not a whole microsecond of now (%s)", z.Score, at)
		}
	}
}

func TestWindowLogShrinksWithTheLimit(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	key := prefix + "log"
	wide := newWindowLog(rdb, key, 4, time.Minute)
	for range 4 {
		if _, _, err := wide.take(t.Context(), 0); err != nil {
			t.Fatal(err)
		}
	}
	// A budget lowered by a new configuration waits until the log holds
	// fewer than the new limit: the next slot is the third grant's expiry.
	narrow := newWindowLog(rdb, key, 2, time.Minute)
	m, retry, err := narrow.take(t.Context(), 0)
	if err != nil || m != "" || retry <= 0 || retry > time.Minute {
		t.Errorf("take under a lowered limit = %q, %s, %v; want refused until a grant leaves", m, retry, err)
	}
}

func TestWindowLogCountsARequestUntilItsAnswerAndAWindowAfter(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	key := prefix + "log"
	// A window no stall of a loaded machine outlasts.
	const window = time.Minute
	w := newWindowLog(rdb, key, 1, window)
	start := time.Now()
	m, _, err := w.take(t.Context(), time.Hour)
	if err != nil || m == "" {
		t.Fatalf("take = %q, %v", m, err)
	}
	if ttl := rdb.PTTL(t.Context(), key).Val(); ttl < time.Hour+window-time.Since(start) {
		t.Errorf("TTL %s while a request may be in flight for an hour", ttl)
	}
	// In flight: however long since its grant, its answer is at least now
	// away, so the next slot is at least a window away.
	time.Sleep(20 * time.Millisecond)
	if m2, retry, err := w.take(t.Context(), time.Hour); err != nil || m2 != "" || retry != window {
		t.Fatalf("take beside a request in flight = %q, %s, %v; want refused for a window", m2, retry, err)
	}
	before := redisNow(t, rdb)
	if err := w.answered(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	answeredAt := scores(t, rdb, key)[m]
	if now := redisNow(t, rdb); answeredAt.Before(before) || answeredAt.After(now) {
		t.Errorf("answered at %s; asked between %s and %s", answeredAt, before, now)
	}
	// Answered: it counts for a window from its answer.
	m2, retry, err := w.take(t.Context(), time.Hour)
	if err != nil || m2 != "" || retry <= 0 || retry > window+time.Microsecond {
		t.Fatalf("take after the answer = %q, %s, %v; want refused until a window after it", m2, retry, err)
	}
	// Never sent: the slot is free at once.
	if err := w.unsent(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if m3, _, err := w.take(t.Context(), 0); err != nil || m3 == "" {
		t.Errorf("take after the request gave its slot back = %q, %v; want granted", m3, err)
	}
}

func TestWindowLogForgetsAnUnreportedRequestAfterItsBound(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	const window, flight = 20 * time.Millisecond, 30 * time.Millisecond
	w := newWindowLog(rdb, prefix+"log", 1, window)
	start := time.Now()
	if m, _, err := w.take(t.Context(), flight); err != nil || m == "" {
		t.Fatalf("take = %q, %v", m, err)
	}
	// Its process died: nothing reports its answer. It counts until its
	// bound and a window after, then the slot is free.
	for {
		m, retry, err := w.take(t.Context(), flight)
		if err != nil {
			t.Fatal(err)
		}
		if m != "" {
			break
		}
		time.Sleep(retry)
	}
	if took := time.Since(start); took < flight+window {
		t.Errorf("slot free after %s; a request that may be in flight for %s counts %s more", took, flight, window)
	}
}

func TestWindowLogRoundsTheWindowUp(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	// A vendor's second sped up 15 times is 66,666,666 ns: a window of
	// 66,666 µs would be shorter than the vendor's.
	w := newWindowLog(rdb, prefix+"log", 1, time.Second/15)
	if w.window != 66_667 {
		t.Errorf("window = %d µs, want 66,667", w.window)
	}
}

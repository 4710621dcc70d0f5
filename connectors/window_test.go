package connectors

import (
	"math"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

func TestWindowLogGrantsUpToLimitThenNamesTheOldest(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	const limit, window = 3, 200 * time.Millisecond
	w := newWindowLog(rdb, prefix+"log", limit, 2*window)
	start := time.Now()
	for i := range limit {
		if i == limit-1 {
			time.Sleep(50 * time.Millisecond) // the last grant comes later
		}
		granted, _, err := w.take(t.Context(), window)
		if err != nil || granted != 1 {
			t.Fatalf("take %d of %d = %d, %v; want granted at once", i+1, limit, granted, err)
		}
	}
	granted, retry, err := w.take(t.Context(), window)
	if err != nil || granted != 0 {
		t.Fatalf("take past the limit = %d, %v; want refused", granted, err)
	}
	// The first grant leaves the window first: the next slot is a window
	// after it, not after the latest grant.
	if most := window - time.Since(start) + 20*time.Millisecond; retry <= 0 || retry > most {
		t.Errorf("next slot in %s; want within %s (a window after the first grant)", retry, most)
	}
	time.Sleep(retry)
	if granted, _, err := w.take(t.Context(), window); err != nil || granted != 1 {
		t.Errorf("take after the oldest left = %d, %v; want granted", granted, err)
	}
}

func TestWindowLogIsSharedAndKeepsWholeMicroseconds(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	key := prefix + "log"
	a, b := newWindowLog(rdb, key, 2, time.Minute), newWindowLog(rdb, key, 2, time.Minute)
	for _, w := range []*windowLog{a, b} {
		if granted, _, err := w.take(t.Context(), time.Minute); err != nil || granted != 1 {
			t.Fatalf("take = %d, %v", granted, err)
		}
	}
	if granted, _, _ := a.take(t.Context(), time.Minute); granted != 0 {
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
		if _, _, err := wide.take(t.Context(), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	// A budget lowered by a new configuration waits until the log holds
	// fewer than the new limit: the next slot is the third grant's expiry.
	narrow := newWindowLog(rdb, key, 2, time.Minute)
	granted, retry, err := narrow.take(t.Context(), time.Minute)
	if err != nil || granted != 0 || retry <= 0 || retry > time.Minute {
		t.Errorf("take under a lowered limit = %d, %s, %v; want refused until a grant leaves", granted, retry, err)
	}
}

func TestWindowLogCountsTheCallersWindow(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	key := prefix + "log"
	w := newWindowLog(rdb, key, 1, time.Minute)
	if granted, _, err := w.take(t.Context(), 10*time.Millisecond); err != nil || granted != 1 {
		t.Fatalf("take = %d, %v", granted, err)
	}
	time.Sleep(20 * time.Millisecond)
	// A replica whose threads wait for a CPU widens its window: the grant
	// 20 ms ago still counts for it, not for one that asks about 10 ms.
	if granted, retry, err := w.take(t.Context(), time.Second); err != nil || granted != 0 || retry < 900*time.Millisecond {
		t.Errorf("take with a 1s window = %d, %s, %v; want refused for about 980ms", granted, retry, err)
	}
	if granted, _, err := w.take(t.Context(), 10*time.Millisecond); err != nil || granted != 1 {
		t.Errorf("take with a 10ms window = %d, %v; want granted", granted, err)
	}
	// Asking past keep asks about keep.
	if _, retry, err := w.take(t.Context(), time.Hour); err != nil || retry > time.Minute {
		t.Errorf("take with a window past keep: next in %s, %v; want within keep (1m)", retry, err)
	}
}

func TestWindowSlack(t *testing.T) {
	for _, tc := range []struct {
		name      string
		per, late time.Duration
		want      time.Duration
	}{
		{"Jira's second, idle", time.Second, 0, 12 * time.Millisecond},
		{"Zendesk's minute, idle", time.Minute, 0, 602 * time.Millisecond},
		{"a second sped up 15x", time.Second / 15, 0, time.Second/1500 + 2*time.Millisecond},
		{"threads waiting 5ms for a CPU", time.Second, 5 * time.Millisecond, 17 * time.Millisecond},
		{"never more than a window", 10 * time.Millisecond, time.Second, 10 * time.Millisecond},
	} {
		if got := windowSlack(tc.per, tc.late); got != tc.want {
			t.Errorf("%s: windowSlack(%s, %s) = %s, want %s", tc.name, tc.per, tc.late, got, tc.want)
		}
	}
}

func TestRedisLimiterLatenessDecays(t *testing.T) {
	l := &redisLimiter{}
	l.noteLate(64 * time.Millisecond)
	l.noteLate(time.Millisecond) // a worse one is kept, then decays
	if got := time.Duration(l.late.Load()); got != 63*time.Millisecond {
		t.Errorf("late after 64ms then 1ms = %s, want 63ms", got)
	}
	for range 1000 {
		l.noteLate(0)
	}
	if got := time.Duration(l.late.Load()); got > time.Millisecond {
		t.Errorf("late after 1000 punctual wake-ups = %s, want under 1ms", got)
	}
}

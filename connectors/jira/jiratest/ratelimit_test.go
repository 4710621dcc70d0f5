package jiratest

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestBurstBudgetStampsUnderItsLock: a request is counted into a window
// with the time it is counted at. Read before the lock, a request that
// waited for the lock (its goroutine descheduled, or queued behind others)
// carried a time from before the window another request had meanwhile
// started, and was counted into it: a window then held more than its
// budget's worth of a window's requests, and the client got a 429 it had
// not earned.
func TestBurstBudgetStampsUnderItsLock(t *testing.T) {
	var (
		s      *Site
		mu     sync.Mutex
		locked int // clock reads made while the budget's lock was held
	)
	clock := func() time.Time {
		switch {
		case s == nil: // NewHandler's own reads
		case !s.faults.mu.TryLock():
			mu.Lock()
			locked++
			mu.Unlock()
		default:
			s.faults.mu.Unlock()
		}
		return time.Now()
	}
	s = NewHandler(WithClock(clock))
	s.SetRateLimit(RateLimit{Requests: 10, Window: time.Second})
	const n = 5
	for range n {
		r := httptest.NewRequest("GET", "/rest/api/2/myself", nil)
		r.SetBasicAuth(ServiceEmail, ServiceToken)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
	}
	if locked < n {
		t.Errorf("%d of %d requests read the time they were counted at under the budget's lock", locked, n)
	}
}

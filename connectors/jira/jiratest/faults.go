package jiratest

import (
	"bytes"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// FaultHeader marks a response the simulator broke on purpose (rate limit,
// injected status, malformed or truncated body), so that contract checks
// can tell it from a simulator bug.
const FaultHeader = "X-Jiratest-Fault"

// RateLimit is Jira Cloud's per-second burst budget: Requests per Window;
// the request over budget gets 429 with Retry-After, X-RateLimit-Limit,
// X-RateLimit-Remaining, X-RateLimit-Reset and RateLimit-Reason.
type RateLimit struct {
	Requests int
	Window   time.Duration // default one second
	Reason   string        // default "jira-burst-based"
}

// Fault is a switchable failure for the next Times requests (default one)
// whose method and route pattern match ("" matches any).
type Fault struct {
	Method  string
	Pattern string
	Times   int
	// Status answers with this status and a Jira error body (e.g. 503);
	// RetryAfter adds a Retry-After header to it.
	Status     int
	RetryAfter time.Duration
	// Hang holds the request until the client gives up or the server closes.
	Hang bool
	// Truncate sends the real headers and half the real body, then cuts the
	// connection.
	Truncate bool
	// Malformed replaces the real body with invalid JSON, status unchanged.
	Malformed bool
}

type faults struct {
	mu       sync.Mutex
	rate     RateLimit
	winStart time.Time
	used     int
	scale    float64
	latency  time.Duration
	queue    []Fault
	hang     chan struct{}
}

func (f *faults) init() {
	f.scale = 1
	f.hang = make(chan struct{})
}

func (f *faults) releaseHangs() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.hang)
	f.hang = make(chan struct{})
}

// SetRateLimit installs a burst budget; a zero Requests removes it.
func (s *Site) SetRateLimit(rl RateLimit) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if rl.Window <= 0 {
		rl.Window = time.Second
	}
	if rl.Reason == "" {
		rl.Reason = "jira-burst-based"
	}
	s.faults.rate, s.faults.used, s.faults.winStart = rl, 0, time.Time{}
}

// SetTimeScale speeds up (factor < 1) or slows down every simulated
// duration: rate-limit windows, Retry-After values and latency. Benchmarks
// use it to run rate-limit storms without real seconds of waiting;
// Retry-After then carries a fraction of a second (e.g. "0.01").
func (s *Site) SetTimeScale(factor float64) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if factor <= 0 {
		factor = 1
	}
	s.faults.scale = factor
}

// SetLatency delays every response by d (scaled).
func (s *Site) SetLatency(d time.Duration) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.latency = d
}

// InjectFault queues a fault; faults apply in the order injected.
func (s *Site) InjectFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.queue = append(s.faults.queue, f)
}

// ClearFaults removes queued faults, the rate limit and latency, and
// releases hanging requests.
func (s *Site) ClearFaults() {
	s.faults.mu.Lock()
	s.faults.queue, s.faults.rate, s.faults.latency = nil, RateLimit{}, 0
	s.faults.mu.Unlock()
	s.faults.releaseHangs()
}

// take returns the fault that applies to a request, if any.
func (f *faults) take(method, pattern string) (Fault, bool) {
	for i := range f.queue {
		q := &f.queue[i]
		if (q.Method == "" || q.Method == method) && (q.Pattern == "" || q.Pattern == pattern) {
			out := *q
			if q.Times--; q.Times == 0 {
				f.queue = append(f.queue[:i], f.queue[i+1:]...)
			}
			return out, true
		}
	}
	return Fault{}, false
}

func (f *faults) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * f.scale)
}

// admit charges one request to the burst budget; when over budget it
// returns how long until the window resets.
func (f *faults) admit(now time.Time) (remaining int, wait time.Duration, ok bool) {
	if f.rate.Requests <= 0 {
		return 0, 0, true
	}
	window := f.scaled(f.rate.Window)
	if f.winStart.IsZero() || !now.Before(f.winStart.Add(window)) {
		f.winStart, f.used = now, 0
	}
	if f.used >= f.rate.Requests {
		return 0, f.winStart.Add(window).Sub(now), false
	}
	f.used++
	return f.rate.Requests - f.used, 0, true
}

func formatSeconds(d time.Duration) string {
	secs := d.Seconds()
	if secs >= 1 || secs <= 0 {
		return strconv.Itoa(int(math.Ceil(max(secs, 1))))
	}
	return strconv.FormatFloat(math.Ceil(secs*1000)/1000, 'f', -1, 64)
}

// faultLayer applies latency, the burst budget and queued faults before
// the request reaches the API.
func (s *Site) faultLayer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := s.mux.Handler(r)
		path := routePath(pattern)
		s.faults.mu.Lock()
		// Read under the lock: a request counted into a window must not
		// carry a time from before the window started, as one that waited
		// for the lock would.
		now := s.now()
		latency := s.faults.scaled(s.faults.latency)
		rate := s.faults.rate
		remaining, wait, admitted := s.faults.admit(now)
		fault, faulty := s.faults.take(r.Method, path)
		hang := s.faults.hang
		retryAfter := s.faults.scaled(fault.RetryAfter)
		s.faults.mu.Unlock()

		if latency > 0 {
			select {
			case <-time.After(latency):
			case <-r.Context().Done():
				return
			}
		}
		if rate.Requests > 0 {
			w.Header().Set("X-RateLimit-Limit", strconv.Itoa(rate.Requests))
			w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		}
		if !admitted {
			w.Header().Set(FaultHeader, "rate-limit")
			w.Header().Set("Retry-After", formatSeconds(wait))
			w.Header().Set("X-RateLimit-Reset", s.now().Add(wait).UTC().Format("2006-01-02T15:04Z"))
			w.Header().Set("RateLimit-Reason", rate.Reason)
			writeError(w, http.StatusTooManyRequests, []string{"Rate limit exceeded."}, nil)
			return
		}
		if !faulty {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set(FaultHeader, "injected")
		switch {
		case fault.Hang:
			select {
			case <-r.Context().Done():
			case <-hang:
			}
		case fault.Status != 0:
			if fault.RetryAfter > 0 {
				w.Header().Set("Retry-After", formatSeconds(retryAfter))
			}
			writeError(w, fault.Status, []string{http.StatusText(fault.Status)}, nil)
		case fault.Truncate, fault.Malformed:
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			for k, vs := range rec.Header() {
				w.Header()[k] = vs
			}
			w.Header().Set(FaultHeader, "injected")
			body := rec.Body.Bytes()
			if fault.Malformed {
				body = append([]byte(`{"issues":[{"id":`), bytes.Repeat([]byte("<"), 3)...)
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				w.WriteHeader(rec.Code)
				_, _ = w.Write(body)
				return
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body[:len(body)/2])
			_ = http.NewResponseController(w).Flush()
			// Abort the connection so the client reads a short body.
			panic(http.ErrAbortHandler)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

package zendesktest

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimits are the budgets Zendesk enforces [ZD-RL], per minute. A zero
// budget is not enforced.
type RateLimits struct {
	Account      int // all requests of the account: the plan's limit, e.g. 700 (Enterprise)
	Export       int // incremental exports: "up to 10 requests per minute" [ZD-INC]
	UpdateTicket int // PUT /api/v2/tickets/{id}: 100 per minute per account [ZD-RL]
	// TimeScale is how many simulated minutes pass per real minute: 60 makes
	// a rate-limit minute last one second, so a test or benchmark can run
	// through several windows quickly. 0 means 1.
	TimeScale float64
}

// SetRateLimits enforces l from now on (the zero value stops enforcing).
// Unenforced, responses still carry the headers, counting against 700.
func (s *Server) SetRateLimits(l RateLimits) { s.limits.set(l) }

const reportedAccountLimit = 700

type limiter struct {
	mu      sync.Mutex
	limits  RateLimits
	enforce bool
	windows map[string]*window
}

type window struct {
	start time.Time
	count int
}

func newLimiter() *limiter { return &limiter{windows: map[string]*window{}} }

func (l *limiter) set(r RateLimits) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.limits = r
	l.enforce = r != RateLimits{}
	l.windows = map[string]*window{}
}

// admit counts a request against the budgets it falls under and writes
// Zendesk's headers: X-Rate-Limit/X-Rate-Limit-Remaining and
// ratelimit-limit/-remaining/-reset [ZD-RL][ZD-BP]. Over a budget it answers
// 429 with Retry-After and reports false.
func (l *limiter) admit(w http.ResponseWriter, method, route string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	scale := l.limits.TimeScale
	if scale <= 0 {
		scale = 1
	}
	length := time.Duration(float64(time.Minute) / scale)

	type budget struct {
		name  string
		limit int
	}
	account := l.limits.Account
	if !l.enforce || account == 0 {
		account = reportedAccountLimit
	}
	budgets := []budget{{"account", account}}
	if route == "/api/v2/incremental/tickets/cursor" || route == "/api/v2/incremental/organizations" {
		budgets = append(budgets, budget{"export", l.limits.Export})
	}
	if method == http.MethodPut && route == "/api/v2/tickets/{id}" {
		budgets = append(budgets, budget{"update_ticket", l.limits.UpdateTicket})
	}
	wins := make([]*window, len(budgets))
	for i, b := range budgets {
		win := l.windows[b.name]
		if win == nil || now.Sub(win.start) >= length {
			win = &window{start: now}
			l.windows[b.name] = win
		}
		wins[i] = win
	}
	reset := func(win *window) int {
		return max(1, int(math.Ceil(win.start.Add(length).Sub(now).Seconds())))
	}

	h := w.Header()
	acct := wins[0]
	h.Set("X-Rate-Limit", strconv.Itoa(account))
	h.Set("ratelimit-limit", strconv.Itoa(account))
	h.Set("ratelimit-reset", strconv.Itoa(reset(acct)))
	if l.enforce {
		for i, b := range budgets {
			enforced := b.limit > 0 && (i > 0 || l.limits.Account > 0)
			if enforced && wins[i].count >= b.limit {
				remaining := strconv.Itoa(max(0, account-acct.count))
				h.Set("X-Rate-Limit-Remaining", remaining)
				h.Set("ratelimit-remaining", remaining)
				h.Set("Retry-After", strconv.Itoa(reset(wins[i])))
				// Zendesk's 429 body is not documented (some are plain text,
				// notes.md §4); clients must go by the status and Retry-After.
				writeJSON(w, http.StatusTooManyRequests, errorBody{Error: "APIRateLimitExceeded",
					Description: "Number of allowed API requests per minute exceeded"})
				return false
			}
		}
	}
	for _, win := range wins {
		win.count++
	}
	remaining := strconv.Itoa(max(0, account-acct.count))
	h.Set("X-Rate-Limit-Remaining", remaining)
	h.Set("ratelimit-remaining", remaining)
	return true
}

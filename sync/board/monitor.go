package board

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

// HealthRecorder keeps the shared health record; *state.Store implements
// it.
type HealthRecorder interface {
	RecordHealth(ctx context.Context, r state.HealthReport) error
}

// MonitorOptions configure a Monitor.
type MonitorOptions struct {
	// Every is the longest request counts wait before they are recorded;
	// default 30s. Cycles and failures are recorded as they end.
	Every  time.Duration
	Clock  func() time.Time // nil is the wall clock
	Logger *zap.Logger      // nil logs nothing
}

// Monitor records what the board's health section shows: it hears every
// vendor request (a connectors.Observer) and every engine step (a
// engine.StepObserver), keeps counts in memory, and Run writes them to the
// shared record in one script call at the end of each cycle, of each
// failed step, and at least every MonitorOptions.Every while requests are
// counted. The engine never waits on Redis for it. It needs no store to
// be built, so that it can be handed to what builds the store.
type Monitor struct {
	every time.Duration
	now   func() time.Time
	log   *zap.Logger
	wake  chan struct{}

	mu      sync.Mutex
	pending report
	failing bool // the last write failed; logged once per streak
}

// report is what has not been recorded yet.
type report struct {
	cycle, failure *state.StepHealth
	read           map[string]time.Time
	requests       map[minuteKey]*state.Requests
}

type minuteKey struct {
	vendor string
	minute int64 // unix minutes
}

func (r report) empty() bool {
	return r.cycle == nil && r.failure == nil && len(r.read) == 0 && len(r.requests) == 0
}

// NewMonitor returns a monitor; start its Run.
func NewMonitor(o MonitorOptions) *Monitor {
	if o.Every <= 0 {
		o.Every = 30 * time.Second
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return &Monitor{every: o.Every, now: func() time.Time { return o.Clock().UTC() }, log: o.Logger,
		wake: make(chan struct{}, 1)}
}

var (
	_ connectors.Observer = (*Monitor)(nil)
	_ engine.StepObserver = (*Monitor)(nil)
)

// ObserveRequest counts one attempt to a vendor.
func (m *Monitor) ObserveRequest(info connectors.RequestInfo) {
	now := m.now()
	k := minuteKey{vendor: info.Vendor, minute: now.Unix() / 60}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pending.requests == nil {
		m.pending.requests = map[minuteKey]*state.Requests{}
	}
	q := m.pending.requests[k]
	if q == nil {
		q = &state.Requests{Vendor: info.Vendor, Minute: time.Unix(k.minute*60, 0).UTC(), Remaining: -1}
		m.pending.requests[k] = q
	}
	q.Attempts++
	if info.Status == 0 || info.Status == 429 || info.Status >= 500 {
		q.Failed++
	}
	if info.RateLimitRemaining >= 0 {
		q.Remaining = info.RateLimitRemaining
	}
}

// StepStarted implements engine.StepObserver; the board counts steps as
// they end.
func (m *Monitor) StepStarted(string) {}

// ObserveStep notes a step that ended; a cycle, a resync and a failure are
// recorded at once.
func (m *Monitor) ObserveStep(step string, rep engine.Report, err error) {
	h := &state.StepHealth{Step: step, At: m.now(), Took: rep.Duration, Errors: rep.Errors}
	if err != nil {
		h.Error = cut(err.Error(), 500)
		h.Errors = max(h.Errors, 1)
	}
	urgent := false
	m.mu.Lock()
	if step == "cycle" || step == "resync" {
		m.pending.cycle, urgent = h, true
	}
	if h.Errors > 0 {
		m.pending.failure, urgent = h, true
	}
	for vendor, read := range map[string]bool{"zendesk": rep.HelpdeskRead, "jira": rep.TrackerRead} {
		if read {
			if m.pending.read == nil {
				m.pending.read = map[string]time.Time{}
			}
			m.pending.read[vendor] = h.At
		}
	}
	m.mu.Unlock()
	if urgent {
		select {
		case m.wake <- struct{}{}:
		default: // a write is already due
		}
	}
}

// Run records what was observed in rec until ctx ends, then once more.
func (m *Monitor) Run(ctx context.Context, rec HealthRecorder) error {
	tick := time.NewTicker(m.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			m.Flush(last, rec)
			return nil
		case <-m.wake:
		case <-tick.C:
		}
		m.Flush(ctx, rec)
	}
}

// Flush writes to rec what was observed since the last write. What fails
// to be written is kept for the next one.
func (m *Monitor) Flush(ctx context.Context, rec HealthRecorder) {
	m.mu.Lock()
	r := m.pending
	m.pending = report{}
	m.mu.Unlock()
	if r.empty() {
		return
	}
	hr := state.HealthReport{At: m.now(), Cycle: r.cycle, Failure: r.failure, Read: r.read}
	for _, q := range r.requests {
		hr.Requests = append(hr.Requests, *q)
	}
	// Oldest first, so that the latest remaining count is the one kept.
	slices.SortFunc(hr.Requests, func(a, b state.Requests) int {
		return cmp.Or(a.Minute.Compare(b.Minute), cmp.Compare(a.Vendor, b.Vendor))
	})
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := rec.RecordHealth(ctx, hr)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case err != nil:
		m.pending = merge(r, m.pending)
		if !m.failing {
			m.log.Warn("cannot record the board's health; keeping the counts for the next try", zap.Error(err))
			m.failing = true
		}
	case m.failing:
		m.log.Info("recording the board's health again")
		m.failing = false
	}
}

// merge puts an unrecorded report back under what was observed since.
func merge(old, cur report) report {
	if cur.cycle == nil {
		cur.cycle = old.cycle
	}
	if cur.failure == nil {
		cur.failure = old.failure
	}
	for v, at := range old.read {
		if cur.read == nil {
			cur.read = map[string]time.Time{}
		}
		if at.After(cur.read[v]) {
			cur.read[v] = at
		}
	}
	if len(old.requests) > 0 && cur.requests == nil {
		cur.requests = map[minuteKey]*state.Requests{}
	}
	for k, q := range old.requests {
		if c, ok := cur.requests[k]; ok {
			c.Attempts += q.Attempts
			c.Failed += q.Failed
			if c.Remaining < 0 {
				c.Remaining = q.Remaining
			}
			continue
		}
		cur.requests[k] = q
	}
	return cur
}

// cut shortens s to at most n bytes at a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

package ops

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Progress watches the engine's steps, the vendors' answers and this
// replica's role, and tells whether the engine makes progress: the "sync"
// readiness check.
//
// The last progress is the latest of:
//   - leading: becoming the leader, a cycle or resync that succeeded;
//   - standing by: starting, any step that succeeded (a drain, mostly);
//   - either: a 2xx answer from a vendor.
//
// The vendors' answers count so that a long first cycle (a backfill) and
// cycles that fail on single items while both systems answer do not turn a
// replica unready; failed cycles show in the detail and in metrics. A
// leader whose vendors stop answering, or whose loop is stuck, turns
// unready once the bound passes.
type Progress struct {
	bound time.Duration
	now   func() time.Time

	mu          sync.Mutex
	started     time.Time
	token       int64
	leaderSince time.Time
	running     map[string]time.Time // start of the step under way, by step
	ok          map[string]time.Time // last success by step
	failed      map[string]failure   // last failure by step
	vendorOK    time.Time
}

type failure struct {
	at  time.Time
	err string
}

// maxErrorText keeps a readiness body short when an error joins many (in
// runes).
const maxErrorText = 300

// NewProgress returns a Progress allowing bound without progress; clock nil
// is the wall clock.
func NewProgress(bound time.Duration, clock func() time.Time) *Progress {
	if clock == nil {
		clock = time.Now
	}
	return &Progress{bound: bound, now: clock, started: clock(), running: map[string]time.Time{}, ok: map[string]time.Time{}, failed: map[string]failure{}}
}

// StepStarted implements engine.StepObserver.
func (p *Progress) StepStarted(step string) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[step] = now
}

// ObserveStep implements engine.StepObserver.
func (p *Progress) ObserveStep(step string, _ engine.Report, err error) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.running, step)
	if err != nil {
		p.failed[step] = failure{at: now, err: shorten(err.Error())}
		return
	}
	p.ok[step] = now
}

// ObserveRequest implements connectors.Observer.
func (p *Progress) ObserveRequest(info connectors.RequestInfo) {
	if info.Status < 200 || info.Status > 299 {
		return
	}
	now := p.now()
	p.mu.Lock()
	p.vendorOK = now
	p.mu.Unlock()
}

// SetLeader records this replica's role: token is the fencing token of its
// leadership, 0 while it stands by.
func (p *Progress) SetLeader(token int64) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if token > 0 && token != p.token {
		p.leaderSince = now
	}
	p.token = token
}

// Check is the readiness check: it fails when the last progress is older
// than the bound.
func (p *Progress) Check(context.Context) (string, error) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	step, last := "drain", p.started
	var role string
	if p.token > 0 {
		step, last = "cycle", p.leaderSince
		role = fmt.Sprintf("leader (fencing token %d)", p.token)
		last = latest(last, p.ok["cycle"], p.ok["resync"])
	} else {
		role = "standing by"
		for _, t := range p.ok {
			last = latest(last, t)
		}
	}
	last = latest(last, p.vendorOK)
	detail := role + "; last " + step + " succeeded " + ago(now, p.ok[step])
	if at, ok := p.running[step]; ok {
		detail += "; a " + step + " has been under way for " + now.Sub(at).Round(time.Second).String()
	}
	if f, ok := p.failed[step]; ok && f.at.After(p.ok[step]) {
		detail += "; last " + step + " failed " + ago(now, f.at) + ": " + f.err
	}
	if idle := now.Sub(last); idle > p.bound {
		return detail, fmt.Errorf("no progress for %s (bound %s): no successful %s and no vendor answering; last vendor success %s",
			idle.Round(time.Second), p.bound, step, ago(now, p.vendorOK))
	}
	return detail, nil
}

// shorten puts a joined error on one line of at most maxErrorText runes.
func shorten(s string) string {
	s = strings.ReplaceAll(s, "\n", "; ")
	if r := []rune(s); len(r) > maxErrorText {
		return string(r[:maxErrorText]) + "…"
	}
	return s
}

func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return now.Sub(t).Round(time.Second).String() + " ago"
}

// Package enginetest provides in-memory stand-ins for the engine's ports
// (sync.Helpdesk, sync.Tracker) and a settable clock, for tests of the
// engine. The fakes keep the ports' contracts: ordered paging from a
// cursor or watermark, deleted tickets in the stream, conditional ticket
// writes that fail with sync.ErrConflict, moved issue keys, remote links
// upserted by global id. Every port call is counted, and any call can be
// made to fail.
package enginetest

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Clock is a clock tests move by hand. Its timers (After) fire as Advance
// moves it past them, so a test drives the engine's Run through time
// without waiting for it.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []timer
}

type timer struct {
	at time.Time
	c  chan time.Time
}

// NewClock returns a clock set to start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d, firing the timers it reaches.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	pending := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			pending = append(pending, t)
			continue
		}
		t.c <- c.now
	}
	c.timers = pending
}

// After returns a channel that receives the clock's time once Advance has
// moved it d past now; at once when d is not positive.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, timer{at: c.now.Add(d), c: ch})
	return ch
}

// Timers returns the times the pending timers fire at, soonest first: a
// test waits for the timer it expects before advancing to it.
func (c *Clock) Timers() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Time, len(c.timers))
	for i, t := range c.timers {
		out[i] = t.at
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// Calls counts port calls by operation name.
type Calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *Calls) add(op string) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[op]++
	c.mu.Unlock()
}

// Get returns how often op was called.
func (c *Calls) Get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

// Sum adds the counts of ops.
func (c *Calls) Sum(ops ...string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, op := range ops {
		n += c.n[op]
	}
	return n
}

// Snapshot copies all counts.
func (c *Calls) Snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// Reset zeroes the counts.
func (c *Calls) Reset() {
	c.mu.Lock()
	c.n = nil
	c.mu.Unlock()
}

// FailFunc decides whether a port call fails: a non-nil error is returned
// instead of doing the call. op is the method name.
type FailFunc func(ctx context.Context, op string) error

// gate is what every fake method does first: honour a cancelled context
// like a real client would, count the call, and consult the fail hook.
func gate(ctx context.Context, calls *Calls, fail FailFunc, op string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	calls.add(op)
	if fail != nil {
		return fail(ctx, op)
	}
	return nil
}

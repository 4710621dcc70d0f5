// Package clocktest provides the fake clocks of tests, the demo and the
// benchmarks: Manual, which moves only when told, and Shifted, which runs
// with the wall clock and can jump ahead ("eight days later"). Both
// implement clock.Clock, so the engine, the adapters and the simulators
// can all read one of them.
package clocktest

import (
	"slices"
	"sync"
	"time"
)

// Manual is a clock a test moves by hand. Its timers (After) fire as
// Advance moves it past them, so a test drives a loop through time
// without waiting for it.
type Manual struct {
	mu     sync.Mutex
	now    time.Time
	timers []timer
}

type timer struct {
	at time.Time
	c  chan time.Time
}

// NewManual returns a clock set to start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

// Now returns the clock's time.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d, firing the timers it reaches, and
// returns the new time.
func (c *Manual) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	pending := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			pending = append(pending, t)
			continue
		}
		t.c <- c.now // buffered: each timer fires once
	}
	c.timers = pending
	return c.now
}

// After returns a channel that receives the clock's time once Advance has
// moved it d past now; at once when d is not positive.
func (c *Manual) After(d time.Duration) <-chan time.Time {
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
func (c *Manual) Timers() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Time, len(c.timers))
	for i, t := range c.timers {
		out[i] = t.at
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// Shifted is simulated time for a running system: it runs with the wall
// clock from where it started, and Advance jumps it forward. Everything
// reading one Shifted agrees on what time it is, while durations, and its
// timers, still pass at the real pace.
type Shifted struct {
	mu     sync.Mutex
	start  time.Time // simulated time at base
	base   time.Time // wall time when the clock started, with its monotonic reading
	offset time.Duration
}

// NewShifted returns a clock that reads start now.
func NewShifted(start time.Time) *Shifted {
	return &Shifted{start: start, base: time.Now()}
}

// Now is the simulated time.
func (c *Shifted) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start.Add(time.Since(c.base) + c.offset)
}

// After is time.After: durations pass at the real pace, so a jump does
// not fire timers, it only moves what Now reads.
func (c *Shifted) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Advance moves the clock forward by d.
func (c *Shifted) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

package simulation

import (
	"sync"
	"time"
)

// Clock is simulated time: it runs with the wall clock from where it
// started, and Advance jumps it forward ("eight days later"). Both
// simulators, both adapters and the engine reading one Clock agree on what
// time it is, while durations still pass at the real pace.
type Clock struct {
	mu     sync.Mutex
	start  time.Time // simulated time at base
	base   time.Time // wall time when the clock started, with its monotonic reading
	offset time.Duration
}

// NewClock returns a clock that reads start now.
func NewClock(start time.Time) *Clock {
	return &Clock{start: start, base: time.Now()}
}

// Now is the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start.Add(time.Since(c.base) + c.offset)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Package clock is the time source of the engine and the adapters around
// it: the wall clock in production, a fake one (package clocktest) in tests,
// the demo and the benchmarks, so that everything reading one clock agrees
// on what time it is.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and makes timers on the same time line: a loop
// that waits on After and then reads Now sees the time it waited for.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed; at once
	// when d is not positive.
	After(d time.Duration) <-chan time.Time
}

// Real is the wall clock.
type Real struct{}

// Now is time.Now.
func (Real) Now() time.Time { return time.Now() }

// After is time.After.
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Sleep waits d on the wall clock, or until ctx ends, whichever is first;
// it returns ctx's error when ctx ended first. Callers that retry or poll
// use it so that a shutdown never waits out a backoff.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

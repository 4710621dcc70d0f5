// Package enginetest provides in-memory stand-ins for the engine's ports
// (engine.Helpdesk, engine.Tracker), for tests of the engine. The fakes
// keep the ports' contracts: ordered paging from a cursor or watermark,
// deleted tickets in the stream, conditional ticket writes that fail with
// engine.ErrConflict, moved issue keys, remote links upserted by global id. Every port call is counted, and any call can be
// made to fail.
package enginetest

import (
	"context"
	"sync"
)

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

package servicetest

import (
	"sync"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Recorder keeps every engine event, for tests to count and the demo to
// narrate, and tells a hook (Notify) each one with the time it was
// recorded, for the benchmarks to time. The zero Recorder is ready and
// reads the wall clock.
type Recorder struct {
	// Now is the time of a recorded event; nil is the wall clock.
	Now func() time.Time

	mu     sync.Mutex
	events []engine.Event
	notify func(engine.Event, time.Time)
}

// Record implements engine.Recorder. The notify hook runs after the event
// is kept, outside the lock, so that it may read the Recorder.
func (r *Recorder) Record(ev engine.Event) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	at := now()
	r.mu.Lock()
	r.events = append(r.events, ev)
	notify := r.notify
	r.mu.Unlock()
	if notify != nil {
		notify(ev, at)
	}
}

// Notify makes f hear every event recorded from now on, with its time, on
// the engine's goroutine that recorded it: f must be quick and safe for
// concurrent use. nil stops it.
func (r *Recorder) Notify(f func(engine.Event, time.Time)) {
	r.mu.Lock()
	r.notify = f
	r.mu.Unlock()
}

// Events returns the events recorded so far, oldest first.
func (r *Recorder) Events() []engine.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]engine.Event(nil), r.events...)
}

// Take returns the events recorded so far and forgets them.
func (r *Recorder) Take() []engine.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

// Counts tallies the recorded events by kind.
func (r *Recorder) Counts() map[engine.EventKind]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[engine.EventKind]int{}
	for _, ev := range r.events {
		out[ev.Kind]++
	}
	return out
}

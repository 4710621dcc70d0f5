package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

// Observing a ticket reads only the helpdesk: a key the store does not know
// waits in the store, recorded with the ticket page, until the reconcile's
// load phase looks it up. A crash (or a failed lookup) between the two
// loses nothing: the next cycle resolves it, though the ticket is not
// observed again, with one lookup.
func TestWaitingKeysSurviveACrashBeforeResolution(t *testing.T) {
	for _, tt := range []struct {
		name    string
		restart bool // the next cycle runs on a new engine (a new process)
	}{
		{name: "crash, then a restart", restart: true},
		{name: "failed lookup, then the same engine's next cycle"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.bug("10", "PROJ-1", "Low")
			h.ticket(1, 101, "PROJ-1")
			h.settle()

			h.bug("20", "PROJ-2", "Low")
			h.ticket(2, 102, "PROJ-2")
			ctx, crash := context.WithCancel(h.ctx)
			defer crash()
			lookupFailed := errors.New("tracker unreachable")
			h.tr.Fail = func(_ context.Context, op string) error {
				if op != "BugsByKey" {
					return nil
				}
				if tt.restart {
					crash()
					return context.Canceled
				}
				return lookupFailed
			}
			e := h.engine()
			h.resetCalls()
			if _, err := e.Cycle(ctx); err == nil {
				t.Fatal("cycle with a failing lookup succeeded")
			}
			if n := h.hd.Calls.Get("ChangedTickets"); n != 1 {
				t.Fatalf("ticket export read %d times", n)
			}
			waiting, _, err := h.store.UnresolvedTickets(h.ctx, 0, 100)
			if err != nil || len(waiting) != 1 || waiting[0].ID != 2 || waiting[0].Keys[0] != "PROJ-2" {
				t.Fatalf("waiting after the failed lookup: %+v, %v", waiting, err)
			}
			h.expectLinkedTickets("20")

			h.tr.Fail = nil
			h.resetCalls()
			if tt.restart {
				h.cycle()
			} else if _, err := e.Cycle(h.ctx); err != nil {
				t.Fatal(err)
			}
			if n := h.tr.Calls.Get("BugsByKey"); n != 1 {
				t.Fatalf("BugsByKey called %d times, want 1", n)
			}
			if n := h.hd.Calls.Get("Tickets"); n != 0 {
				t.Fatalf("ticket re-read %d times: resolution needs only the store", n)
			}
			h.expectLinkedTickets("20", 2)
			if len(h.tr.Links("20")) != 1 {
				t.Fatalf("remote links on bug 20: %v", h.tr.Links("20"))
			}
			h.expectTicket(2, "PROJ-2: To Do", "bug_open")
			if waiting, _, _ := h.store.UnresolvedTickets(h.ctx, 0, 100); len(waiting) != 0 {
				t.Fatalf("still waiting: %+v", waiting)
			}
			h.settle()
			h.expectIdle()
		})
	}
}

// slowScan is the store with a scan of waiting keys that takes time.
type slowScan struct {
	*state.Store
	clock *clocktest.Manual
}

func (s slowScan) UnresolvedTickets(ctx context.Context, cursor uint64, count int64) ([]engine.UnresolvedTicket, uint64, error) {
	s.clock.Advance(time.Second)
	return s.Store.UnresolvedTickets(ctx, cursor, count)
}

// The bug a resolved key links is reconciled in the same cycle, however
// long resolving takes: it is due at the pass's horizon, not at the time
// the resolution was written.
func TestResolvedKeyIsReconciledInTheSameCycle(t *testing.T) {
	h := newHarness(t, func(o *engine.Options) {
		o.Store = slowScan{Store: o.Store.(*state.Store), clock: o.Clock.(*clocktest.Manual)}
	})
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()

	h.bug("20", "PROJ-2", "Low")
	h.ticket(2, 102, "PROJ-2")
	h.resetCalls()
	h.cycle()
	if n := h.tr.Calls.Get("BugsByKey"); n != 1 {
		t.Fatalf("BugsByKey called %d times, want 1", n)
	}
	if len(h.tr.Links("20")) != 1 {
		t.Fatalf("remote links on bug 20 after one cycle: %v", h.tr.Links("20"))
	}
	h.expectTicket(2, "PROJ-2: To Do", "bug_open")
}

package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// steps records what the engine tells a StepObserver.
type steps struct {
	mu      sync.Mutex
	started []string
	got     []step
}

type step struct {
	name string
	rep  engine.Report
	err  error
}

func (s *steps) StepStarted(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started = append(s.started, name)
}

func (s *steps) ObserveStep(name string, rep engine.Report, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, step{name, rep, err})
}

func TestStepObserverHearsEveryStep(t *testing.T) {
	obs := &steps{}
	h := newHarness(t, func(o *engine.Options) { o.Steps = obs })
	// A replica draining before the leader built the state has nothing
	// to do, successfully.
	if _, err := h.engine().Drain(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.bug("10001", "PROJ-1", "Low")
	h.ticket(1, 7, "PROJ-1")
	h.cycle()
	if _, err := h.engine().Drain(h.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.engine().Resync(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.tr.Fail = func(_ context.Context, op string) error {
		if op == "ChangedBugs" {
			return errors.New("jira is down")
		}
		return nil
	}
	if _, err := h.engine().Cycle(h.ctx); err == nil {
		t.Fatal("cycle with a failing tracker succeeded")
	}
	// A step that cannot even read the state still starts and finishes.
	ctx, cancel := context.WithCancel(h.ctx)
	cancel()
	if _, err := h.engine().Cycle(ctx); err == nil {
		t.Fatal("cycle with a cancelled context succeeded")
	}

	want := []string{"drain", "cycle", "drain", "resync", "cycle", "cycle"}
	if fmt.Sprint(obs.started) != fmt.Sprint(want) || len(obs.got) != len(want) {
		t.Fatalf("started %v and finished %d steps; want %v, each finished", obs.started, len(obs.got), want)
	}
	for i, s := range obs.got {
		if s.name != want[i] {
			t.Errorf("step %d finished as %q, want %q", i, s.name, want[i])
		}
	}
	empty, first, drain, resync, failed, cancelled := obs.got[0], obs.got[1], obs.got[2], obs.got[3], obs.got[4], obs.got[5]
	if empty.err != nil || empty.rep.Writes() != 0 {
		t.Errorf("drain of an empty state: %+v", empty)
	}
	// The first cycle on an empty state rebuilds it, then links the ticket.
	if first.err != nil || first.rep.LinksAdded != 1 || first.rep.TicketUpdates != 1 {
		t.Errorf("first cycle %+v", first)
	}
	if drain.err != nil || drain.rep.Writes() != 0 {
		t.Errorf("drain %+v", drain)
	}
	if resync.err != nil || resync.rep.TicketsObserved != 1 {
		t.Errorf("resync %+v", resync)
	}
	if failed.err == nil || failed.rep.Errors == 0 {
		t.Errorf("failed cycle %+v: want the cycle's error and an error count", failed)
	}
	// A stop is not a failure: the observers hear that it stopped.
	if cancelled.err != nil || !cancelled.rep.Stopped || cancelled.rep.Errors != 0 {
		t.Errorf("cancelled cycle %+v: want a clean stop", cancelled)
	}
}

package sync_test

import (
	"context"
	"errors"
	stdsync "sync"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/sync"
)

// steps records what the engine tells a StepObserver.
type steps struct {
	mu  stdsync.Mutex
	got []step
}

type step struct {
	name string
	rep  sync.Report
	err  error
}

func (s *steps) ObserveStep(name string, rep sync.Report, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, step{name, rep, err})
}

func TestStepObserverHearsEveryStep(t *testing.T) {
	obs := &steps{}
	h := newHarness(t, func(o *sync.Options) { o.Steps = obs })
	h.bug("10001", "PROJ-1", "Low")
	h.ticket(1, 7, "PROJ-1")
	h.cycle()
	if _, err := h.engine().Drain(h.ctx); err != nil {
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
	if len(obs.got) != 3 {
		t.Fatalf("observed %d steps, want 3: %+v", len(obs.got), obs.got)
	}
	first, drain, failed := obs.got[0], obs.got[1], obs.got[2]
	// The first cycle on an empty state rebuilds it, then links the ticket.
	if first.name != "cycle" || first.err != nil || first.rep.LinksAdded != 1 || first.rep.TicketUpdates != 1 {
		t.Errorf("first step %+v", first)
	}
	if drain.name != "drain" || drain.err != nil || drain.rep.Writes() != 0 {
		t.Errorf("second step %+v", drain)
	}
	if failed.name != "cycle" || failed.err == nil || failed.rep.Errors == 0 {
		t.Errorf("failed step %+v: want the cycle's error and an error count", failed)
	}
}

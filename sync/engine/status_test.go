package engine_test

import (
	"context"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func withFollow(o *engine.Options) {
	o.Policy.Follow = engine.FollowPolicy{Enabled: true, WhileOpen: engine.StatusHold, When: engine.FollowFixed,
		Then: engine.StatusOpen, Assign: engine.Assign{Kind: engine.AssignLastAgent}}
}

func (h *harness) expectStatus(id int64, status engine.TicketStatus, assignee int64) {
	h.t.Helper()
	if tk := h.getTicket(id); tk.Status != status || tk.AssigneeID != assignee {
		h.t.Fatalf("ticket %d: status %s, assignee %d; want %s, %d", id, tk.Status, tk.AssigneeID, status, assignee)
	}
}

// An agent who reassigns a ticket while the service puts it on hold wins
// the race: the hold is not written over the agent's version, the ticket
// is planned again, held once, and later given back to the agent who had
// it then.
func TestFollowConcurrentAgentEditWins(t *testing.T) {
	h := newHarness(t, withFollow)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.hd.Edit(1, func(tk *engine.Ticket) { tk.AssigneeID = 11 })
	raced := false
	h.hd.Fail = func(_ context.Context, op string) error {
		if op == "UpdateTickets" && !raced {
			raced = true
			h.hd.Edit(1, func(tk *engine.Ticket) { tk.AssigneeID = 12 })
		}
		return nil
	}
	h.cycle()
	h.expectStatus(1, engine.StatusOpen, 12) // the conflicting write made nothing
	h.settle()
	h.expectStatus(1, engine.StatusHold, 12)
	h.hd.Edit(1, func(tk *engine.Ticket) { tk.AssigneeID = 13 })
	h.settle()
	h.setStatus("10", "Done", engine.CategoryDone, "Fixed")
	h.settle()
	h.expectStatus(1, engine.StatusOpen, 12)
	h.expectIdle()
}

// A dry run and the blast-radius guard write no status and remember no
// act: once the run is real (or the limit raised) the service acts.
func TestFollowDryRunAndGuard(t *testing.T) {
	h := newHarness(t, withFollow, func(o *engine.Options) { o.DryRun = true })
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.ticket(2, 102, "PROJ-1")
	rep := h.cycle()
	if rep.TicketUpdates != 2 || h.hd.Calls.Get("UpdateTickets") != 0 {
		t.Fatalf("dry run: report %+v, %d update calls", rep, h.hd.Calls.Get("UpdateTickets"))
	}
	h.opts.DryRun = false
	h.opts.Policy.Limits.MaxTicketUpdates = 1
	if rep := h.cycle(); rep.TicketUpdates != 0 || len(rep.Held) != 1 {
		t.Fatalf("over the limit: report %+v", rep)
	}
	h.expectStatus(1, engine.StatusOpen, 0)
	h.opts.Policy.Limits.MaxTicketUpdates = 0
	h.settle()
	h.expectStatus(1, engine.StatusHold, 0)
	h.expectStatus(2, engine.StatusHold, 0)
}

package engine_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine/enginetest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

// The board's read models follow what the reconciler computes: the ranking,
// who waits on what since when, and the customers waiting per category.
func TestReconcileKeepsTheBoardStanding(t *testing.T) {
	h := newHarness(t)
	h.hd.PutOrganization(engine.Organization{ID: 101, Name: "Acme", Tier: "enterprise"})
	h.hd.PutOrganization(engine.Organization{ID: 102, Name: "Beta", Tier: "free"})
	h.bug("10", "PROJ-1", "Low")
	h.bug("20", "PROJ-2", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.ticket(2, 101, "PROJ-1")
	h.ticket(3, 102, "PROJ-1, PROJ-2")
	h.settle()
	opened := start // the tickets' creation, a minute before the first cycle saw them

	type wait struct {
		org   int64
		bug   string
		since time.Time
	}
	expect := func(rank []state.Ranked, waiting map[engine.StatusCategory]int, waits ...wait) {
		t.Helper()
		got, err := h.store.RankedBugs(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, rank) {
			t.Errorf("ranking %v, want %v", got, rank)
		}
		w, err := h.store.Waiting(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(w, waiting) {
			t.Errorf("customers waiting %v, want %v", w, waiting)
		}
		orgs, err := h.store.WaitingOrganizations(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var all []wait
		for _, o := range orgs {
			for _, b := range o.Bugs {
				all = append(all, wait{o.OrgID, b.BugID, b.Since})
			}
		}
		if !slices.EqualFunc(all, waits, func(a, b wait) bool { return a.org == b.org && a.bug == b.bug && a.since.Equal(b.since) }) {
			t.Errorf("waits %v, want %v", all, waits)
		}
	}
	expect([]state.Ranked{{ID: "10", Weighted: 6}, {ID: "20", Weighted: 1}},
		map[engine.StatusCategory]int{engine.CategoryToDo: 3},
		wait{102, "10", opened}, wait{102, "20", opened}, wait{101, "10", opened})

	h.setStatus("10", "In Progress", engine.CategoryInProgress, "")
	h.hd.Edit(3, func(tk *engine.Ticket) { tk.Status = engine.StatusSolved })
	h.settle()
	expect([]state.Ranked{{ID: "10", Weighted: 5}},
		map[engine.StatusCategory]int{engine.CategoryInProgress: 1},
		wait{101, "10", opened})
	h.expectIdle()
}

// A backfill links tickets opened long ago within minutes: their customers
// wait since each organization's oldest counted ticket was opened, not since
// the service saw it.
func TestWaitingCountsFromTheTicketsCreation(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	day := 24 * time.Hour
	opened := func(id, org int64, age time.Duration) {
		h.hd.Put(engine.Ticket{ID: id, Status: engine.StatusOpen, RequesterID: 1000 + id, OrganizationID: org, KeysField: "PROJ-1",
			CreatedAt: start.Add(-age)})
	}
	opened(1, 101, 40*day)
	opened(2, 101, 3*day)
	opened(3, 102, 9*day)
	h.settle()
	expectWaits(t, h, map[int64]time.Time{101: start.Add(-40 * day), 102: start.Add(-9 * day)})

	// Once its oldest ticket is solved, an organization waits since its
	// oldest open one.
	h.hd.Edit(1, func(tk *engine.Ticket) { tk.Status = engine.StatusSolved })
	h.settle()
	expectWaits(t, h, map[int64]time.Time{101: start.Add(-3 * day), 102: start.Add(-9 * day)})
	h.expectIdle()
}

// Ticket records stored before creation times were kept have none: their
// organizations wait since the service first saw them, never since the
// zero time, until the ticket is read again (it changes, or a resync reads
// every ticket).
func TestWaitingWithoutCreationTimes(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	created := start.Add(-30 * 24 * time.Hour)
	for id, org := range map[int64]int64{1: 101, 2: 102} {
		h.hd.Put(engine.Ticket{ID: id, Status: engine.StatusOpen, RequesterID: 1000 + id, OrganizationID: org, KeysField: "PROJ-1",
			CreatedAt: created.Add(time.Duration(id) * time.Hour)})
	}
	h.opts.Helpdesk = noCreation{h.hd} // the adapter before creation times were read
	h.settle()
	seen := start.Add(time.Minute) // the first cycle's clock
	expectWaits(t, h, map[int64]time.Time{101: seen, 102: seen})

	h.opts.Helpdesk = h.hd
	h.hd.Edit(1, func(tk *engine.Ticket) { tk.Tags = append(tk.Tags, "vip") }) // an agent's change
	h.settle()
	expectWaits(t, h, map[int64]time.Time{101: created.Add(time.Hour), 102: seen})

	h.clock.Advance(time.Minute)
	if _, err := h.engine().Resync(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.settle()
	expectWaits(t, h, map[int64]time.Time{101: created.Add(time.Hour), 102: created.Add(2 * time.Hour)})
}

// noCreation is a helpdesk that reports no creation time, as the service
// read tickets before it kept them.
type noCreation struct{ *enginetest.Helpdesk }

func (n noCreation) ChangedTickets(ctx context.Context, cursor string, handle func(context.Context, engine.TicketPage) error) error {
	return n.Helpdesk.ChangedTickets(ctx, cursor, func(ctx context.Context, p engine.TicketPage) error {
		for i := range p.Tickets {
			p.Tickets[i].CreatedAt = time.Time{}
		}
		return handle(ctx, p)
	})
}

func (n noCreation) Tickets(ctx context.Context, ids []int64) ([]engine.Ticket, error) {
	ts, err := n.Helpdesk.Tickets(ctx, ids)
	for i := range ts {
		ts[i].CreatedAt = time.Time{}
	}
	return ts, err
}

// expectWaits checks since when each organization waits on any bug.
func expectWaits(t *testing.T, h *harness, want map[int64]time.Time) {
	t.Helper()
	orgs, err := h.store.WaitingOrganizations(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]time.Time{}
	for _, o := range orgs {
		for _, b := range o.Bugs {
			got[o.OrgID] = b.Since
		}
	}
	if !maps.EqualFunc(got, want, time.Time.Equal) {
		t.Fatalf("waiting since %v, want %v", got, want)
	}
}

// A cycle reports which vendors it read up to the present, for the board's
// health.
func TestCycleReportsWhatItRead(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	if rep := h.cycle(); !rep.HelpdeskRead || !rep.TrackerRead {
		t.Fatalf("healthy cycle: helpdesk read %v, tracker read %v", rep.HelpdeskRead, rep.TrackerRead)
	}
	h.tr.Fail = func(_ context.Context, op string) error {
		if op == "ChangedBugs" {
			return errors.New("jira is down")
		}
		return nil
	}
	h.clock.Advance(time.Minute)
	rep, err := h.engine().Cycle(h.ctx)
	if err == nil || !rep.HelpdeskRead || rep.TrackerRead {
		t.Fatalf("cycle with the tracker down: err %v, helpdesk read %v, tracker read %v", err, rep.HelpdeskRead, rep.TrackerRead)
	}
	h.tr.Fail = nil
	rep, err = h.engine().Resync(h.ctx)
	if err != nil || !rep.HelpdeskRead || !rep.TrackerRead {
		t.Fatalf("resync: err %v, helpdesk read %v, tracker read %v", err, rep.HelpdeskRead, rep.TrackerRead)
	}
}

// A bug reconciled again with nothing changed is not written again: the
// engine compares the standing it computes with the one the store gave
// back, whose since-times (here, of tickets whose creation is unknown)
// it keeps. So a release reading an earlier one's records rewrites none.
func TestAnUnchangedStandingIsNotWrittenAgain(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	for id, org := range map[int64]int64{1: 101, 2: 102} {
		h.hd.Put(engine.Ticket{ID: id, Status: engine.StatusOpen, RequesterID: 1000 + id, OrganizationID: org, KeysField: "PROJ-1"})
	}
	h.opts.Helpdesk = noCreation{h.hd}
	h.settle()
	seen := start.Add(time.Minute) // the first cycle's clock
	expectWaits(t, h, map[int64]time.Time{101: seen, 102: seen})

	w := &watchedStore{Store: h.store}
	h.opts.Store = w
	h.clock.Advance(time.Hour)
	if err := h.store.Enqueue(h.ctx, engine.BugQueue, []string{"10"}, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	if !slices.Equal(w.claimed, []string{"10"}) || len(w.written) != 0 {
		t.Fatalf("bugs reconciled %v, memories written %v; want 10 reconciled, nothing written", w.claimed, w.written)
	}
	expectWaits(t, h, map[int64]time.Time{101: seen, 102: seen})
}

// watchedStore records the bugs claimed for reconciling and the bugs whose
// memory is written.
type watchedStore struct {
	engine.Store
	mu               sync.Mutex
	claimed, written []string
}

func (w *watchedStore) Claim(ctx context.Context, q engine.Queue, until time.Time, count int64, leaseUntil time.Time, claimant string) ([]engine.Claim, error) {
	cs, err := w.Store.Claim(ctx, q, until, count, leaseUntil, claimant)
	if q == engine.BugQueue {
		w.mu.Lock()
		for _, c := range cs {
			w.claimed = append(w.claimed, c.ID)
		}
		w.mu.Unlock()
	}
	return cs, err
}

func (w *watchedStore) SetBugMemory(ctx context.Context, id string, m engine.BugMemory, s engine.Standing) error {
	return w.SetBugMemoryFor(ctx, id, m, s, "")
}

func (w *watchedStore) SetBugMemoryFor(ctx context.Context, id string, m engine.BugMemory, s engine.Standing, holder string) error {
	w.mu.Lock()
	w.written = append(w.written, id)
	w.mu.Unlock()
	return w.Store.SetBugMemoryFor(ctx, id, m, s, holder)
}

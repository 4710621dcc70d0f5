package sync_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

// The board's read models follow what the reconciler computes: the ranking,
// who waits on what since when, and the customers waiting per category.
func TestReconcileKeepsTheBoardStanding(t *testing.T) {
	h := newHarness(t)
	h.hd.PutOrganization(sync.Organization{ID: 101, Name: "Acme", Tier: "enterprise"})
	h.hd.PutOrganization(sync.Organization{ID: 102, Name: "Beta", Tier: "free"})
	h.bug("10", "PROJ-1", "Low")
	h.bug("20", "PROJ-2", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.ticket(2, 101, "PROJ-1")
	h.ticket(3, 102, "PROJ-1, PROJ-2")
	h.settle()
	linked := start.Add(time.Minute) // the first cycle's clock

	type wait struct {
		org   int64
		bug   string
		since time.Time
	}
	expect := func(rank []state.Ranked, waiting map[sync.StatusCategory]int, waits ...wait) {
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
		map[sync.StatusCategory]int{sync.CategoryToDo: 3},
		wait{102, "10", linked}, wait{102, "20", linked}, wait{101, "10", linked})

	h.setStatus("10", "In Progress", sync.CategoryInProgress, "")
	h.hd.Edit(3, func(tk *sync.Ticket) { tk.Status = sync.StatusSolved })
	h.settle()
	expect([]state.Ranked{{ID: "10", Weighted: 5}},
		map[sync.StatusCategory]int{sync.CategoryInProgress: 1},
		wait{101, "10", linked})
	h.expectIdle()
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

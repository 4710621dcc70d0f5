package state

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// An organization whose revenue (or tier) changes makes the bugs it waits
// on due again; one seen again unchanged, or seen for the first time, does
// not.
func TestOrganizationChangeDirtiesItsBugs(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	commit := func(orgs ...engine.Organization) {
		t.Helper()
		if _, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{Organizations: orgs, Now: t0}); err != nil {
			t.Fatal(err)
		}
	}
	commit(engine.Organization{ID: 1, Name: "Acme", Revenue: 120000}, engine.Organization{ID: 2, Name: "Globex", Revenue: 5})
	for bug, orgs := range map[string][]int64{"10": {1}, "20": {1, 2}, "30": {2}} {
		waiting := map[int64]time.Time{}
		for _, o := range orgs {
			waiting[o] = t0
		}
		st := standing(engine.CategoryToDo, float64(len(orgs)), len(orgs), waiting)
		if err := s.SetBugMemory(ctx, bug, engine.BugMemory{}, st); err != nil {
			t.Fatal(err)
		}
	}
	drain(t, s, engine.BugQueue)

	commit(engine.Organization{ID: 1, Name: "Acme", Revenue: 120000}, engine.Organization{ID: 3, Name: "New", Revenue: 7})
	if got := due(t, s, engine.BugQueue); len(got) != 0 {
		t.Fatalf("unchanged organizations made %v due", got)
	}
	commit(engine.Organization{ID: 1, Name: "Acme", Revenue: 150000})
	if got := due(t, s, engine.BugQueue); !slices.Equal(got, []string{"10", "20"}) {
		t.Fatalf("due after a revenue change: %v, want 10 and 20", got)
	}
	drain(t, s, engine.BugQueue)
	commit(engine.Organization{ID: 2, Name: "Globex", Revenue: 5, Tier: "enterprise"})
	if got := due(t, s, engine.BugQueue); !slices.Equal(got, []string{"20", "30"}) {
		t.Fatalf("due after a tier change: %v, want 20 and 30", got)
	}

	// The revenue is kept with the organization, in the cache and the names.
	cached, err := s.Organizations(ctx, []int64{1}, t0)
	if err != nil || cached[1].Revenue != 150000 {
		t.Fatalf("cached %+v, %v", cached, err)
	}
	names, err := s.OrganizationNames(ctx, []int64{1, 2})
	if err != nil || names[1].Revenue != 150000 || names[2].Revenue != 5 {
		t.Fatalf("names %+v, %v", names, err)
	}
}

func TestRevenueRoundTrips(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	rev := 123456.78
	st := standing(engine.CategoryToDo, 2, 2, map[int64]time.Time{1: t0})
	st.Customers.Revenue = rev
	mem := engine.BugMemory{Expect: engine.BugEdit{ID: "10", Key: "PROJ-10", Revenue: &rev}}
	if err := s.SetBugMemory(ctx, "10", mem, st); err != nil {
		t.Fatal(err)
	}
	mems, stands, err := s.BugMemories(ctx, []string{"10"})
	if err != nil {
		t.Fatal(err)
	}
	if stands["10"].Customers.Revenue != rev || mems["10"].Expect.Revenue == nil || *mems["10"].Expect.Revenue != rev {
		t.Fatalf("memory %+v standing %+v", mems["10"], stands["10"])
	}
	rec := engine.BugRecord{Bug: engine.Bug{ID: "10", Key: "PROJ-10", Revenue: &rev}}
	got, err := decodeBug("10", encodeBug(rec), 0)
	if err != nil || got.Revenue == nil || *got.Revenue != rev {
		t.Fatalf("bug record %+v, %v", got, err)
	}
}

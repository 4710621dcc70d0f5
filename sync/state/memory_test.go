package state

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// The releases that kept the board's standing inside engine.BugMemory
// wrote this record and moved the read models with this standing. A
// replica of this release reading them gets the same memory and standing;
// writing them back unchanged leaves the record byte for byte what it was
// (so replicas of either release read each other's records during a
// rolling upgrade) and the read models as they were.
func TestMemoryRecordOfThePreviousRelease(t *testing.T) {
	const (
		oldRecord   = `{"b":{"q":2,"t":"High","x":"3 customers now report this; raised to High.","p":3},"s":{"q":1,"p":2},"sn":1740819600000000000,"ec":1740819601000000000,"o":4,"cd":3,"cw":7.5,"ct":{"enterprise":1,"pro":1},"c":"indeterminate","wo":{"501":1737363600000000000,"502":1740819600123456789}}`
		oldStanding = `{"w":"7.5","n":3,"cat":"indeterminate","orgs":[["501","1737363600000"],["502","1740819600123"]]}`
	)
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	wantMem := engine.BugMemory{
		Bump:      engine.Pending{Seq: 2, Target: "High", Text: "3 customers now report this; raised to High.", Phase: engine.PhaseDone},
		StaleNote: engine.Pending{Seq: 1, Phase: engine.PhaseSending},
		Seen:      at, Echo: at.Add(time.Second), OpenTickets: 4,
	}
	wantStand := engine.Standing{
		Category:  engine.CategoryInProgress,
		Customers: engine.Customers{Distinct: 3, Weighted: 7.5, ByTier: map[string]int{"enterprise": 1, "pro": 1}},
		Waiting:   map[int64]time.Time{501: at.Add(-40 * 24 * time.Hour), 502: at.Add(123456789)},
	}

	ctx := context.Background()
	s, c := newStore(t)
	if err := s.run(ctx, setMemoryScript, time.Time{}, "10", oldRecord, oldStanding, "").Err(); err != nil {
		t.Fatal(err)
	}
	before := readModels(t, s)

	mems, stands, err := s.BugMemories(ctx, []string{"10"})
	if err != nil {
		t.Fatal(err)
	}
	mem, stand := mems["10"], stands["10"]
	if fmt.Sprint(mem) != fmt.Sprint(wantMem) {
		t.Errorf("memory\n got %+v\nwant %+v", mem, wantMem)
	}
	if fmt.Sprint(stand) != fmt.Sprint(wantStand) {
		t.Errorf("standing\n got %+v\nwant %+v", stand, wantStand)
	}
	if got := encodeStanding(stand); got != oldStanding {
		t.Errorf("read models moved to\n%s\nwant\n%s", got, oldStanding)
	}

	if err := s.SetBugMemory(ctx, "10", mem, stand); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, s.key("bm:", "10")).Result(); err != nil || got != oldRecord {
		t.Errorf("record written back as\n%s\nwant\n%s (%v)", got, oldRecord, err)
	}
	if after := readModels(t, s); after != before {
		t.Errorf("read models changed from\n%s\nto\n%s", before, after)
	}
	checkStanding(t, s, c)
}

// readModels renders the board's read models for comparison.
func readModels(t *testing.T, s *Store) string {
	t.Helper()
	ctx := context.Background()
	rank, err := s.RankedBugs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waiting, err := s.Waiting(ctx)
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := s.WaitingOrganizations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rank) == 0 || len(orgs) == 0 {
		t.Fatalf("no read models: ranking %v, organizations %v", rank, orgs)
	}
	return fmt.Sprint(rank, waiting, orgs) // fmt prints maps sorted by key
}

package engine_test

import (
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// The organization export is read at most once per OrganizationCheck, the
// first pass only starting it, and never while neither tiers nor revenue
// count.
func TestOrganizationCheckSchedule(t *testing.T) {
	noTiers := func(o *engine.Options) { o.Policy.TierWeights = nil }
	revenue := func(o *engine.Options) {
		o.Policy.TierWeights = nil
		o.Policy.Revenue = engine.RevenuePolicy{Enabled: true, Currency: "EUR"}
	}
	every5m := func(o *engine.Options) { o.OrganizationCheck = 5 * time.Minute }
	tests := []struct {
		name   string
		mutate []func(*engine.Options)
		wait   time.Duration // after the first cycle, before the next (which adds a minute)
		want   int           // export reads in the next cycle
	}{
		{"not configured", []func(*engine.Options){noTiers}, 30 * time.Minute, 0},
		{"tiers, before the interval", nil, 13*time.Minute + 59*time.Second, 0},
		{"tiers, at the interval", nil, 14 * time.Minute, 1},
		{"tiers, long after", nil, 3 * time.Hour, 1},
		{"revenue only", []func(*engine.Options){revenue}, 14 * time.Minute, 1},
		{"interval 5m, not due", []func(*engine.Options){every5m}, 3 * time.Minute, 0},
		{"interval 5m, due", []func(*engine.Options){every5m}, 4 * time.Minute, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.mutate...)
			h.cycle()
			if n := h.hd.Calls.Get("ChangedOrganizations"); n != 0 {
				t.Fatalf("the first cycle read the export %d times; it only starts it", n)
			}
			h.clock.Advance(tt.wait)
			h.cycle()
			if n := h.hd.Calls.Get("ChangedOrganizations"); n != tt.want {
				t.Fatalf("%d export reads, want %d", n, tt.want)
			}
			if tt.want == 1 {
				h.cycle() // a minute later: not due again so soon
			}
			if n := h.hd.Calls.Get("ChangedOrganizations"); n != tt.want {
				t.Fatalf("%d export reads a minute later, want %d", n, tt.want)
			}
			x, err := h.store.OrganizationExport(h.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if off := tt.name == "not configured"; x.Checked.IsZero() != off {
				t.Fatalf("export position %+v; want it started unless not configured", x)
			}
		})
	}
}

// An organization whose tier changes with none of its tickets is seen by
// the next export read: the bug it waits on is counted again and raised.
func TestOrganizationTierChangeAloneRaisesTheBug(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	for _, org := range []int64{101, 102} {
		h.hd.PutOrganization(engine.Organization{ID: org, Name: "Customer", Tier: "free"})
	}
	h.ticket(1, 101, "PROJ-1")
	h.ticket(2, 102, "PROJ-1")
	h.settle()
	if b, _ := h.tr.Bug("10"); b.Priority != "Low" {
		t.Fatalf("priority %q before, want Low", b.Priority)
	}
	h.hd.PutOrganization(engine.Organization{ID: 101, Name: "Customer", Tier: "enterprise"}) // weight 5: 6 in all
	reps := h.after(15 * time.Minute)
	if got := h.hd.Calls.Get("ChangedOrganizations"); got != 1 {
		t.Fatalf("%d export reads, want 1", got)
	}
	if reps[0].OrganizationsRead == 0 || reps[0].OrganizationBugsQueued != 1 {
		t.Fatalf("report %+v", reps[0])
	}
	if b, _ := h.tr.Bug("10"); b.Priority != "Medium" {
		t.Fatalf("priority %q after the tier change, want Medium", b.Priority)
	}
}

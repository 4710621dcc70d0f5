package engine_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// On a new deployment the first cycle flags the bugs that are stale by the
// policy once it has reconciled them: the one nobody touched past its
// window, and the one this cycle raises to Highest, whose window is two
// days. Each gets its label and one comment, once.
func TestFirstCycleFlagsStaleBugs(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.clock.Advance(17 * 24 * time.Hour)
	h.bug("20", "PROJ-2", "Low")
	h.clock.Advance(3 * 24 * time.Hour)
	h.ticket(1, 101, "PROJ-1")
	for i := range int64(25) {
		h.ticket(100+i, 200+i, "PROJ-2")
	}
	h.resetCalls()
	rep := h.cycle()
	if rep.StaleFlagged != 2 {
		t.Fatalf("the first cycle flagged %d bugs, want 2: %+v", rep.StaleFlagged, rep)
	}
	if n := h.tr.Calls.Get("EditBug"); n != 2 {
		t.Fatalf("%d bug edits, want one a bug (count, priority and label together)", n)
	}
	h.expectBug("10", "Low", 1, "stale")
	h.expectBug("20", "Highest", 25, "stale", "customers-10plus")
	details := map[string]string{}
	for _, ev := range h.events.of(engine.EventStaleFlagged) {
		details[ev.BugKey] = ev.Detail
	}
	for key, want := range map[string]string{
		"PROJ-1": "stale: 1 open ticket waits and nobody updated it for 20 days (window 14 days for Low)",
		"PROJ-2": "stale: 25 open tickets wait and nobody updated it for 3 days (window 2 days for Highest)",
	} {
		if details[key] != want {
			t.Errorf("%s flagged with %q, want %q", key, details[key], want)
		}
	}
	h.settle()
	if c := h.tr.ServiceComments("10"); len(c) != 1 || !strings.Contains(c[0], "nobody has updated it for 20 days") {
		t.Fatalf("bug 10 comments %q", c)
	}
	if c := h.tr.ServiceComments("20"); len(c) != 2 || !strings.Contains(c[1], "nobody has updated it for 3 days") {
		t.Fatalf("bug 20 comments %q: the bump, then the stale one", c)
	}
	h.expectIdle()
}

// A bug the service flagged carries the service's own label and comment:
// they are not anyone's activity, and the service knows it wrote them, so
// the idle cycles after the flag cost one read per vendor, as any idle
// cycle does. A person's comment still lifts the flag.
func TestIdleAfterAStaleFlagIsOneReadPerVendor(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.clock.Advance(15 * 24 * time.Hour)
	if rep := h.cycle(); rep.StaleFlagged != 1 {
		t.Fatalf("report %+v", rep)
	}
	for range 3 {
		h.expectIdle()
	}
	h.tr.Comment("10", "Looking into it")
	if rep := h.cycle(); rep.StaleUnflagged != 1 {
		t.Fatalf("a person's comment did not lift the flag: %+v", rep)
	}
	h.settle()
	h.expectBug("10", "Low", 1)
	h.expectIdle()
}

// The board's last activity is the last change by a person: not the
// service's own writes, nor, after the state is rebuilt, an update time
// that was the service's. A bug whose last person activity is past its
// window is flagged though the service wrote to it since.
func TestLastActivityIsAPersons(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	personal := h.getBug("10").Updated
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	// Ten days later a second customer: the service writes the count.
	h.clock.Advance(10 * 24 * time.Hour)
	h.ticket(2, 102, "PROJ-1")
	h.settle()
	if got := h.getBug("10").Updated; !got.After(personal) {
		t.Fatal("the service's write did not move the bug's update time")
	}
	rec := h.record("10")
	if !rec.LastActivity.Equal(personal) {
		t.Fatalf("last activity %s, want the person's %s (the service wrote at %s)", rec.LastActivity, personal, h.getBug("10").Updated)
	}

	// Redis is lost and rebuilt: the bug's update time is the service's
	// count, not a person's; five days later it is stale (15 days since the
	// person), and flagged.
	h = h.lost()
	h.resetCalls()
	h.settle()
	h.clock.Advance(5 * 24 * time.Hour)
	rep := h.cycle()
	if rep.StaleFlagged != 1 {
		t.Fatalf("after the rebuild, the bug untouched by people for 15 days was not flagged: %+v", rep)
	}
	if n := h.tr.Calls.Get("ActivityByOthers"); n != 1 {
		t.Fatalf("%d activity reads, want one: the update time may be the service's own", n)
	}
	if rec := h.record("10"); !rec.LastActivity.Equal(personal) {
		t.Fatalf("after the rebuild, last activity %s, want the person's %s", rec.LastActivity, personal)
	}
	if c := h.tr.ServiceComments("10"); !strings.Contains(c[len(c)-1], "for 15 days") {
		t.Fatalf("comments %q", c)
	}
}

// record reads a bug's record from the store.
func (h *harness) record(id string) engine.BugRecord {
	h.t.Helper()
	recs, err := h.store.Bugs(h.ctx, []string{id})
	if err != nil {
		h.t.Fatal(err)
	}
	return recs[id]
}

// lost is the deployment after Redis was lost: the same vendors and clock,
// an empty state.
func (h *harness) lost() *harness {
	l := newHarness(h.t)
	l.hd, l.tr, l.clock = h.hd, h.tr, h.clock
	l.opts.Helpdesk, l.opts.Tracker, l.opts.Clock = h.hd, h.tr, h.clock
	return l
}

// losingStore loses the compare-and-set of the next record that carries
// label, as when another pass stored the bug as it read it before the
// engine's edit landed.
type losingStore struct {
	engine.Store
	label string
	lost  bool
}

func (s *losingStore) PutBug(ctx context.Context, rec engine.BugRecord) (bool, error) {
	if !s.lost && slices.Contains(rec.Labels, s.label) {
		s.lost = true
		return false, nil
	}
	return s.Store.PutBug(ctx, rec)
}

// A stale flag whose record could not be stored after the edit (another
// pass won the compare-and-set) is still known as the engine's own: the
// next poll sees its label come back and keeps the flag, rather than
// taking it for a person's activity and lifting it with the comment left.
func TestAStaleFlagWhoseRecordLostItsRaceStays(t *testing.T) {
	lose := &losingStore{label: "stale"}
	h := newHarness(t, func(o *engine.Options) { lose.Store = o.Store; o.Store = lose })
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.clock.Advance(15 * 24 * time.Hour)
	if rep := h.cycle(); rep.StaleFlagged != 1 {
		t.Fatalf("report %+v", rep)
	}
	if !lose.lost {
		t.Fatal("the flag's record was stored at once: the test lost its race")
	}
	h.settle()
	if rep := h.cycle(); rep.StaleUnflagged != 0 {
		t.Fatalf("the engine lifted its own flag: %+v", rep)
	}
	h.expectBug("10", "Low", 1, "stale")
	if c := h.tr.ServiceComments("10"); len(c) != 1 {
		t.Fatalf("bug 10 comments %q, want the one stale comment", c)
	}
}

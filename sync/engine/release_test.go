package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

var releaseDay = time.Date(2025, 6, 20, 0, 0, 0, 0, time.UTC)

// releasePolicy tags released tickets.
func releasePolicy(o *engine.Options) { o.Policy.StatusTags.Released = "bug_released" }

// countNotes counts the notes of ticket id containing s.
func countNotes(h *harness, id int64, s string) int {
	return strings.Count(strings.Join(h.hd.Notes(id), "\n\n"), s)
}

// fixedAwaiting seeds PROJ-1 fixed in versions, linked to open tickets 1
// and 2 and solved ticket 3, and settles: the agents were told it is
// fixed, not yet released.
func fixedAwaiting(h *harness, versions ...string) {
	h.t.Helper()
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.ticket(2, 102, "PROJ-1")
	h.hd.Put(engine.Ticket{ID: 3, Status: engine.StatusSolved, RequesterID: 3, OrganizationID: 103, KeysField: "PROJ-1"})
	h.settle()
	h.setStatus("10", "Done", engine.CategoryDone, "Fixed", versions...)
	h.settle()
	for _, id := range []int64{1, 2} {
		if n := countNotes(h, id, "not yet released"); n != 1 {
			h.t.Fatalf("ticket %d: %d fixed-not-released notes: %q", id, n, h.hd.Notes(id))
		}
	}
}

// advance moves the clock on and cycles until two quiet cycles.
func (h *harness) after(d time.Duration) []engine.Report {
	h.t.Helper()
	h.clock.Advance(d)
	return h.settle()
}

func TestReleaseTellsEachOpenTicketOnce(t *testing.T) {
	h := newHarness(t, releasePolicy)
	fixedAwaiting(h, "5.0.1")
	h.expectTicket(1, "PROJ-1: Done (Fixed in 5.0.1)", "bug_fixed")

	h.tr.Release("PROJ", "5.0.1", releaseDay)
	reps := h.after(15 * time.Minute)
	if reps[0].VersionReads != 1 || reps[0].VersionsReleased != 1 {
		t.Fatalf("the check after the interval: %+v", reps[0])
	}
	for _, id := range []int64{1, 2} {
		h.expectTicket(id, "PROJ-1: Done (Fixed in 5.0.1, released)", "bug_released")
		notes := h.hd.Notes(id)
		if len(notes) != 2 || !strings.Contains(notes[1], `Bug PROJ-1 "Export fails for large files": 5.0.1 is released (2025-06-20).`) ||
			!strings.Contains(notes[1], "Tell the customer: the fix is available in 5.0.1.") {
			t.Fatalf("ticket %d notes %q", id, notes)
		}
	}
	if n := h.hd.Notes(3); len(n) != 0 {
		t.Fatalf("solved ticket told %q", n)
	}
	if ev := h.events.of(engine.EventVersionReleased); len(ev) != 1 || !strings.Contains(ev[0].Detail, "PROJ 5.0.1 released; 1 bug to read again") {
		t.Fatalf("events %+v", ev)
	}
	// Released, the bug awaits nothing: the versions are not read again.
	h.resetCalls()
	for range 3 {
		h.after(15 * time.Minute)
	}
	if n := h.tr.Calls.Get("Versions"); n != 0 {
		t.Fatalf("versions read %d times after the release", n)
	}
	h.expectIdle()
}

// While a bug waits, its project's versions are read once per interval,
// not once per cycle; with nothing awaited, never.
func TestVersionReadsWaitForTheInterval(t *testing.T) {
	h := newHarness(t, releasePolicy)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.resetCalls()
	for range 30 {
		h.cycle()
	}
	if n := h.tr.Calls.Get("Versions"); n != 0 {
		t.Fatalf("idle: %d version reads in 30 cycles", n)
	}

	h.setStatus("10", "Done", engine.CategoryDone, "Fixed", "5.0.1")
	h.settle()
	h.resetCalls()
	for range 30 { // 30 one-minute cycles: two 15-minute intervals
		h.cycle()
	}
	if n := h.tr.Calls.Get("Versions"); n != 2 {
		t.Fatalf("waiting: %d version reads in 30 minutes, want 2", n)
	}

	// The ticket is solved: nobody waits any more, so nothing is read.
	h.hd.Edit(1, func(tk *engine.Ticket) { tk.Status = engine.StatusSolved })
	h.settle()
	h.resetCalls()
	for range 30 {
		h.cycle()
	}
	if n := h.tr.Calls.Get("Versions"); n != 0 {
		t.Fatalf("no open ticket: %d version reads", n)
	}
}

// A bug resolved in a version already released goes straight to the
// released note: one note, that says released.
func TestResolvedInAReleasedVersion(t *testing.T) {
	h := newHarness(t, releasePolicy)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.tr.Release("PROJ", "5.0.1", releaseDay)
	h.setStatus("10", "Done", engine.CategoryDone, "Fixed", "5.0.1")
	h.resetCalls()
	h.settle()
	notes := h.hd.Notes(1)
	if len(notes) != 1 || !strings.Contains(notes[0], "5.0.1 is released (2025-06-20)") || strings.Contains(notes[0], "not yet released") {
		t.Fatalf("notes %q", notes)
	}
	h.expectTicket(1, "PROJ-1: Done (Fixed in 5.0.1, released)", "bug_released")
	if n := h.tr.Calls.Get("Versions"); n != 0 {
		t.Fatalf("%d version reads for a bug the search showed released", n)
	}
}

// Two fix versions: released when the first is, saying which; the second
// release says nothing more.
func TestTwoFixVersions(t *testing.T) {
	h := newHarness(t, releasePolicy)
	fixedAwaiting(h, "5.0.1", "5.1")
	h.tr.Release("PROJ", "5.1", releaseDay)
	h.after(15 * time.Minute)
	for _, id := range []int64{1, 2} {
		h.expectTicket(id, "PROJ-1: Done (Fixed in 5.0.1, 5.1; 5.1 released)", "bug_released")
		if n := countNotes(h, id, "5.1 is released (2025-06-20)"); n != 1 || len(h.hd.Notes(id)) != 2 {
			t.Fatalf("ticket %d notes %q", id, h.hd.Notes(id))
		}
	}
	h.tr.Release("PROJ", "5.0.1", releaseDay.AddDate(0, 0, 7))
	h.setStatus("10", "Done", engine.CategoryDone, "Fixed", "5.0.1", "5.1") // an edit makes the poll read it
	h.after(15 * time.Minute)
	for _, id := range []int64{1, 2} {
		if n := len(h.hd.Notes(id)); n != 2 {
			t.Fatalf("ticket %d told again: %q", id, h.hd.Notes(id))
		}
	}
}

// A version webhook makes the next pass, on any replica, read the
// versions at once instead of at the end of the interval.
func TestVersionWebhookReadsAtOnce(t *testing.T) {
	h := newHarness(t, releasePolicy)
	fixedAwaiting(h, "5.0.1")
	h.tr.Release("PROJ", "5.0.1", releaseDay)
	h.resetCalls()
	e := h.engine()
	if err := e.EnqueueReleases(h.ctx, []string{"10100"}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Second)
	rep, err := e.Drain(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.VersionReads != 1 || rep.Notes != 2 {
		t.Fatalf("drain after the webhook: %+v", rep)
	}
	for _, id := range []int64{1, 2} {
		if n := countNotes(h, id, "5.0.1 is released"); n != 1 {
			t.Fatalf("ticket %d notes %q", id, h.hd.Notes(id))
		}
	}
	if rep, _ := e.Drain(h.ctx); rep.VersionReads != 0 {
		t.Fatalf("the webhook was read twice: %+v", rep)
	}
	if err := e.EnqueueReleases(h.ctx, []string{"x; DROP"}); err == nil {
		t.Fatal("a version id that is not a number was queued")
	}
}

// A release naming many bugs with many waiting tickets is a change like
// any other: over max_ticket_updates it is held until confirmed, and no
// note goes out meanwhile.
func TestReleaseGoesThroughTheGuard(t *testing.T) {
	h := newHarness(t, releasePolicy, func(o *engine.Options) { o.Policy.Limits.MaxTicketUpdates = 5 })
	h.opts.ConfirmLargeChange = true // the setting up is large too
	for b := range 5 {
		id := fmt.Sprint(100 + b)
		h.bug(id, fmt.Sprintf("PROJ-%d", 100+b), "Low")
		for i := range 4 {
			h.ticket(int64(b*10+i+1), int64(200+b*10+i), "PROJ-"+id)
		}
	}
	h.settle()
	for b := range 5 {
		h.setStatus(fmt.Sprint(100+b), "Done", engine.CategoryDone, "Fixed", "7.0")
	}
	h.settle()
	h.opts.ConfirmLargeChange = false

	h.tr.Release("PROJ", "7.0", releaseDay)
	h.clock.Advance(15 * time.Minute)
	rep := h.cycle()
	if len(rep.Held) != 1 || rep.Held[0].Kind != "ticket" || rep.Held[0].Planned != 20 || rep.Notes != 0 {
		t.Fatalf("release of 5 bugs, 20 tickets: %+v", rep)
	}
	if n := countNotes(h, 1, "is released"); n != 0 {
		t.Fatalf("held release told ticket 1: %q", h.hd.Notes(1))
	}
	if rep := h.cycle(); len(rep.Held) != 1 || rep.Notes != 0 {
		t.Fatalf("second cycle: %+v", rep)
	}
	h.opts.ConfirmLargeChange = true
	h.settle()
	for b := range 5 {
		for i := range 4 {
			id := int64(b*10 + i + 1)
			if n := countNotes(h, id, "7.0 is released"); n != 1 {
				t.Fatalf("ticket %d told %d times after confirming", id, n)
			}
		}
	}
}

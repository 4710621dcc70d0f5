package engine_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// releaseState renders what the agents of tickets 1 to 3 see, markers'
// epochs normalised.
func releaseState(h *harness) string {
	epoch := regexp.MustCompile(`\(ref: hs-[0-9a-f]+-`)
	var b strings.Builder
	for id := int64(1); id <= 3; id++ {
		tk := h.getTicket(id)
		tags := slices.Clone(tk.Tags)
		slices.Sort(tags)
		fmt.Fprintf(&b, "ticket %d %s %q %v notes=%q\n", id, tk.Status, tk.StatusField, tags,
			epoch.ReplaceAllString(strings.Join(h.hd.Notes(id), "|"), "(ref: hs-E-"))
	}
	return b.String()
}

// Killing the process at any vendor call of the pass that finds the
// release (the version read, the bug re-read, the note's write, the
// look-up of a note in flight), then starting again, tells each ticket
// once: no note lost, none twice.
func TestReleaseNoteOnceAcrossAKillAtAnyPoint(t *testing.T) {
	ref := newHarness(t, releasePolicy)
	fixedAwaiting(ref, "5.0.1")
	ref.tr.Release("PROJ", "5.0.1", releaseDay)
	ref.after(15 * time.Minute)
	want := releaseState(ref)
	if strings.Count(want, "5.0.1 is released") != 2 {
		t.Fatalf("reference run:\n%s", want)
	}

	probe := newHarness(t, releasePolicy)
	fixedAwaiting(probe, "5.0.1")
	probe.tr.Release("PROJ", "5.0.1", releaseDay)
	probe.resetCalls()
	probe.clock.Advance(15 * time.Minute)
	probe.cycle()
	total := 0
	for _, calls := range []map[string]int{probe.hd.Calls.Snapshot(), probe.tr.Calls.Snapshot()} {
		for op, n := range calls {
			if !strings.Contains(op, ".") {
				total += n
			}
		}
	}
	if probe.tr.Calls.Get("Versions") != 1 || probe.tr.Calls.Get("BugsByID") != 1 || probe.hd.Calls.Get("UpdateTickets") == 0 {
		t.Fatalf("the release pass does not read versions, re-read the bug and write notes: %v %v", probe.tr.Calls.Snapshot(), probe.hd.Calls.Snapshot())
	}

	for n := 1; n <= total; n++ {
		for _, before := range []bool{true, false} {
			t.Run(fmt.Sprintf("call %d before=%v", n, before), func(t *testing.T) {
				h := newHarness(t, releasePolicy)
				fixedAwaiting(h, "5.0.1")
				h.tr.Release("PROJ", "5.0.1", releaseDay)
				ctx, stop := killAt(h, n, before)
				h.clock.Advance(15 * time.Minute)
				if _, err := h.engine().Cycle(ctx); err == nil {
					t.Fatal("the killed cycle reported success")
				}
				stop()
				h.after(10 * time.Minute) // claims of the dead process expire
				h.after(15 * time.Minute) // a check the kill cut short is due again
				if got := releaseState(h); got != want {
					t.Fatalf("after a kill at call %d:\n got:\n%s\nwant:\n%s", n, got, want)
				}
			})
		}
	}
}

// Redis lost after the release was told: the rebuild reads the bug
// released and the ticket tagged released, and says nothing again. Lost
// before the release: the release is told once, from the fixed tag.
func TestReleaseAcrossRedisLoss(t *testing.T) {
	rebuild := func(h *harness) *harness {
		lost := newHarness(t, releasePolicy)
		lost.hd, lost.tr, lost.clock = h.hd, h.tr, h.clock
		lost.opts.Helpdesk, lost.opts.Tracker, lost.opts.Clock = h.hd, h.tr, h.clock
		return lost
	}
	t.Run("after the release", func(t *testing.T) {
		h := newHarness(t, releasePolicy)
		fixedAwaiting(h, "5.0.1")
		h.tr.Release("PROJ", "5.0.1", releaseDay)
		h.after(15 * time.Minute)
		before := releaseState(h)
		lost := rebuild(h)
		if rep := lost.cycle(); rep.Writes() != 0 {
			t.Fatalf("rebuild wrote %v", lost.writes())
		}
		lost.after(time.Hour)
		if got := releaseState(lost); got != before {
			t.Fatalf("state changed by the rebuild:\n got:\n%s\nwant:\n%s", got, before)
		}
	})
	t.Run("before the release", func(t *testing.T) {
		h := newHarness(t, releasePolicy)
		fixedAwaiting(h, "5.0.1")
		lost := rebuild(h)
		lost.settle()
		lost.tr.Release("PROJ", "5.0.1", releaseDay)
		lost.after(15 * time.Minute)
		for _, id := range []int64{1, 2} {
			if n := countNotes(lost, id, "5.0.1 is released"); n != 1 || len(lost.hd.Notes(id)) != 2 {
				t.Fatalf("ticket %d notes %q", id, lost.hd.Notes(id))
			}
		}
		lost.expectTicket(1, "PROJ-1: Done (Fixed in 5.0.1, released)", "bug_released")
		if n := len(lost.hd.Notes(3)); n != 0 {
			t.Fatalf("solved ticket told")
		}
	})
}

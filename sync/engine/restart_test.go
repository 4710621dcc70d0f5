package engine_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// restartWorkload seeds a deployment and returns the change that makes the
// next cycle busy: a bump with its comment, notes, a reopen, remote links
// added and deleted, a stale flag with its comment.
func restartWorkload(h *harness) (change func()) {
	h.hd.PutOrganization(engine.Organization{ID: 101, Tier: "enterprise"})
	h.bug("10", "PROJ-1", "Low")
	h.bug("20", "PROJ-2", "Low")
	h.bug("30", "PROJ-3", "Lowest")
	for i := int64(1); i <= 6; i++ {
		h.ticket(i, 100+i, "PROJ-1")
	}
	h.ticket(7, 107, "PROJ-2")
	h.ticket(8, 108, "PROJ-3")
	h.hd.Put(engine.Ticket{ID: 9, Status: engine.StatusSolved, RequesterID: 9, OrganizationID: 109, KeysField: "PROJ-1"})
	return func() {
		h.setStatus("10", "In Progress", engine.CategoryInProgress, "")
		h.setStatus("20", "Done", engine.CategoryDone, "Fixed", "3.1")
		for i := int64(10); i <= 14; i++ {
			h.ticket(i, 100+i, "PROJ-1")
		}
		h.hd.Edit(7, func(tk *engine.Ticket) { tk.KeysField = "PROJ-2 PROJ-3" })
		h.hd.Edit(6, func(tk *engine.Ticket) { tk.KeysField = "" })
		h.clock.Advance(20 * 24 * time.Hour) // PROJ-3 goes stale
	}
}

// vendorState renders everything the service wrote that people see, with
// the random epoch in markers normalised.
func vendorState(h *harness) string {
	epoch := regexp.MustCompile(`\(ref: hs-[0-9a-f]+-`)
	var b strings.Builder
	for id := int64(1); id <= 14; id++ {
		tk := h.getTicket(id)
		tags := slices.Clone(tk.Tags)
		slices.Sort(tags)
		fmt.Fprintf(&b, "ticket %d %s %q %v notes=%q\n", id, tk.Status, tk.StatusField, tags, epoch.ReplaceAllString(strings.Join(h.hd.Notes(id), "|"), "(ref: hs-E-"))
	}
	for _, id := range []string{"10", "20", "30"} {
		bg := h.getBug(id)
		labels := slices.Clone(bg.Labels)
		slices.Sort(labels)
		comments := h.tr.ServiceComments(id)
		for i := range comments {
			comments[i] = epoch.ReplaceAllString(comments[i], "(ref: hs-E-")
		}
		var links []string
		for gid, l := range h.tr.Links(id) {
			links = append(links, fmt.Sprintf("%s %s %v", gid, l.Title, l.Resolved))
		}
		slices.Sort(links)
		fmt.Fprintf(&b, "bug %s %s %v %v comments=%q links=%q\n", id, bg.Priority, countOf(bg), labels, comments, links)
	}
	return b.String()
}

// killAt makes the n-th port call of either vendor cancel the cycle's
// context: before the call is made (before=true), or right after it
// succeeded, so that the engine dies before recording it.
func killAt(h *harness, n int, before bool) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	calls := 0
	fail := func(_ context.Context, op string) error {
		mu.Lock()
		defer mu.Unlock()
		if calls++; calls == n {
			cancel()
			if before {
				return context.Canceled
			}
		}
		return nil
	}
	h.hd.Fail, h.tr.Fail = fail, fail
	return ctx, func() { h.hd.Fail, h.tr.Fail = nil, nil; cancel() }
}

// Killing the process at any port call of a busy cycle, then starting again,
// ends in the same vendor state as a run that was never interrupted: no
// write lost, no note or comment twice.
func TestRestartAtAnyPointReachesTheSameState(t *testing.T) {
	ref := newHarness(t)
	change := restartWorkload(ref)
	ref.settle()
	change()
	ref.resetCalls()
	ref.settle()
	want := vendorState(ref)
	if !strings.Contains(want, "is now in progress") || !strings.Contains(want, "stale") || !strings.Contains(want, "raised to") {
		t.Fatalf("workload does not exercise notes, stale and bumps:\n%s", want)
	}

	// Count the port calls of the busy cycle to kill at each of them.
	probe := newHarness(t)
	change = restartWorkload(probe)
	probe.settle()
	change()
	probe.resetCalls()
	probe.cycle()
	total := 0
	for _, calls := range []map[string]int{probe.hd.Calls.Snapshot(), probe.tr.Calls.Snapshot()} {
		for op, n := range calls {
			if !strings.Contains(op, ".") { // "UpdateTickets.job" counts jobs inside a call
				total += n
			}
		}
	}
	if total < 15 {
		t.Fatalf("busy cycle makes only %d port calls", total)
	}

	for n := 1; n <= total; n++ {
		for _, before := range []bool{true, false} {
			t.Run(fmt.Sprintf("call %d before=%v", n, before), func(t *testing.T) {
				h := newHarness(t)
				change := restartWorkload(h)
				h.settle()
				change()
				ctx, stop := killAt(h, n, before)
				h.clock.Advance(time.Minute)
				if _, err := h.engine().Cycle(ctx); err == nil {
					t.Fatal("the killed cycle reported success")
				}
				stop()
				h.clock.Advance(10 * time.Minute) // claims of the dead process expire
				h.settle()
				if got := vendorState(h); got != want {
					t.Fatalf("state after a kill at call %d differs:\n got:\n%s\nwant:\n%s", n, got, want)
				}
			})
		}
	}
}

// Losing Redis entirely: the next start rebuilds the state from the vendors
// and writes nothing that was already written, says nothing twice; later
// changes are handled as before.
func TestRedisLossRebuildsWithoutRepeating(t *testing.T) {
	h := newHarness(t)
	change := restartWorkload(h)
	h.settle()
	change()
	h.settle()
	before := vendorState(h)

	lost := newHarness(t) // same vendors, empty Redis
	lost.hd, lost.tr, lost.clock = h.hd, h.tr, h.clock
	lost.opts.Helpdesk, lost.opts.Tracker, lost.opts.Clock = h.hd, h.tr, h.clock
	lost.resetCalls()
	rep := lost.cycle()
	if rep.Writes() != 0 {
		t.Fatalf("rebuild wrote %v: %+v", lost.writes(), rep)
	}
	lost.settle()
	if got := vendorState(lost); got != before {
		t.Fatalf("state changed by the rebuild:\n got:\n%s\nwant:\n%s", got, before)
	}
	lost.expectIdle()

	lost.setStatus("10", "Done", engine.CategoryDone, "Fixed", "2.0")
	lost.settle()
	for _, id := range []int64{1, 2, 3, 4, 5, 10} {
		notes := lost.hd.Notes(id)
		if len(notes) == 0 || !strings.Contains(notes[len(notes)-1], "fixed in 2.0, not yet released") {
			t.Fatalf("ticket %d notes after the rebuild %q", id, notes)
		}
		if c := strings.Count(strings.Join(notes, "\n"), "fixed in 2.0, not yet released"); c != 1 {
			t.Fatalf("ticket %d told %d times", id, c)
		}
	}
}

// A step stopped in the middle of a bug write (a SIGTERM past the grace)
// still settles its claims: the item is retried after its backoff, not
// hidden until the dead step's claim lease (5 minutes) expires.
func TestStoppedStepSettlesItsClaims(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	ctx, cancel := context.WithCancel(h.ctx)
	h.tr.Fail = func(_ context.Context, op string) error {
		if op == "EditBug" {
			cancel()
			return context.Canceled
		}
		return nil
	}
	h.clock.Advance(time.Minute)
	if _, err := h.engine().Cycle(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped cycle returned %v", err)
	}
	h.tr.Fail = nil
	if b := h.getBug("10"); b.CustomerCount != nil {
		t.Fatalf("the refused edit landed: %+v", b)
	}
	h.clock.Advance(time.Minute) // past the first retry's 30s backoff, well before the 5m claim lease
	if _, err := h.engine().Cycle(h.ctx); err != nil {
		t.Fatal(err)
	}
	if b := h.getBug("10"); b.CustomerCount == nil || *b.CustomerCount != 1 {
		t.Fatalf("the stopped bug was not retried a minute later: count %v", countOf(b))
	}
}

// A rebuild reads each linked bug and its remote links once: those the
// export's pages name while the export goes on, the rest after it.
func TestRebuildReadsEachBugOnceWhileExporting(t *testing.T) {
	h := newHarness(t)
	restartWorkload(h)
	h.settle()

	lost := newHarness(t) // same vendors, empty Redis
	lost.hd, lost.tr, lost.clock = h.hd, h.tr, h.clock
	lost.opts.Helpdesk, lost.opts.Tracker, lost.opts.Clock = h.hd, h.tr, h.clock
	lost.hd.PageSize = 2 // five pages, each naming a bug or two
	defer func() { lost.hd.PageSize = 0 }()
	lost.resetCalls()
	if rep := lost.cycle(); rep.Writes() != 0 {
		t.Fatalf("rebuild wrote %v: %+v", lost.writes(), rep)
	}
	// Bugs 10, 20 and 30 are linked; each has its remote links read once.
	if n := lost.tr.Calls.Get("RemoteLinks"); n != 3 {
		t.Errorf("remote links read %d times for 3 linked bugs", n)
	}
	lost.settle()
	lost.expectIdle()
}

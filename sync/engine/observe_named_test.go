package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Enqueue only queues: the named tickets are read afresh by the next drain,
// in one read, however often they were named, and reconciled once.
func TestEnqueueCollapsesAFlood(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.ticket(2, 102, "PROJ-1") // not yet seen by any poll
	h.resetCalls()
	e := h.engine()
	for range 50 {
		if err := e.Enqueue(h.ctx, []int64{2}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.hd.Calls.Get("Tickets") + len(h.writes()); n != 0 {
		t.Fatalf("Enqueue called a vendor: %v", h.hd.Calls.Snapshot())
	}
	backlog, err := e.Backlog(h.ctx)
	if err != nil || backlog[engine.TicketReadQueue] != 1 {
		t.Fatalf("backlog %v, %v; want one ticket to read", backlog, err)
	}
	if _, err := e.Drain(h.ctx); err != nil {
		t.Fatal(err)
	}
	if n := h.hd.Calls.Get("Tickets"); n != 1 {
		t.Fatalf("%d ticket reads for one ticket named 50 times", n)
	}
	h.expectWrites(map[string]int{"EditBug": 1, "UpdateTickets": 1, "UpsertRemoteLink": 1})
	h.expectBug("10", "Low", 2)
	h.expectTicket(2, "PROJ-1: To Do", "bug_open")
	h.resetCalls()
	if _, err := e.Drain(h.ctx); err != nil {
		t.Fatal(err)
	}
	if n := h.hd.Calls.Get("Tickets") + len(h.writes()); n != 0 {
		t.Fatalf("a second drain worked again: %v %v", h.hd.Calls.Snapshot(), h.writes())
	}
}

// Named bugs are read by immutable id when known; bugs nothing links to are
// not read at all; a deleted bug is dropped from its tickets.
func TestEnqueueBugs(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.bug("20", "PROJ-2", "Low")
	h.bug("30", "PROJ-3", "Low") // linked to nothing
	h.ticket(1, 101, "PROJ-1 PROJ-2")
	h.settle()

	h.setStatus("10", "In Progress", engine.CategoryInProgress, "")
	h.tr.Delete("20")
	h.setStatus("30", "In Progress", engine.CategoryInProgress, "")
	h.resetCalls()
	e := h.engine()
	if err := e.Enqueue(h.ctx, nil, []string{"proj-1", "20", "PROJ-3", "PROJ-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Drain(h.ctx); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(h.tr.Calls.Get("BugsByID"), h.tr.Calls.Get("BugsByKey")); got != "1 0" {
		t.Fatalf("BugsByID, BugsByKey calls %s; want one read by id", got)
	}
	h.expectTicket(1, "PROJ-1: In Progress", "bug_in_progress")
	if gone := h.events.of(engine.EventBugGone); len(gone) != 1 || gone[0].BugID != "20" {
		t.Fatalf("bug-gone events %+v", gone)
	}
}

// Refs that are neither keys of a configured project nor issue ids are
// refused before they are stored; valid ones beside them are queued.
func TestEnqueueRefusesBadRefs(t *testing.T) {
	h := newHarness(t)
	e := h.engine()
	for _, tc := range []struct {
		tickets []int64
		bugs    []string
	}{
		{bugs: []string{"key OR 1=1", "PROJ-1"}},
		{bugs: []string{"OTHER-1"}},
		{bugs: []string{"-1"}},
		{bugs: []string{"99999999999999999999"}},
		{tickets: []int64{0, 5}},
		{tickets: []int64{-3}},
	} {
		if err := e.Enqueue(h.ctx, tc.tickets, tc.bugs); !errors.Is(err, engine.ErrPermanent) {
			t.Errorf("Enqueue(%v, %q) = %v; want a refusal wrapping ErrPermanent", tc.tickets, tc.bugs, err)
		}
	}
	backlog, err := e.Backlog(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if backlog[engine.BugReadQueue] != 1 || backlog[engine.TicketReadQueue] != 1 {
		t.Fatalf("backlog %v; want PROJ-1 and ticket 5 only", backlog)
	}
}

type latencies struct {
	mu  sync.Mutex
	got map[string][]time.Duration
}

func (l *latencies) ObserveEventToWrite(kind string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.got == nil {
		l.got = map[string][]time.Duration{}
	}
	l.got[kind] = append(l.got[kind], d)
}

// The latency of a named item runs from the first time it was named to the
// end of the pass that settled it, on the engine's clock.
func TestEnqueueLatency(t *testing.T) {
	lat := &latencies{}
	h := newHarness(t, func(o *engine.Options) { o.Latency = lat })
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	e := h.engine()
	if err := e.Enqueue(h.ctx, []int64{1}, []string{"PROJ-1"}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(3 * time.Second)
	if err := e.Enqueue(h.ctx, []int64{1}, nil); err != nil { // the same ticket again: one item, first time kept
		t.Fatal(err)
	}
	h.clock.Advance(2 * time.Second)
	if _, err := e.Drain(h.ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string][]time.Duration{"ticket": {5 * time.Second}, "bug": {5 * time.Second}}
	if fmt.Sprint(lat.got) != fmt.Sprint(want) {
		t.Fatalf("latencies %v, want %v", lat.got, want)
	}
}

type pace time.Duration

func (p pace) PollInterval(context.Context) time.Duration { return time.Duration(p) }

// Run drains at once on a wake, without waiting for its period.
func TestRunWakes(t *testing.T) {
	wake := make(chan struct{}, 1)
	h := newHarness(t, func(o *engine.Options) { o.PollInterval = time.Hour; o.Wake = wake })
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.resetCalls()
	e := h.engine()
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	waitFor(t, func() bool { return h.hd.Calls.Get("ChangedTickets") == 1 }) // the first poll, at once

	h.hd.Edit(1, func(tk *engine.Ticket) { tk.KeysField = "" }) // the agent unlinks it
	if err := e.Enqueue(h.ctx, []int64{1}, nil); err != nil {
		t.Fatal(err)
	}
	wake <- struct{}{}
	waitFor(t, func() bool { return h.tr.Calls.Get("EditBug") > 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := h.hd.Calls.Get("ChangedTickets"); n != 1 {
		t.Fatalf("%d polls; the wake should drain, not poll", n)
	}
	if b := h.getBug("10"); b.CustomerCount == nil || *b.CustomerCount != 0 {
		t.Fatalf("bug count %v after the only ticket was unlinked", countOf(b))
	}
}

// With a pacer asking for slower polls, the drains between polls work the
// queue and nothing polls before the pacer's interval.
func TestRunPaces(t *testing.T) {
	h := newHarness(t, func(o *engine.Options) {
		o.PollInterval, o.DrainInterval, o.Pacer = 10*time.Second, 10*time.Second, pace(time.Hour)
	})
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.resetCalls()
	e := h.engine()
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	waitFor(t, func() bool { return h.hd.Calls.Get("ChangedTickets") == 1 })
	h.hd.Edit(1, func(tk *engine.Ticket) { tk.KeysField = "" })
	if err := e.Enqueue(h.ctx, []int64{1}, nil); err != nil {
		t.Fatal(err)
	}
	for range 3 { // drains, 10 s apart: no poll before the pacer's hour
		at := h.clock.Now().Add(10 * time.Second)
		waitFor(t, func() bool { return slices.Contains(h.clock.Timers(), at) })
		h.clock.Advance(10 * time.Second)
	}
	waitFor(t, func() bool { return h.tr.Calls.Get("EditBug") > 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := h.hd.Calls.Get("ChangedTickets"); n != 1 {
		t.Fatalf("%d polls within the pacer's hour; want the first only", n)
	}
}

// waitFor polls cond until it holds, failing the test after 10s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
	}
}

// With tracker links, a named bug the store does not know is read: its
// remote links may link it. One of a project not configured is left alone.
func TestEnqueueUnknownBugWithTrackerLinks(t *testing.T) {
	h := newHarness(t, func(o *engine.Options) { o.Policy.TrackerLinks = true })
	h.ticket(1, 101, "")
	h.settle()
	for _, b := range []engine.Bug{
		{ID: "40", Key: "PROJ-4", Project: "PROJ", Status: "To Do", StatusCategory: engine.CategoryToDo, Priority: "Low"},
		{ID: "50", Key: "OTHER-5", Project: "OTHER", Status: "To Do", StatusCategory: engine.CategoryToDo, Priority: "Low"},
	} {
		h.tr.Put(b)
		h.tr.LinkTicket(b.ID, "zendesk-1", zdBase+"/agent/tickets/1")
	}
	e := h.engine()
	if err := e.Enqueue(h.ctx, nil, []string{"40", "50"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Drain(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.expectTicket(1, "PROJ-4: To Do", "bug_open")
}

package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestNewRejectsMissingDependenciesAndBadPolicy(t *testing.T) {
	p := policy()
	p.CountBy = "teams"
	_, err := engine.New(engine.Options{Policy: p})
	for _, want := range []string{"Options.Helpdesk is required", "Options.Tracker is required", "Options.Store is required", `count_by: "teams"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New() = %v, want it to mention %q", err, want)
		}
	}
}

// Twelve customers link one bug through the field (any case, several keys)
// and tags: the bug gets the count, the floor priority with one comment, the
// count label and a remote link per ticket, in one edit; every ticket shows
// the bug in one batch write. The next cycle writes nothing, and an idle
// cycle costs one read per system.
func TestLinkCountPrioritizeAnnotate(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.bug("20", "PROJ-2", "Low")
	for i := int64(1); i <= 12; i++ {
		switch {
		case i%3 == 0:
			h.ticket(i, 100+i, "", "jira_proj_1")
		case i%3 == 1:
			h.ticket(i, 100+i, "proj-1")
		default:
			h.ticket(i, 100+i, "PROJ-1, OTHER-5")
		}
	}

	rep := h.cycle()
	h.expectWrites(map[string]int{"EditBug": 1, "AddComment": 1, "UpsertRemoteLink": 12, "UpdateTickets": 1})
	if rep.LinksAdded != 12 || rep.PriorityChanges != 1 || rep.TicketUpdates != 12 || rep.KeysIgnored != 4 {
		t.Fatalf("report %+v", rep)
	}
	h.expectBug("10", "High", 12, "customers-10plus")
	h.expectLinkedTickets("10", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
	comments := h.tr.ServiceComments("10")
	if len(comments) != 1 || !strings.HasPrefix(comments[0], "12 customers now report this; raised to High by helpdesk-sync (threshold 10).") {
		t.Fatalf("comments %q", comments)
	}
	for i := int64(1); i <= 12; i++ {
		h.expectTicket(i, "PROJ-1: To Do", append(tagsOf(i), "bug_open")...)
	}
	if b := h.getBug("20"); b.CustomerCount != nil || len(h.tr.Links("20")) != 0 {
		t.Fatalf("an unlinked bug was written: %+v", b)
	}
	if ev := h.events.of(engine.EventKeyIgnored); len(ev) != 4 || !strings.Contains(ev[0].Detail, `"OTHER-5": project not configured`) {
		t.Fatalf("ignored-key events %+v", ev)
	}

	h.resetCalls()
	if rep := h.cycle(); rep.Writes() != 0 {
		t.Fatalf("second cycle wrote: %+v %v", rep, h.writes())
	}
	h.expectWrites(map[string]int{})
	h.expectIdle()
}

func tagsOf(i int64) []string {
	if i%3 == 0 {
		return []string{"jira_proj_1"}
	}
	return nil
}

type fence struct{ err error }

func (f *fence) Check(context.Context) error { return f.err }

// A replica that lost the lease writes nothing as the leader; Run then only
// drains the shared queue, and stops cleanly when its context ends.
func TestFenceAndRun(t *testing.T) {
	lease := &fence{}
	h := newHarness(t, func(o *engine.Options) { o.Fence = lease; o.PollInterval = 10 * time.Millisecond })
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()

	h.ticket(2, 102, "PROJ-1")
	lease.err = errors.New("lease held by replica b")
	h.resetCalls()
	if _, err := h.engine().Cycle(h.ctx); err == nil || !strings.Contains(err.Error(), "not the leader") {
		t.Fatalf("Cycle without the lease: %v", err)
	}
	if n := h.hd.Calls.Get("ChangedTickets") + len(h.writes()); n != 0 {
		t.Fatalf("a replica without the lease polled or wrote: %v %v", h.hd.Calls.Snapshot(), h.writes())
	}

	// Run without the lease drains what the leader queued, and polls nothing.
	lease.err = nil
	h.cycle() // the leader observes ticket 2 (and reconciles it)
	h.hd.Edit(2, func(tk *engine.Ticket) { tk.Subject = "renamed by the agent" })
	if err := h.engine().Enqueue(h.ctx, []int64{2}, nil); err != nil { // a webhook, on any replica
		t.Fatal(err)
	}
	lease.err = errors.New("lost")
	h.resetCalls()
	ctx, cancel := context.WithTimeout(h.ctx, 200*time.Millisecond)
	defer cancel()
	if err := h.engine().Run(ctx); err != nil {
		t.Fatalf("Run returned %v on a cancelled context; want a clean stop", err)
	}
	if n := h.hd.Calls.Get("ChangedTickets") + h.tr.Calls.Get("ChangedBugs"); n != 0 {
		t.Fatalf("a follower polled %d times", n)
	}
	h.expectWrites(map[string]int{"UpsertRemoteLink": 1}) // the new title, drained by the follower
	if l := h.tr.Links("10")["helpdesk-sync:"+zdBase+"/agent/tickets/2"]; !strings.Contains(l.Title, "renamed by the agent") {
		t.Fatalf("link %+v", l)
	}
}

// Two replicas draining one queue at once never work the same item twice.
func TestReplicasShareTheQueue(t *testing.T) {
	h := newHarness(t, func(o *engine.Options) { o.Batch = 5 })
	for b := range 20 {
		id := strconv.Itoa(100 + b)
		h.bug(id, "PROJ-"+id, "Low")
		h.ticket(int64(b+1), int64(500+b), "PROJ-"+id)
	}
	h.opts.DryRun = true // observe only: queue everything, write nothing
	h.cycle()
	h.opts.DryRun = false
	h.resetCalls()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.engine().Drain(h.ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	h.expectWrites(map[string]int{"EditBug": 20, "UpsertRemoteLink": 20, "UpdateTickets": h.hd.Calls.Get("UpdateTickets")})
	if n := h.hd.Calls.Get("UpdateTickets.job"); n < 4 {
		t.Fatalf("%d update jobs for 20 tickets in batches of 5", n)
	}
	for b := range 20 {
		h.expectTicket(int64(b+1), fmt.Sprintf("PROJ-%d: To Do", 100+b), "bug_open")
	}
	h.expectIdle()
}

// switchFence is a lease another goroutine grants while Run runs.
type switchFence struct{ leading atomic.Bool }

func (f *switchFence) Check(context.Context) error {
	if f.leading.Load() {
		return nil
	}
	return errors.New("lease held by another replica")
}

// A replica that becomes leader while Run runs, without being told it was
// elected, polls at its next drain, not a whole poll interval later.
func TestRunPollsSoonAfterBecomingLeader(t *testing.T) {
	lease := &switchFence{}
	h := newHarness(t, func(o *engine.Options) {
		o.Fence, o.PollInterval, o.DrainInterval = lease, time.Hour, 10*time.Second
	})
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- h.engine().Run(ctx) }()
	for range 3 { // a few drains as a standby
		at := h.clock.Now().Add(10 * time.Second)
		waitFor(t, func() bool { return slices.Contains(h.clock.Timers(), at) })
		h.clock.Advance(10 * time.Second)
	}
	if n := h.hd.Calls.Get("ChangedTickets"); n != 0 {
		t.Fatalf("a standby polled %d times", n)
	}
	lease.leading.Store(true)
	at := h.clock.Now().Add(10 * time.Second)
	waitFor(t, func() bool { return slices.Contains(h.clock.Timers(), at) })
	h.clock.Advance(10 * time.Second)
	waitFor(t, func() bool { return h.hd.Calls.Get("ChangedTickets") > 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// stepClock records when, on the harness clock, each step started.
type stepClock struct {
	clock *clocktest.Manual
	mu    sync.Mutex
	at    []stepAt
}

type stepAt struct {
	step string
	at   time.Time
}

func (s *stepClock) StepStarted(step string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, stepAt{step, s.clock.Now()})
}

func (s *stepClock) ObserveStep(string, engine.Report, error) {}

// count is the steps started so far.
func (s *stepClock) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.at)
}

// cycles returns when each cycle started.
func (s *stepClock) cycles() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Time
	for _, a := range s.at {
		if a.step == "cycle" {
			out = append(out, a.at)
		}
	}
	return out
}

// Polls start PollInterval after the previous poll started, however long
// it took (at once when it took longer), and a replica elected leader
// polls at once rather than at its next drain.
func TestRunPollsOnTime(t *testing.T) {
	lease := &switchFence{}
	elected := make(chan struct{}, 1)
	steps := &stepClock{}
	h := newHarness(t, func(o *engine.Options) {
		o.Fence, o.Elected, o.Steps = lease, elected, steps
		o.PollInterval, o.DrainInterval = 30*time.Second, 10*time.Second
	})
	steps.clock = h.clock
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	// Each poll takes 5 s; one set here takes longer, once.
	const takes = 5 * time.Second
	var long atomic.Int64
	h.tr.Fail = func(_ context.Context, op string) error {
		if op == "ChangedBugs" {
			h.clock.Advance(max(takes, time.Duration(long.Swap(0))))
		}
		return nil
	}
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- h.engine().Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	// A standby drains, and arms its next drain.
	start := h.clock.Now()
	waitFor(t, func() bool { return slices.Contains(h.clock.Timers(), start.Add(10*time.Second)) })
	if n := len(steps.cycles()); n != 0 {
		t.Fatalf("a standby polled %d times", n)
	}
	// Elected: it polls at once, without the clock moving.
	lease.leading.Store(true)
	elected <- struct{}{}
	waitFor(t, func() bool { return len(steps.cycles()) == 1 })
	first := steps.cycles()[0]
	if !first.Equal(start) {
		t.Fatalf("the new leader polled %s after it was elected", first.Sub(start))
	}
	// The next poll is armed for 30 s after the first started, not after
	// it ended; advancing to that instant starts it.
	next := first.Add(30 * time.Second)
	waitFor(t, func() bool { return slices.Contains(h.clock.Timers(), next) })
	h.clock.Advance(next.Sub(h.clock.Now()))
	waitFor(t, func() bool { return len(steps.cycles()) == 2 })
	if at := steps.cycles()[1]; !at.Equal(next) {
		t.Fatalf("second poll %s after the first started, want 30s", at.Sub(first))
	}
	// A poll that outlasts the interval is followed by the next at once.
	next = next.Add(30 * time.Second)
	waitFor(t, func() bool { return slices.Contains(h.clock.Timers(), next) })
	long.Store(int64(45 * time.Second))
	h.clock.Advance(next.Sub(h.clock.Now()))
	waitFor(t, func() bool { return len(steps.cycles()) == 4 })
	if c := steps.cycles(); !c[3].Equal(c[2].Add(45 * time.Second)) {
		t.Fatalf("the poll after a 45s one started %s after it, want at once", c[3].Sub(c[2]))
	}
}

// Without a DrainInterval, a replica drains the queue 5 s after its last
// step, or PollInterval after when that is shorter: what webhooks queued
// is worked within that even when the wake-up is lost (README, Webhooks).
func TestRunDrainsFiveSecondsAfterEachStepByDefault(t *testing.T) {
	for _, tt := range []struct {
		poll, want time.Duration
	}{
		{0, 5 * time.Second}, // PollInterval's default, 1m
		{time.Hour, 5 * time.Second},
		{2 * time.Second, 2 * time.Second},
	} {
		t.Run(tt.poll.String(), func(t *testing.T) {
			steps := &stepClock{}
			h := newHarness(t, func(o *engine.Options) {
				o.Fence, o.Steps, o.PollInterval = &switchFence{}, steps, tt.poll // a standby: it only drains
			})
			steps.clock = h.clock
			ctx, cancel := context.WithCancel(h.ctx)
			done := make(chan error, 1)
			go func() { done <- h.engine().Run(ctx) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Error(err)
				}
			}()
			for i := range 3 {
				waitFor(t, func() bool { return len(h.clock.Timers()) == 1 })
				if at := h.clock.Timers()[0]; !at.Equal(start.Add(time.Duration(i+1) * tt.want)) {
					t.Fatalf("drain %d armed the next for %s after the run started, want %s", i+1, at.Sub(start), time.Duration(i+1)*tt.want)
				}
				h.clock.Advance(tt.want)
				waitFor(t, func() bool { return steps.count() == i+2 })
			}
		})
	}
}

package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// replica is an engine process of the harness's deployment with a
// claimant of its own, on a Redis connection of its own that dies with it.
type replica struct {
	h     *harness
	token string
	dead  atomic.Bool
	opts  engine.Options
}

var errKilled = errors.New("killed")

// deadHook fails every Redis command of a killed replica.
type deadHook struct{ r *replica }

func (d deadHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (d deadHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if d.r.dead.Load() {
			cmd.SetErr(errKilled)
			return errKilled
		}
		return next(ctx, cmd)
	}
}

func (d deadHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if d.r.dead.Load() {
			return errKilled
		}
		return next(ctx, cmds)
	}
}

func (h *harness) replica(name string) *replica {
	h.t.Helper()
	u, err := redistest.URL()
	if err != nil {
		h.t.Fatal(err)
	}
	o, err := redis.ParseURL(u)
	if err != nil {
		h.t.Fatal(err)
	}
	c := redis.NewClient(o)
	h.t.Cleanup(func() { _ = c.Close() })
	r := &replica{h: h, token: name, opts: h.opts}
	c.AddHook(deadHook{r})
	r.opts.Store = state.New(c, h.prefix, time.Hour)
	r.opts.Claimant = r
	if err := h.rdb.Set(h.ctx, h.prefix+state.ClaimantPrefix+name, "1", 0).Err(); err != nil {
		h.t.Fatal(err)
	}
	return r
}

func (r *replica) Token() string {
	if r.dead.Load() {
		return ""
	}
	return r.token
}

func (r *replica) Holds(token string) bool { return token == r.Token() && token != "" }

// kill stops the replica dead: its Redis connection fails from now on,
// and its claimant key is gone, as it is once its TTL runs out.
func (r *replica) kill() {
	r.dead.Store(true)
	if err := r.h.rdb.Del(r.h.ctx, r.h.prefix+state.ClaimantPrefix+r.token).Err(); err != nil {
		r.h.t.Fatal(err)
	}
}

func (r *replica) engine() *engine.Engine {
	r.h.t.Helper()
	e, err := engine.New(r.opts)
	if err != nil {
		r.h.t.Fatal(err)
	}
	return e
}

// The leader dies after Zendesk took its notes and before it recorded them
// or acked its claims. Its claims die with it: the next leader, a minute
// later (well inside the five-minute claim lease), takes the tickets up at
// once, says nothing twice, and a later change to them goes through.
func TestDeadLeadersClaimsAreResumedAtOnce(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	for i := range int64(3) {
		h.ticket(1+i, 101+i, "PROJ-1")
	}
	h.settle()
	h.setStatus("10", "In Progress", engine.CategoryInProgress, "")

	a := h.replica("a")
	h.hd.Lost = func(context.Context, string) error {
		a.kill() // right as the notes are taken: nothing after reaches Redis
		return nil
	}
	h.clock.Advance(time.Minute)
	if _, err := a.engine().Cycle(h.ctx); err == nil {
		t.Fatal("the killed leader's cycle reported success")
	}
	h.hd.Lost = nil
	for id := int64(1); id <= 3; id++ {
		if n := len(h.hd.Notes(id)); n != 1 {
			t.Fatalf("ticket %d has %d notes before the takeover, want the dead leader's one", id, n)
		}
	}

	b := h.replica("b")
	h.setStatus("10", "Done", engine.CategoryDone, "Fixed", "2.0")
	h.clock.Advance(time.Minute)
	if _, err := b.engine().Cycle(h.ctx); err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 3; id++ {
		notes := h.hd.Notes(id)
		if len(notes) != 2 || !strings.Contains(notes[0], "in progress") || !strings.Contains(notes[1], "fixed in 2.0, not yet released") {
			t.Fatalf("ticket %d notes %q: want the dead leader's and the fix, each once", id, notes)
		}
	}
}

// A replica that is not the leader dies while reading what a webhook
// named: the next drain of any replica takes the work up at once.
func TestDeadFollowersClaimsAreResumedAtOnce(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.ticket(2, 102, "PROJ-1")
	h.settle()
	h.hd.Edit(2, func(tk *engine.Ticket) { tk.KeysField = "" }) // the agent unlinks it

	a := h.replica("a")
	if err := a.engine().Enqueue(h.ctx, []int64{2}, nil); err != nil { // the webhook
		t.Fatal(err)
	}
	h.hd.Fail = func(_ context.Context, op string) error {
		if op == "Tickets" {
			a.kill()
		}
		return nil
	}
	if _, err := a.engine().Drain(h.ctx); err == nil {
		t.Fatal("the killed replica's drain reported success")
	}
	h.hd.Fail = nil

	b := h.replica("b")
	h.clock.Advance(time.Second)
	if _, err := b.engine().Drain(h.ctx); err != nil {
		t.Fatal(err)
	}
	if c := h.getBug("10").CustomerCount; c == nil || *c != 1 {
		t.Fatalf("bug count %v after the unlink, want 1", countOf(h.getBug("10")))
	}
}

// A replica whose claimant lapsed (it stalled past its key's TTL) and
// whose claim went to another says nothing more about the item: the store
// refuses to mark its note in flight.
func TestLapsedClaimantSaysNothing(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.setStatus("10", "In Progress", engine.CategoryInProgress, "")
	h.opts.DryRun = true // observe only: ticket 1 is due for a note
	h.cycle()
	h.opts.DryRun = false

	a, b := h.replica("a"), h.replica("b")
	claims, err := a.opts.Store.Claim(h.ctx, engine.TicketQueue, h.clock.Now(), 10, h.clock.Now().Add(time.Hour), "a")
	if err != nil || len(claims) != 1 {
		t.Fatalf("a claimed %v, %v", claims, err)
	}
	// a stalls; its key expires; b takes the ticket.
	if err := h.rdb.Del(h.ctx, h.prefix+state.ClaimantPrefix+"a").Err(); err != nil {
		t.Fatal(err)
	}
	if again, err := b.opts.Store.Claim(h.ctx, engine.TicketQueue, h.clock.Now(), 10, h.clock.Now().Add(time.Hour), "b"); err != nil || len(again) != 1 {
		t.Fatalf("b claimed %v, %v", again, err)
	}
	err = a.opts.Store.SetNoteMarksFor(h.ctx, map[int64]map[string]engine.NoteMark{1: {"10": {Seq: 1, Sending: 2}}}, nil, "a")
	if !errors.Is(err, engine.ErrClaimLost) {
		t.Fatalf("a marked a note in flight for a ticket b holds: %v", err)
	}
	if err := a.opts.Store.SetBugMemoryFor(h.ctx, "10", engine.BugMemory{OpenTickets: 1}, engine.Standing{}, "a"); !errors.Is(err, engine.ErrClaimLost) {
		t.Fatalf("a wrote the memory of a bug it never claimed: %v", err)
	}
}

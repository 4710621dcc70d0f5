package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/semaphore"
)

// holds are the kinds of writes the blast-radius guard withholds this cycle.
type holds struct {
	priority bool // priority changes (and their comments)
	bugs     bool // every bug write
	tickets  bool // every ticket write
}

// reconcile works the dirty bugs, then the dirty tickets, that are due at
// until. It first resolves the keys observation left waiting, so that the
// bugs they link are due in this pass. Items marked dirty while it runs
// are due later: the next cycle.
func (e *Engine) reconcile(ctx context.Context, epoch string, until time.Time, fenced bool, t *tally) error {
	// A failed lookup leaves its keys waiting; what is dirty is worked
	// regardless.
	keysErr := e.resolveWaiting(ctx, until, fenced, t)
	if ctx.Err() != nil {
		return errors.Join(keysErr, ctx.Err())
	}
	e.dueFloor.Store(until.Add(time.Millisecond).UnixNano())
	defer e.dueFloor.Store(0)
	h, err := e.guard(ctx, epoch, until, t)
	if err != nil {
		return errors.Join(keysErr, err)
	}
	// Bugs and tickets are written to different vendors from what was
	// observed, so both queues are worked at once: a ticket shows its bug's
	// status as read, not as this pass writes it. A bug this pass finds
	// gone marks its tickets dirty for the next pass.
	var bugErr, ticketErr error
	var wg sync.WaitGroup
	if !h.bugs {
		wg.Go(func() {
			bugErr = e.batches(ctx, BugQueue, until, bugBatchesInFlight, func(claims []Claim) error {
				return e.bugBatch(ctx, epoch, claims, h.priority, fenced, t)
			})
		})
	}
	if !h.tickets {
		wg.Go(func() {
			ticketErr = e.batches(ctx, TicketQueue, until, ticketBatchesInFlight, func(claims []Claim) error {
				return e.ticketBatch(ctx, epoch, claims, fenced, t)
			})
		})
	}
	wg.Wait()
	return errors.Join(keysErr, bugErr, ticketErr)
}

// bugBatchesInFlight lets the next batch of bugs start while the last bugs
// of the previous one finish; the engine's Workers slots bound the bugs
// worked at once.
const bugBatchesInFlight = 2

// ticketBatchesInFlight is how many ticket batches are worked at once. A
// batch waits for its update_many job, which takes a second or more on a
// real account: keeping a few in flight makes that wait overlap with the
// next batches' work, well under Zendesk's limit of 30 queued jobs.
const ticketBatchesInFlight = 4

// batches hands work successive batches of the items of q due at until,
// up to inFlight at once: claimed in a real run (work acks or reschedules
// each), only listed in a dry run, which leaves the queue as it is and
// works one batch at a time.
func (e *Engine) batches(ctx context.Context, q Queue, until time.Time, inFlight int, work func([]Claim) error) error {
	if e.opts.DryRun {
		return e.peek(ctx, q, until, func(ids []string) error {
			claims := make([]Claim, len(ids))
			for i, id := range ids {
				claims[i] = Claim{ID: id}
			}
			return work(claims)
		})
	}
	var (
		mu      sync.Mutex
		errs    []error
		stopped atomic.Bool // the fence was lost: claim nothing more
		wg      sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	// A batch is claimed only once a slot is free, so that no claim's
	// lease runs while it waits for one.
	slots := semaphore.NewWeighted(int64(max(inFlight, 1)))
	for ctx.Err() == nil {
		if err := slots.Acquire(ctx, 1); err != nil {
			fail(err)
			break
		}
		if stopped.Load() {
			break
		}
		claims, err := e.st.Claim(ctx, q, until, int64(e.opts.Batch), e.now().Add(e.opts.Lease), e.claimant())
		if err != nil || len(claims) == 0 {
			if err != nil {
				fail(err)
			}
			break
		}
		wg.Go(func() {
			defer slots.Release(1)
			if err := work(claims); err != nil {
				fail(err)
				if errors.Is(err, errNotLeader) {
					stopped.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// peek lists the items of q due at until, a batch at a time, claiming none.
func (e *Engine) peek(ctx context.Context, q Queue, until time.Time, fn func([]string) error) error {
	for off := int64(0); ctx.Err() == nil; off += int64(e.opts.Batch) {
		ids, err := e.st.Due(ctx, q, until, off, int64(e.opts.Batch))
		if err != nil || len(ids) == 0 {
			return err
		}
		if err := fn(ids); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// guard counts the writes this cycle would make and holds the kinds over
// their limit, loudly, until an operator confirms or raises the limit. The
// count needs a planning pass only when more items are due than a limit.
func (e *Engine) guard(ctx context.Context, epoch string, until time.Time, t *tally) (holds, error) {
	lim := e.policy.Limits
	kinds := []guardKind{
		{name: "priority", limit: lim.MaxPriorityChanges},
		{name: "bug", limit: lim.MaxBugEdits},
		{name: "ticket", limit: lim.MaxTicketUpdates},
	}
	if lim != (Limits{}) && e.opts.ConfirmLargeChange {
		// Nothing will be held, so a planning pass would only sharpen a
		// log line, at the cost of reading every due item twice. The items
		// due bound the writes.
		return holds{}, e.confirmLarge(ctx, until, kinds)
	}
	if lim != (Limits{}) {
		if err := e.countPlanned(ctx, epoch, until, kinds); err != nil {
			return holds{}, err
		}
	}
	var h holds
	for i, held := range []*bool{&h.priority, &h.bugs, &h.tickets} {
		k := kinds[i]
		*held = k.limit > 0 && k.planned > k.limit
		if *held {
			e.reportHeld(k, t)
		}
	}
	return h, e.recordGuards(ctx, kinds, h)
}

// confirmLarge logs each kind whose due items exceed its limit, which the
// operator has confirmed, and clears the guard board: a confirmed cycle
// holds nothing.
func (e *Engine) confirmLarge(ctx context.Context, until time.Time, kinds []guardKind) error {
	bugsDue, ticketsDue, err := e.dueCounts(ctx, until)
	if err != nil {
		return err
	}
	for i, due := range []int64{bugsDue, bugsDue, ticketsDue} {
		if k := kinds[i]; k.limit > 0 && due > int64(k.limit) {
			e.log.Warn("large change confirmed by the operator",
				zap.String("kind", k.name), zap.Int64("due", due), zap.Int("limit", k.limit))
		}
	}
	return e.recordGuards(ctx, kinds, holds{})
}

type guardKind struct {
	name           string
	limit, planned int
}

// countPlanned fills in how many writes of each kind the due items would
// make; a kind with fewer items due than its limit cannot go over it.
func (e *Engine) countPlanned(ctx context.Context, epoch string, until time.Time, kinds []guardKind) error {
	bugsDue, ticketsDue, err := e.dueCounts(ctx, until)
	if err != nil {
		return err
	}
	over := func(k guardKind, due int64) bool { return k.limit > 0 && due > int64(k.limit) }
	if over(kinds[0], bugsDue) || over(kinds[1], bugsDue) {
		if kinds[0].planned, kinds[1].planned, err = e.countBugWrites(ctx, epoch, until); err != nil {
			return err
		}
	}
	if over(kinds[2], ticketsDue) {
		if kinds[2].planned, err = e.countTicketWrites(ctx, epoch, until); err != nil {
			return err
		}
	}
	return nil
}

// dueCounts is how many bugs and tickets are due at until.
func (e *Engine) dueCounts(ctx context.Context, until time.Time) (bugs, tickets int64, err error) {
	if bugs, err = e.st.DueCount(ctx, BugQueue, until); err != nil {
		return 0, 0, err
	}
	tickets, err = e.st.DueCount(ctx, TicketQueue, until)
	return bugs, tickets, err
}

func (e *Engine) reportHeld(k guardKind, t *tally) {
	g := GuardState{Kind: k.name, Planned: k.planned, Limit: k.limit, Since: e.now()}
	t.add(func(r *Report) { r.Held = append(r.Held, g) })
	e.event(Event{Kind: EventGuardHeld, Detail: fmt.Sprintf(
		"blast-radius guard: this cycle would make %s, over the limit of %d; none made. Check the policy, then raise the limit or run with --confirm-large-change",
		plural(k.planned, k.name+" write", k.name+" writes"), k.limit)}, zap.String("kind", k.name), zap.Int("planned", k.planned), zap.Int("limit", k.limit))
}

// recordGuards keeps the guard board (readiness, the board) in step: held
// kinds recorded, the others cleared. Once the board is known to be empty,
// a cycle that holds nothing costs no round trip.
func (e *Engine) recordGuards(ctx context.Context, kinds []guardKind, h holds) error {
	if e.opts.DryRun {
		return nil
	}
	held := []bool{h.priority, h.bugs, h.tickets}
	if !slices.Contains(held, true) && e.guardsClear.Load() {
		return nil
	}
	stored, err := e.st.Guards(ctx)
	if err != nil {
		return err
	}
	for i, k := range kinds {
		at := slices.IndexFunc(stored, func(g GuardState) bool { return g.Kind == k.name })
		switch {
		case held[i]:
			g := GuardState{Kind: k.name, Planned: k.planned, Limit: k.limit, Since: e.now()}
			if at >= 0 {
				g.Since = stored[at].Since // holding since the first cycle it held
			}
			err = e.st.SetGuard(ctx, g)
		case at >= 0:
			err = e.st.ClearGuard(ctx, k.name)
		}
		if err != nil {
			return err
		}
	}
	e.guardsClear.Store(!slices.Contains(held, true))
	return nil
}

// countBugWrites plans every due bug without writing: how many would change
// priority, and how many would be written at all.
func (e *Engine) countBugWrites(ctx context.Context, epoch string, until time.Time) (priority, writes int, err error) {
	err = e.peek(ctx, BugQueue, until, func(ids []string) error {
		for views, err := range e.bugViewChunks(ctx, epoch, ids) {
			if err != nil {
				return err
			}
			for _, v := range views {
				p := e.policy.planBug(v)
				if p.changesPriority() {
					priority++
				}
				if p.writes() {
					writes++
				}
			}
		}
		return nil
	})
	return priority, writes, err
}

// countTicketWrites plans every due ticket without writing.
func (e *Engine) countTicketWrites(ctx context.Context, epoch string, until time.Time) (writes int, err error) {
	err = e.peek(ctx, TicketQueue, until, func(ids []string) error {
		views, err := e.ticketViews(ctx, epoch, parseTicketIDs(ids), nil)
		if err != nil {
			return err
		}
		for _, v := range views {
			if e.policy.planTicket(v).writes() {
				writes++
			}
		}
		return nil
	})
	return writes, err
}

// goInBugSlot runs fn on wg in one of the engine's Workers slots, once one
// is free; it reports false, and runs nothing, when ctx ends first.
func (e *Engine) goInBugSlot(ctx context.Context, wg *sync.WaitGroup, fn func()) bool {
	if e.bugSlots.Acquire(ctx, 1) != nil {
		return false
	}
	wg.Go(func() {
		defer e.bugSlots.Release(1)
		fn()
	})
	return true
}

// settleTimeout bounds the bookkeeping that follows work already done.
const settleTimeout = 5 * time.Second

// settling is the context of bookkeeping that must follow work already done
// (acking, rescheduling, recording a write): a stop does not cancel it, so a
// claim is settled at once instead of staying hidden until its lease
// expires, and it is bounded, so a dead Redis cannot hold up a shutdown.
func settling(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}

// retryLater makes failed claims due again after their backoff, counting the
// attempt.
func (e *Engine) retryLater(ctx context.Context, q Queue, claims []Claim) error {
	if e.opts.DryRun {
		return nil
	}
	var errs []error
	for _, c := range claims {
		errs = append(errs, e.st.Reschedule(ctx, q, []Claim{c}, e.retryAt(e.now(), c.Attempts), true))
	}
	return errors.Join(errs...)
}

// keepDirty leaves claims due for the next cycle without counting a failure.
func (e *Engine) keepDirty(ctx context.Context, q Queue, claims []Claim) error {
	if e.opts.DryRun || len(claims) == 0 {
		return nil
	}
	return e.st.Reschedule(ctx, q, claims, e.dueNow(), false)
}

func parseTicketIDs(ids []string) []int64 {
	out := make([]int64, 0, len(ids))
	for _, s := range ids {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

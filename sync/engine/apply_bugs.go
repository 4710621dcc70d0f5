package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// bugOutcome is what happens to a claimed bug after reconciling it.
type bugOutcome int

const (
	bugDone   bugOutcome = iota // ack
	bugHeld                     // the guard withheld part of it: keep it dirty
	bugFailed                   // retry with backoff
)

// bugBatch reconciles a batch of claimed bugs, each in one of the engine's
// Workers slots, and acks or reschedules each.
func (e *Engine) bugBatch(ctx context.Context, epoch string, claims []Claim, holdPriority, fenced bool, t *tally) error {
	ids := make([]string, len(claims))
	at := make(map[string]int, len(claims))
	for i, c := range claims {
		ids[i], at[c.ID] = c.ID, i
	}
	if fenced {
		if err := e.leading(ctx); err != nil {
			return errors.Join(err, e.keepDirty(ctx, BugQueue, claims))
		}
	}
	outcomes := make([]bugOutcome, len(claims))
	errs := make([]error, len(claims))
	started := make([]bool, len(claims))
	var loadErr error
	var wg sync.WaitGroup
	for views, err := range e.bugViewChunks(ctx, epoch, ids) {
		if err != nil {
			loadErr = err
			break
		}
		for _, v := range views {
			i := at[v.Bug.ID]
			v.Holder = claims[i].Claimant
			if started[i] = e.goInBugSlot(ctx, &wg, func() {
				outcomes[i], errs[i] = e.reconcileBug(ctx, v, holdPriority, t)
			}); !started[i] {
				break
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	wg.Wait()
	// Of the bugs not started, those stopped with the cycle are due again
	// next cycle, those whose views failed to load retried later, and
	// those without a record (dropped meanwhile) done.
	for i := range claims {
		switch {
		case started[i]:
		case ctx.Err() != nil:
			outcomes[i] = bugHeld
		case loadErr != nil:
			outcomes[i] = bugFailed
		}
	}
	errs = append(errs, loadErr)
	if e.opts.DryRun {
		return errors.Join(errs...)
	}
	var done, held, failed []Claim
	for i, c := range claims {
		switch outcomes[i] {
		case bugDone:
			done = append(done, c)
		case bugHeld:
			held = append(held, c)
		case bugFailed:
			failed = append(failed, c)
		}
	}
	sctx, cancel := settling(ctx)
	defer cancel()
	errs = append(errs, e.st.Ack(sctx, BugQueue, done, e.dueNow()), e.keepDirty(sctx, BugQueue, held), e.retryLater(sctx, BugQueue, failed))
	return errors.Join(errs...)
}

// reconcileBug plans one bug and makes (or, dry, describes) its writes.
func (e *Engine) reconcileBug(ctx context.Context, v bugView, holdPriority bool, t *tally) (bugOutcome, error) {
	v.HoldPriority = holdPriority
	plan, kept, err := e.planStale(ctx, &v, t)
	outcome := bugDone
	switch {
	case err != nil:
	case !kept:
		return bugHeld, nil // observed meanwhile: planned again next pass
	default:
		if holdPriority && plan.changesPriority() {
			plan, outcome = plan.withoutPriority(), bugHeld
		}
		err = e.executeBug(ctx, v, plan, t)
	}
	switch {
	case err == nil:
		return outcome, nil
	case errors.Is(err, ErrNotFound):
		return bugDone, e.dropBug(ctx, v.Bug, t)
	default:
		e.event(Event{Kind: EventWriteFailed, BugID: v.Bug.ID, BugKey: v.Bug.Key, Detail: "bug write failed; retrying later"}, zap.Error(err))
		t.add(func(r *Report) { r.Errors++ })
		return bugFailed, err
	}
}

// executeBug makes a plan's writes in an order that survives a crash at any
// point: the intent of a priority change is saved before the edit, the edit
// before its comment, each comment marked in flight before it is sent.
func (e *Engine) executeBug(ctx context.Context, v bugView, plan bugPlan, t *tally) error {
	b := v.Bug
	mem := v.Memory
	mem.OpenTickets = plan.OpenTickets
	stand := Standing{Category: b.StatusCategory, Customers: plan.Customers, Waiting: waitingSince(v.Standing.Waiting, plan.Waiting, e.now()),
		Release: awaiting(b, plan.OpenTickets)}
	save := func() error {
		if e.opts.DryRun {
			return nil
		}
		return e.st.SetBugMemoryFor(ctx, b.ID, mem, stand, v.Holder)
	}
	if plan.Bump != nil {
		mem.Bump = *plan.Bump
		if plan.changesPriority() && !samePending(v.Memory.Bump, mem.Bump) {
			if err := save(); err != nil {
				return err
			}
		}
	}
	rec := b
	mem.Expect = BugEdit{}
	saved := false // whether memory with Seen at b.Updated was just saved
	if plan.hasEdit() {
		// Saved first: if the process dies after the edit lands but before
		// it is recorded, the echo is still known to be the engine's.
		mem.Expect, mem.Seen = plan.Edit, b.Updated
		if err := save(); err != nil {
			return err
		}
		saved = true
		if err := e.editBug(ctx, b, plan, t); err != nil {
			return err
		}
		rec = applyEdit(rec, plan.Edit)
		recorded := e.opts.DryRun
		if !e.opts.DryRun {
			ok, err := e.st.PutBug(ctx, rec)
			if err != nil {
				return err
			}
			recorded = ok
		}
		// Expect is cleared only once the record holds the edit: a record
		// replaced meanwhile (compare-and-set lost) still lacks it, and
		// without Expect the echo would be taken for a person's change,
		// lifting the stale flag this very edit set.
		if recorded {
			mem.Expect = BugEdit{}
		}
	}
	if plan.Bump != nil {
		if err := e.commentOnce(ctx, v, &mem, &mem.Bump, bumpMarker(v.Epoch, b.ID, mem.Bump.Seq), save, t); err != nil {
			return err
		}
		saved = true
	}
	if plan.StaleNote != nil && slices.Contains(rec.Labels, e.policy.Stale.Label) {
		mem.StaleNote = *plan.StaleNote
		if err := e.commentOnce(ctx, v, &mem, &mem.StaleNote, staleMarker(v.Epoch, b.ID, mem.StaleNote.Seq), save, t); err != nil {
			return err
		}
		saved = true
	}
	if len(plan.Upserts)+len(plan.Deletes) > 0 && !saved {
		// Link writes may move the bug's update time too, at a time the
		// engine does not learn.
		mem.Seen = b.Updated
		if err := save(); err != nil {
			return err
		}
	}
	linkErr := e.writeRemoteLinks(ctx, b, plan, t)
	if !sameMemory(mem, v.Memory) || !sameStanding(stand, v.Standing) {
		if err := save(); err != nil {
			return errors.Join(linkErr, err)
		}
	}
	return linkErr
}

func (e *Engine) editBug(ctx context.Context, b BugRecord, plan bugPlan, t *tally) error {
	edit := plan.Edit
	var parts []string
	kind := EventBugEdited
	if edit.Priority != "" {
		kind = EventPriorityChanged
		parts = append(parts, fmt.Sprintf("priority %s → %s (%s)", orNone(plan.FromPrio), edit.Priority, e.policy.Describe(plan.Customers)))
	}
	if edit.CustomerCount != nil {
		if kind == EventBugEdited {
			kind = EventCountChanged
		}
		parts = append(parts, fmt.Sprintf("customer count %s → %s", countText(b.CustomerCount), formatCount(*edit.CustomerCount)))
	}
	if edit.Revenue != nil {
		if kind == EventBugEdited {
			kind = EventCountChanged
		}
		parts = append(parts, fmt.Sprintf("revenue waiting %s → %s", countText(b.Revenue), formatCount(*edit.Revenue)))
	}
	if len(edit.AddLabels)+len(edit.RemoveLabels) > 0 {
		parts = append(parts, fmt.Sprintf("labels +%v -%v", edit.AddLabels, edit.RemoveLabels))
	}
	if !e.opts.DryRun {
		if err := e.tr.EditBug(ctx, edit); err != nil {
			return fmt.Errorf("engine: edit bug %s (%s): %w", b.Key, strings.Join(parts, "; "), err)
		}
	}
	t.add(func(r *Report) {
		r.BugEdits++
		if edit.Priority != "" {
			r.PriorityChanges++
		}
	})
	ev := Event{Kind: kind, BugID: b.ID, BugKey: b.Key, Detail: strings.Join(parts, "; ")}
	if edit.Priority != "" {
		ev.From, ev.To = plan.FromPrio, edit.Priority
		if plan.Bump != nil {
			ev.Seq = plan.Bump.Seq
		}
	}
	e.event(ev)
	return nil
}

// commentOnce posts a pending comment exactly once: a comment that may have
// gone out before a crash is looked for by its marker first, and one is
// marked in flight only while this replica holds the bug's claim.
func (e *Engine) commentOnce(ctx context.Context, v bugView, mem *BugMemory, p *Pending, marker string, save func() error, t *tally) error {
	b := v.Bug
	if p.Phase == PhaseDone {
		return nil
	}
	if e.opts.DryRun {
		t.add(func(r *Report) { r.Comments++ })
		e.event(Event{Kind: EventCommented, BugID: b.ID, BugKey: b.Key, Detail: "comment: " + firstLine(p.Text)})
		return nil
	}
	if p.Phase == PhaseSending {
		found, err := e.tr.HasComment(ctx, b.ID, marker)
		if err != nil {
			return fmt.Errorf("engine: look for comment %s on bug %s: %w", marker, b.Key, err)
		}
		if found {
			p.Phase = PhaseDone
			return save()
		}
	}
	if err := e.holds("comment on bug "+b.Key, v.Holder); err != nil {
		return err
	}
	p.Phase, mem.Seen = PhaseSending, b.Updated
	if err := save(); err != nil {
		return err
	}
	created, err := e.tr.AddComment(ctx, b.ID, p.Text)
	if err != nil {
		return fmt.Errorf("engine: comment on bug %s: %w", b.Key, err)
	}
	p.Phase, mem.Echo = PhaseDone, latest(mem.Echo, created)
	t.add(func(r *Report) { r.Comments++ })
	e.event(Event{Kind: EventCommented, BugID: b.ID, BugKey: b.Key, Detail: "comment: " + firstLine(p.Text)})
	return save()
}

// remoteLinksInFlight bounds the remote link writes of one bug made at
// once. Jira Cloud takes each link in a request of its own, at a few
// hundred milliseconds each, so the links a backfill gives a popular bug
// would add up to minutes one after another; but they all write the same
// issue, whose updates Jira applies one at a time, so more in flight only
// queue there. The request rate is bounded by the tracker's shared budget
// whatever this is; it bounds the connections open, Workers times this.
const remoteLinksInFlight = 4

// writeRemoteLinks upserts and deletes the plan's remote links, up to
// remoteLinksInFlight at once, remembering each one that succeeds; one
// failure does not stop the others, and every failure is returned.
func (e *Engine) writeRemoteLinks(ctx context.Context, b BugRecord, plan bugPlan, t *tally) error {
	ups := slices.Sorted(maps.Keys(plan.Upserts))
	dels := slices.Sorted(maps.Keys(plan.Deletes))
	upErrs, delErrs := make([]error, len(ups)), make([]error, len(dels))
	if !e.opts.DryRun {
		var g errgroup.Group
		g.SetLimit(remoteLinksInFlight)
		for i, id := range ups {
			g.Go(func() error {
				if err := e.tr.UpsertRemoteLink(ctx, b.ID, plan.Upserts[id]); err != nil {
					upErrs[i] = fmt.Errorf("engine: link bug %s to ticket %d: %w", b.Key, id, err)
				}
				return nil
			})
		}
		for i, id := range dels {
			g.Go(func() error {
				if err := e.tr.DeleteRemoteLink(ctx, b.ID, plan.Deletes[id].GlobalID); err != nil {
					delErrs[i] = fmt.Errorf("engine: unlink bug %s from ticket %d: %w", b.Key, id, err)
				}
				return nil
			})
		}
		_ = g.Wait() // each write's error is in its slot
	}
	set := map[int64]WrittenLink{}
	var del []int64
	var errs []error
	for i, id := range ups {
		if upErrs[i] != nil {
			errs = append(errs, upErrs[i])
			continue
		}
		l := plan.Upserts[id]
		set[id] = WrittenLink{GlobalID: l.GlobalID, Digest: digest(l)}
		t.add(func(r *Report) { r.RemoteLinksUpserted++ })
		e.event(Event{Kind: EventRemoteLinkUpserted, BugID: b.ID, BugKey: b.Key, TicketID: id, Detail: "remote link to ticket written"})
	}
	for i, id := range dels {
		if delErrs[i] != nil {
			errs = append(errs, delErrs[i])
			continue
		}
		del = append(del, id)
		t.add(func(r *Report) { r.RemoteLinksDeleted++ })
		e.event(Event{Kind: EventRemoteLinkDeleted, BugID: b.ID, BugKey: b.Key, TicketID: id, Detail: "remote link to unlinked ticket removed"})
	}
	e.logRemoteLinks(b, slices.Sorted(maps.Keys(set)), del)
	if e.opts.DryRun {
		return errors.Join(errs...)
	}
	if err := e.st.SetWrittenLinks(ctx, b.ID, set, del); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// maxLoggedIDs bounds the ticket ids one log line lists.
const maxLoggedIDs = 200

// logRemoteLinks is one line a bug for the remote links written and
// removed: a backfill writes one per linked ticket.
func (e *Engine) logRemoteLinks(b BugRecord, linked, unlinked []int64) {
	if len(linked) == 0 && len(unlinked) == 0 {
		return
	}
	msg := fmt.Sprintf("remote links: %d written, %d removed", len(linked), len(unlinked))
	// The counts are whole; the tickets named are the first few hundred.
	fs := []zap.Field{zap.String("bug", b.Key), zap.String("bug_id", b.ID),
		zap.Int64s("tickets_linked", linked[:min(len(linked), maxLoggedIDs)]),
		zap.Int64s("tickets_unlinked", unlinked[:min(len(unlinked), maxLoggedIDs)])}
	if e.opts.DryRun {
		msg = "would: " + msg
		fs = append(fs, zap.Bool("dry_run", true))
	}
	e.log.Info(msg, fs...)
}

// dropBug forgets a bug the tracker no longer has; its tickets stop showing
// it, and its key is reported missing.
func (e *Engine) dropBug(ctx context.Context, b BugRecord, t *tally) error {
	if e.opts.DryRun {
		return nil
	}
	now := e.now()
	tickets, err := e.st.DropBug(ctx, b, MissingKey{Key: b.Key, FirstSeen: now, RecheckAt: now.Add(e.missingBackoff(1)), Checks: 1}, e.dueNow())
	if err != nil {
		return err
	}
	t.add(func(r *Report) { r.KeysMissing++ })
	e.event(Event{Kind: EventBugGone, BugID: b.ID, BugKey: b.Key, Detail: goneDetail(len(tickets))})
	return nil
}

func applyEdit(r BugRecord, edit BugEdit) BugRecord {
	if edit.Priority != "" {
		r.Priority = edit.Priority
	}
	if edit.CustomerCount != nil {
		c := *edit.CustomerCount
		r.CustomerCount = &c
	}
	if edit.Revenue != nil {
		v := *edit.Revenue
		r.Revenue = &v
	}
	labels := slices.DeleteFunc(slices.Clone(r.Labels), func(l string) bool { return slices.Contains(edit.RemoveLabels, l) })
	for _, l := range edit.AddLabels {
		if !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	r.Labels = labels
	return r
}

func samePending(a, b Pending) bool { return a == b }

func sameEdit(a, b BugEdit) bool {
	return a.ID == b.ID && a.Key == b.Key && a.Priority == b.Priority && sameCount(a.CustomerCount, b.CustomerCount) &&
		sameCount(a.Revenue, b.Revenue) && slices.Equal(a.AddLabels, b.AddLabels) && slices.Equal(a.RemoveLabels, b.RemoveLabels)
}

func sameMemory(a, b BugMemory) bool {
	return a.Bump == b.Bump && a.StaleNote == b.StaleNote && sameEdit(a.Expect, b.Expect) && a.Seen.Equal(b.Seen) && a.Echo.Equal(b.Echo) &&
		a.OpenTickets == b.OpenTickets
}

func orNone(p string) string {
	if p == "" {
		return "(none)"
	}
	return p
}

func countText(c *float64) string {
	if c == nil {
		return "(empty)"
	}
	return formatCount(*c)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

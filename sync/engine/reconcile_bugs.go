package engine

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

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
	mem.OpenTickets, mem.Customers = plan.OpenTickets, plan.Customers
	mem.Category, mem.Waiting = b.StatusCategory, waitingSince(v.Memory.Waiting, plan.Waiting, e.now())
	save := func() error {
		if e.opts.DryRun {
			return nil
		}
		return e.st.SetBugMemoryFor(ctx, b.ID, mem, v.Holder)
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
		if !e.opts.DryRun {
			if _, err := e.st.PutBug(ctx, rec); err != nil {
				return err
			}
		}
		mem.Expect = BugEdit{}
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
	if !sameMemory(mem, v.Memory) {
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
	e.event(Event{Kind: kind, BugID: b.ID, BugKey: b.Key, Detail: strings.Join(parts, "; ")})
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

// bugTicketsAtOnce bounds the ticket records loaded for a batch's bugs: they
// are loaded a chunk of bugs at a time, the chunk holding about this many
// linked tickets (or one bigger bug), and the next chunk only once the
// last one's bugs have all started. Loaded whole, a batch that drew a few
// popular bugs held tens of thousands, and memory grew with the account.
const bugTicketsAtOnce = 1000

// bugViewChunks yields, a chunk at a time, everything reconciling the bugs
// needs: records, memories and links for the batch in a few pipelined
// reads, then each chunk's tickets and their tiers as it is reached. Bugs
// without a record are left out.
func (e *Engine) bugViewChunks(ctx context.Context, epoch string, ids []string) iter.Seq2[[]bugView, error] {
	return func(yield func([]bugView, error) bool) {
		views, err := e.bugHeads(ctx, epoch, ids)
		if err != nil {
			yield(nil, err)
			return
		}
		for len(views) > 0 {
			n := chunkLen(views, bugTicketsAtOnce)
			chunk := views[:n:n]
			if err := e.loadTickets(ctx, chunk); err != nil {
				yield(nil, err)
				return
			}
			views = views[n:]
			if !yield(chunk, nil) {
				return
			}
		}
	}
}

// chunkLen is how many of views make the next chunk: as many as link at
// most limit tickets between them, and at least one.
func chunkLen(views []bugView, limit int) int {
	n, tickets := 1, len(views[0].Links)
	for n < len(views) && tickets+len(views[n].Links) <= limit {
		tickets += len(views[n].Links)
		n++
	}
	return n
}

// bugHeads loads the bugs' records, memories, links and written links,
// sorted by id; their tickets are left for loadTickets.
func (e *Engine) bugHeads(ctx context.Context, epoch string, ids []string) ([]bugView, error) {
	recs, err := e.st.Bugs(ctx, ids)
	if err != nil {
		return nil, err
	}
	present := slices.Sorted(maps.Keys(recs))
	mems, err := e.st.BugMemories(ctx, present)
	if err != nil {
		return nil, err
	}
	links, err := e.st.BugLinks(ctx, present)
	if err != nil {
		return nil, err
	}
	written, err := e.st.WrittenLinks(ctx, present)
	if err != nil {
		return nil, err
	}
	views := make([]bugView, len(present))
	now := e.now()
	for i, id := range present {
		views[i] = bugView{Bug: recs[id], Memory: mems[id], Links: links[id], Written: written[id], Epoch: epoch, Now: now}
	}
	return views, nil
}

// loadTickets gives the views the records of their linked tickets and the
// tiers of those tickets' organizations, one map of each for all.
func (e *Engine) loadTickets(ctx context.Context, views []bugView) error {
	var tids []int64
	for _, v := range views {
		for tid := range v.Links {
			tids = append(tids, tid)
		}
	}
	slices.Sort(tids)
	tickets, err := e.st.Tickets(ctx, slices.Compact(tids))
	if err != nil {
		return err
	}
	tiers, err := e.tiers(ctx, tickets)
	if err != nil {
		return err
	}
	for i := range views {
		views[i].Tickets, views[i].Tiers = tickets, tiers
	}
	return nil
}

// tiers are the tiers of the tickets' organizations, when weights need
// them: from the cache, else one helpdesk read for the misses.
func (e *Engine) tiers(ctx context.Context, tickets map[int64]TicketRecord) (map[int64]string, error) {
	if !e.policy.Weighted() {
		return nil, nil
	}
	var ids []int64
	for _, t := range tickets {
		if t.OrganizationID != 0 {
			ids = append(ids, t.OrganizationID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	now := e.now()
	cached, err := e.st.Organizations(ctx, ids, now)
	if err != nil {
		return nil, err
	}
	var miss []int64
	for _, id := range ids {
		if _, ok := cached[id]; !ok {
			miss = append(miss, id)
		}
	}
	if len(miss) > 0 {
		orgs, err := e.hd.Organizations(ctx, miss)
		if err != nil {
			return nil, fmt.Errorf("engine: read %s: %w", plural(len(miss), "organization", "organizations"), err)
		}
		for _, o := range orgs {
			cached[o.ID] = o
		}
		// An organization that no longer exists is cached without a tier,
		// so it is not asked for again until the cache expires.
		for _, id := range miss {
			if _, ok := cached[id]; !ok {
				orgs = append(orgs, Organization{ID: id})
			}
		}
		if err := e.st.PutOrganizations(ctx, orgs, now); err != nil {
			return nil, err
		}
	}
	tiers := make(map[int64]string, len(cached))
	for id, o := range cached {
		if o.Tier != "" {
			tiers[id] = o.Tier
		}
	}
	return tiers, nil
}

func applyEdit(r BugRecord, edit BugEdit) BugRecord {
	if edit.Priority != "" {
		r.Priority = edit.Priority
	}
	if edit.CustomerCount != nil {
		c := *edit.CustomerCount
		r.CustomerCount = &c
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
		slices.Equal(a.AddLabels, b.AddLabels) && slices.Equal(a.RemoveLabels, b.RemoveLabels)
}

func sameMemory(a, b BugMemory) bool {
	return a.Bump == b.Bump && a.StaleNote == b.StaleNote && sameEdit(a.Expect, b.Expect) && a.Seen.Equal(b.Seen) && a.Echo.Equal(b.Echo) && a.OpenTickets == b.OpenTickets &&
		a.Customers.Distinct == b.Customers.Distinct && a.Customers.Weighted == b.Customers.Weighted &&
		maps.Equal(a.Customers.ByTier, b.Customers.ByTier) &&
		a.Category == b.Category && maps.EqualFunc(a.Waiting, b.Waiting, time.Time.Equal)
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

package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"
)

// ticketBatch reconciles a batch of claimed tickets: one helpdesk batch
// write for all of them, then per-ticket results decide ack or retry.
func (e *Engine) ticketBatch(ctx context.Context, epoch string, claims []Claim, fenced bool, t *tally) error {
	claimOf := make(map[int64]Claim, len(claims))
	var ids []int64
	var done []Claim
	for _, c := range claims {
		id, err := strconv.ParseInt(c.ID, 10, 64)
		if err != nil {
			done = append(done, c) // not a ticket id: nothing can be done with it
			continue
		}
		ids, claimOf[id] = append(ids, id), c
	}
	holder := claims[0].Claimant // one Claim call took them all
	notes := newNoteLedger(e.st, holder, e.opts.DryRun)
	views, plans, err := e.loadTicketBatch(ctx, epoch, ids, notes, t)
	if err != nil {
		return errors.Join(err, e.retryLater(ctx, TicketQueue, claims))
	}
	var updates []TicketUpdate
	acts := map[int64]StatusAct{} // of plans that write nothing
	for _, id := range ids {
		p, ok := plans[id]
		if !ok {
			done = append(done, claimOf[id]) // gone meanwhile
			continue
		}
		if !p.writes() {
			if p.Act != nil {
				acts[id] = *p.Act
			}
			done = append(done, claimOf[id])
			continue
		}
		updates = append(updates, p.Update)
	}
	if e.opts.DryRun {
		for _, u := range updates {
			e.reportTicketUpdate(u, plans[u.ID], t)
		}
		return nil
	}
	sctx, cancel := settling(ctx)
	defer cancel()
	if len(acts) > 0 {
		if err := e.st.SetStatusActs(ctx, acts); err != nil {
			return errors.Join(err, e.retryLater(sctx, TicketQueue, claims))
		}
	}
	if err := notes.planned(ctx, plans); err != nil {
		return errors.Join(err, e.retryLater(sctx, TicketQueue, claims))
	}
	if fenced && len(updates) > 0 {
		if err := e.leading(ctx); err != nil {
			return errors.Join(err, e.st.Ack(sctx, TicketQueue, done, e.dueNow()), e.keepDirty(sctx, TicketQueue, pick(claimOf, updates)))
		}
	}
	return errors.Join(e.st.Ack(sctx, TicketQueue, done, e.dueNow()), e.writeTickets(ctx, views, plans, updates, claimOf, notes, t))
}

// writeTickets sends the updates in one batch and settles each ticket by its
// result. Notes are marked in flight first: a crash between the write and
// the mark is resolved by looking for the note's marker on the ticket.
func (e *Engine) writeTickets(ctx context.Context, views map[int64]ticketView, plans map[int64]ticketPlan, updates []TicketUpdate, claimOf map[int64]Claim, notes *noteLedger, t *tally) error {
	if len(updates) == 0 {
		return nil
	}
	err := e.holds(fmt.Sprintf("update %d tickets", len(updates)), notes.holder)
	if err == nil {
		err = notes.sending(ctx, views, plans, updates)
	}
	if err != nil {
		return errors.Join(err, e.retryLater(ctx, TicketQueue, pick(claimOf, updates)))
	}
	results, err := e.hd.UpdateTickets(ctx, updates)
	if err != nil {
		// Nothing is known to be written: notes stay in flight, to be
		// looked for before they are sent again.
		t.add(func(r *Report) { r.Errors++ })
		e.event(Event{Kind: EventWriteFailed, Detail: "batch update of " + plural(len(updates), "ticket", "tickets") + " failed; retrying later"}, zap.Error(err))
		sctx, cancel := settling(ctx)
		defer cancel()
		return errors.Join(fmt.Errorf("engine: update %s: %w", plural(len(updates), "ticket", "tickets"), err), e.retryLater(sctx, TicketQueue, pick(claimOf, updates)))
	}
	// The writes are made: record them even when the step is being stopped.
	sctx, cancel := settling(ctx)
	defer cancel()
	o := e.sortResults(updates, results, t)
	errs := []error{e.settleWritten(sctx, views, plans, o.written, t), notes.done(sctx, plans, o.written, o.unsent)}
	if len(o.gone) > 0 {
		errs = append(errs, e.forgetTickets(sctx, o.gone, t))
	}
	if len(o.conflicted) > 0 {
		errs = append(errs, e.rereadTickets(ctx, o.conflicted, t))
	}
	return errors.Join(append(errs, o.errs,
		e.st.Ack(sctx, TicketQueue, append(pickIDs(claimOf, o.written), pickIDs(claimOf, o.gone)...), e.dueNow()),
		e.keepDirty(sctx, TicketQueue, pickIDs(claimOf, o.conflicted)),
		e.retryLater(sctx, TicketQueue, pickIDs(claimOf, o.failed)))...)
}

// ticketResults sorts a batch's tickets by outcome.
type ticketResults struct {
	written, gone, conflicted, failed []int64
	unsent                            []int64 // surely not written: their notes fall back
	errs                              error
}

func (e *Engine) sortResults(updates []TicketUpdate, results []TicketResult, t *tally) ticketResults {
	byID := make(map[int64]error, len(results))
	for _, r := range results {
		byID[r.ID] = r.Err
	}
	var o ticketResults
	var errs []error
	for _, u := range updates {
		err, answered := byID[u.ID]
		switch {
		case !answered:
			o.failed = append(o.failed, u.ID) // unknown outcome: the note stays in flight
		case err == nil:
			o.written = append(o.written, u.ID)
		case errors.Is(err, ErrNotFound):
			o.gone = append(o.gone, u.ID)
		case errors.Is(err, ErrConflict):
			// Someone edited the ticket meanwhile: nothing was written. It
			// is read again now and planned afresh next cycle.
			o.unsent = append(o.unsent, u.ID)
			o.conflicted = append(o.conflicted, u.ID)
			e.log.Info("ticket changed while being written; re-reading it", zap.Int64("ticket", u.ID))
		default:
			// A refusal wrote nothing; any other failure may have been
			// written (an answer lost on the way back), so its note stays
			// in flight, to be looked for before it is sent again.
			if errors.Is(err, ErrPermanent) {
				o.unsent = append(o.unsent, u.ID)
			}
			o.failed = append(o.failed, u.ID)
			t.add(func(r *Report) { r.Errors++ })
			e.event(Event{Kind: EventWriteFailed, TicketID: u.ID, Detail: "ticket update failed; retrying later"}, zap.Error(err))
			errs = append(errs, fmt.Errorf("engine: update ticket %d: %w", u.ID, err))
		}
	}
	o.errs = errors.Join(errs...)
	return o
}

// settleWritten records successful updates: the tickets' records take the
// written values (their stamps now unknown) in one store write, and
// reopened tickets' bugs are recounted.
func (e *Engine) settleWritten(ctx context.Context, views map[int64]ticketView, plans map[int64]ticketPlan, written []int64, t *tally) error {
	recs := make([]TicketRecord, 0, len(written))
	var recount []string
	acts := map[int64]StatusAct{}
	for _, id := range written {
		p := plans[id]
		e.reportTicketUpdate(p.Update, p, t)
		recs = append(recs, applyUpdate(views[id].Ticket, p.Update))
		if p.Act != nil {
			acts[id] = *p.Act
		}
		if p.Update.Reopen || p.Update.Status != "" && !views[id].Ticket.Status.Open() {
			for _, b := range views[id].Bugs {
				recount = append(recount, b.ID)
			}
		}
	}
	// The automation's memory goes first and unconditionally: the status
	// is written, and forgetting it would act on the phase again.
	if len(acts) > 0 {
		if err := e.st.SetStatusActs(ctx, acts); err != nil {
			return err
		}
	}
	if _, err := e.st.PutTickets(ctx, recs); err != nil {
		return err
	}
	return e.st.Enqueue(ctx, BugQueue, recount, e.dueNow())
}

func (e *Engine) reportTicketUpdate(u TicketUpdate, p ticketPlan, t *tally) {
	var parts []string
	if u.StatusField != nil {
		parts = append(parts, fmt.Sprintf("status field %q", *u.StatusField))
	}
	if len(u.AddTags)+len(u.RemoveTags) > 0 {
		parts = append(parts, fmt.Sprintf("tags +%v -%v", u.AddTags, u.RemoveTags))
	}
	if u.Reopen && u.Status == "" {
		parts = append(parts, "reopened")
	}
	if u.Status != "" {
		parts = append(parts, "status "+string(u.Status))
	}
	if u.AssigneeID != nil {
		parts = append(parts, "assignee "+strconv.FormatInt(*u.AssigneeID, 10))
	}
	if u.GroupID != nil {
		parts = append(parts, "group "+strconv.FormatInt(*u.GroupID, 10))
	}
	if u.Note != "" {
		parts = append(parts, "private note on "+plural(len(p.Notes), "bug", "bugs"))
	}
	t.add(func(r *Report) {
		r.TicketUpdates++
		r.Notes += len(p.Notes)
	})
	e.event(Event{Kind: EventTicketUpdated, TicketID: u.ID, Detail: "ticket updated: " + strings.Join(parts, "; ")})
	for _, bid := range slices.Sorted(maps.Keys(p.Notes)) {
		e.event(Event{Kind: EventNotePosted, TicketID: u.ID, BugID: bid, Detail: "private note: " + firstLine(u.Note)})
	}
}

// forgetTickets drops tickets the helpdesk says do not exist: their links
// go, and their bugs are recounted.
func (e *Engine) forgetTickets(ctx context.Context, ids []int64, t *tally) error {
	gone := make([]Ticket, len(ids))
	for i, id := range ids {
		gone[i] = Ticket{ID: id, Status: StatusDeleted}
		e.event(Event{Kind: EventTicketGone, TicketID: id, Detail: "ticket no longer exists; unlinked"})
	}
	_, err := e.recordTickets(ctx, gone, nil, "", false, t)
	return err
}

func applyUpdate(r TicketRecord, u TicketUpdate) TicketRecord {
	if u.StatusField != nil {
		r.StatusField = *u.StatusField
	}
	tags := slices.DeleteFunc(slices.Clone(r.Tags), func(tag string) bool { return slices.Contains(u.RemoveTags, tag) })
	for _, tag := range u.AddTags {
		if !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	slices.Sort(tags)
	r.Tags = tags
	if u.Reopen {
		r.Status = StatusOpen
	}
	if u.Status != "" {
		r.Status = u.Status
	}
	if u.AssigneeID != nil {
		r.AssigneeID = *u.AssigneeID
	}
	if u.GroupID != nil {
		r.GroupID = *u.GroupID
	}
	r.StampStale = true
	return r
}

func pick(claimOf map[int64]Claim, updates []TicketUpdate) []Claim {
	out := make([]Claim, len(updates))
	for i, u := range updates {
		out[i] = claimOf[u.ID]
	}
	return out
}

func pickIDs(claimOf map[int64]Claim, ids []int64) []Claim {
	out := make([]Claim, len(ids))
	for i, id := range ids {
		out[i] = claimOf[id]
	}
	return out
}

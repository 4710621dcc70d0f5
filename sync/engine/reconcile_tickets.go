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
	views, plans, err := e.planTickets(ctx, epoch, ids, notes, t)
	if err != nil {
		return errors.Join(err, e.retryLater(ctx, TicketQueue, claims))
	}
	var updates []TicketUpdate
	for _, id := range ids {
		p, ok := plans[id]
		if !ok {
			done = append(done, claimOf[id]) // gone meanwhile
			continue
		}
		if !p.writes() {
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

// planTickets loads and plans the tickets. A conditional write needs the
// ticket's current stamp, so tickets the engine wrote since it last saw them
// are read again (one helpdesk read for the batch) and planned afresh.
func (e *Engine) planTickets(ctx context.Context, epoch string, ids []int64, notes *noteLedger, t *tally) (map[int64]ticketView, map[int64]ticketPlan, error) {
	views, err := e.ticketViews(ctx, epoch, ids, notes)
	if err != nil {
		return nil, nil, err
	}
	plans := make(map[int64]ticketPlan, len(views))
	var stale []int64
	for id, v := range views {
		plans[id] = e.policy.planTicket(v)
		if !plans[id].Update.UpdatedStamp.IsZero() && v.Ticket.StampStale {
			stale = append(stale, id)
		}
	}
	if len(stale) == 0 || e.opts.DryRun {
		return views, plans, nil
	}
	slices.Sort(stale)
	if err := e.refreshTickets(ctx, stale, t); err != nil {
		return nil, nil, err
	}
	fresh, err := e.ticketViews(ctx, epoch, stale, notes)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range stale {
		delete(views, id)
		delete(plans, id)
		if v, ok := fresh[id]; ok {
			views[id], plans[id] = v, e.policy.planTicket(v)
		}
	}
	return views, plans, nil
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
		errs = append(errs, e.refreshTickets(ctx, o.conflicted, t))
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
	for _, id := range written {
		p := plans[id]
		e.reportTicketUpdate(p.Update, p, t)
		recs = append(recs, applyUpdate(views[id].Ticket, p.Update))
		if p.Update.Reopen {
			for _, b := range views[id].Bugs {
				recount = append(recount, b.ID)
			}
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
	if u.Reopen {
		parts = append(parts, "reopened")
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

// refreshTickets reads tickets again and applies them like a poll would;
// tickets the helpdesk no longer has are forgotten.
func (e *Engine) refreshTickets(ctx context.Context, ids []int64, t *tally) error {
	fresh, err := e.hd.Tickets(ctx, ids)
	if err != nil {
		return fmt.Errorf("engine: re-read %s: %w", plural(len(ids), "ticket", "tickets"), err)
	}
	for _, id := range ids {
		if !slices.ContainsFunc(fresh, func(tk Ticket) bool { return tk.ID == id }) {
			fresh = append(fresh, Ticket{ID: id, Status: StatusDeleted})
		}
	}
	_, err = e.applyTickets(ctx, fresh, nil, "", false, t)
	return err
}

// forgetTickets drops tickets the helpdesk says do not exist: their links
// go, and their bugs are recounted.
func (e *Engine) forgetTickets(ctx context.Context, ids []int64, t *tally) error {
	gone := make([]Ticket, len(ids))
	for i, id := range ids {
		gone[i] = Ticket{ID: id, Status: StatusDeleted}
		e.event(Event{Kind: EventTicketGone, TicketID: id, Detail: "ticket no longer exists; unlinked"})
	}
	_, err := e.applyTickets(ctx, gone, nil, "", false, t)
	return err
}

// ticketViews loads everything reconciling the tickets needs. Notes that may
// be in flight are resolved first by notes, looking for their markers on
// the tickets; a nil notes assumes them unsent (see noteLedger.resolve).
func (e *Engine) ticketViews(ctx context.Context, epoch string, ids []int64, notes *noteLedger) (map[int64]ticketView, error) {
	recs, err := e.st.Tickets(ctx, ids)
	if err != nil {
		return nil, err
	}
	present := slices.Sorted(maps.Keys(recs))
	links, err := e.st.TicketLinks(ctx, present)
	if err != nil {
		return nil, err
	}
	marks, err := e.st.NoteMarks(ctx, present)
	if err != nil {
		return nil, err
	}
	var bids []string
	for _, l := range links {
		for bid := range l {
			bids = append(bids, bid)
		}
	}
	slices.Sort(bids)
	bugs, err := e.st.Bugs(ctx, slices.Compact(bids))
	if err != nil {
		return nil, err
	}
	found := func(ctx context.Context, tid int64, bid string, seq int) (bool, error) {
		return e.hd.HasNote(ctx, tid, noteMarker(epoch, bid, seq))
	}
	if err := notes.resolve(ctx, marks, found); err != nil {
		return nil, err
	}
	views := make(map[int64]ticketView, len(present))
	for _, id := range present {
		v := ticketView{Ticket: recs[id], Marks: marks[id], Epoch: epoch}
		for _, bid := range slices.Sorted(maps.Keys(links[id])) {
			if b, ok := bugs[bid]; ok {
				v.Bugs = append(v.Bugs, b)
			}
		}
		views[id] = v
	}
	return views, nil
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

func parseTicketIDs(ids []string) []int64 {
	out := make([]int64, 0, len(ids))
	for _, s := range ids {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

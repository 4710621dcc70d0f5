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
	views, plans, err := e.planTickets(ctx, epoch, ids, claims[0].Claimant, t)
	if err != nil {
		return errors.Join(err, e.retryLater(ctx, TicketQueue, claims))
	}
	set, drop := map[int64]map[string]NoteMark{}, map[int64][]string{}
	var updates []TicketUpdate
	for _, id := range ids {
		p, ok := plans[id]
		if !ok {
			done = append(done, claimOf[id]) // gone meanwhile
			continue
		}
		for bid, m := range p.Baseline {
			putMark(set, id, bid, m)
		}
		if len(p.Drop) > 0 {
			drop[id] = p.Drop
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
	holder := claims[0].Claimant // one Claim call took them all
	if err := e.st.SetNoteMarksFor(ctx, set, drop, holder); err != nil {
		return errors.Join(err, e.retryLater(sctx, TicketQueue, claims))
	}
	if fenced && len(updates) > 0 {
		if err := e.leading(ctx); err != nil {
			return errors.Join(err, e.st.Ack(sctx, TicketQueue, done, e.dueNow()), e.keepDirty(sctx, TicketQueue, pick(claimOf, updates)))
		}
	}
	return errors.Join(e.st.Ack(sctx, TicketQueue, done, e.dueNow()), e.writeTickets(ctx, views, plans, updates, claimOf, holder, t))
}

// planTickets loads and plans the tickets. A conditional write needs the
// ticket's current stamp, so tickets the engine wrote since it last saw them
// are read again (one helpdesk read for the batch) and planned afresh.
func (e *Engine) planTickets(ctx context.Context, epoch string, ids []int64, holder string, t *tally) (map[int64]ticketView, map[int64]ticketPlan, error) {
	views, err := e.ticketViews(ctx, epoch, ids, true, holder)
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
	fresh, err := e.ticketViews(ctx, epoch, stale, true, holder)
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
func (e *Engine) writeTickets(ctx context.Context, views map[int64]ticketView, plans map[int64]ticketPlan, updates []TicketUpdate, claimOf map[int64]Claim, holder string, t *tally) error {
	if len(updates) == 0 {
		return nil
	}
	inFlight, before := notesInFlight(views, plans, updates)
	err := e.holds(fmt.Sprintf("update %d tickets", len(updates)), holder)
	if err == nil && len(inFlight) > 0 {
		err = e.st.SetNoteMarksFor(ctx, inFlight, nil, holder)
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
	o := e.sortResults(updates, results, before, t)
	// The notes written are recorded whoever holds the claims now; those
	// surely not written fall back only while the claims are still ours,
	// or another replica's note in flight could be forgotten.
	sent := map[int64]map[string]NoteMark{}
	errs := []error{e.settleWritten(sctx, views, plans, o.written, sent, t), e.st.SetNoteMarks(sctx, sent, nil),
		e.st.SetNoteMarksFor(sctx, o.marks, nil, holder)}
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

// notesInFlight are the marks recording the batch's notes as possibly sent,
// and the marks to fall back to where a note surely was not.
func notesInFlight(views map[int64]ticketView, plans map[int64]ticketPlan, updates []TicketUpdate) (inFlight, before map[int64]map[string]NoteMark) {
	inFlight, before = map[int64]map[string]NoteMark{}, map[int64]map[string]NoteMark{}
	for _, u := range updates {
		for bid, seq := range plans[u.ID].Notes {
			m, ok := views[u.ID].Marks[bid]
			if !ok {
				m = NoteMark{Seq: seq - 1} // told nothing yet; the shown state differed
			}
			putMark(inFlight, u.ID, bid, NoteMark{Seq: m.Seq, Sending: seq})
			putMark(before, u.ID, bid, NoteMark{Seq: m.Seq})
		}
	}
	return inFlight, before
}

// ticketResults sorts a batch's tickets by outcome.
type ticketResults struct {
	written, gone, conflicted, failed []int64
	marks                             map[int64]map[string]NoteMark // marks of notes surely not sent, back as they were
	errs                              error
}

func (e *Engine) sortResults(updates []TicketUpdate, results []TicketResult, before map[int64]map[string]NoteMark, t *tally) ticketResults {
	byID := make(map[int64]error, len(results))
	for _, r := range results {
		byID[r.ID] = r.Err
	}
	o := ticketResults{marks: map[int64]map[string]NoteMark{}}
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
			maps.Copy(o.marks, pickMarks(before, u.ID))
			o.conflicted = append(o.conflicted, u.ID)
			e.log.Info("ticket changed while being written; re-reading it", zap.Int64("ticket", u.ID))
		default:
			// A refusal wrote nothing; any other failure may have been
			// written (an answer lost on the way back), so its note stays
			// in flight, to be looked for before it is sent again.
			if errors.Is(err, ErrPermanent) {
				maps.Copy(o.marks, pickMarks(before, u.ID))
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
// written values (their stamps now unknown) in one store write, their notes'
// marks advance, and reopened tickets' bugs are recounted.
func (e *Engine) settleWritten(ctx context.Context, views map[int64]ticketView, plans map[int64]ticketPlan, written []int64, marks map[int64]map[string]NoteMark, t *tally) error {
	recs := make([]TicketRecord, 0, len(written))
	var recount []string
	for _, id := range written {
		p := plans[id]
		for bid, seq := range p.Notes {
			putMark(marks, id, bid, NoteMark{Seq: seq})
		}
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
// be in flight are resolved first (when resolve is set) by looking for their
// markers on the tickets.
func (e *Engine) ticketViews(ctx context.Context, epoch string, ids []int64, resolve bool, holder string) (map[int64]ticketView, error) {
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
	if err := e.resolveInFlight(ctx, epoch, marks, resolve, holder); err != nil {
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

// resolveInFlight settles notes that may have been sent: found on the
// ticket, the mark advances; not found, it falls back and the note is sent
// again. Without resolve, in-flight notes are assumed unsent. The marks
// are written only while holder holds the tickets' claims: another
// replica's note may be in flight otherwise.
func (e *Engine) resolveInFlight(ctx context.Context, epoch string, marks map[int64]map[string]NoteMark, resolve bool, holder string) error {
	settled := map[int64]map[string]NoteMark{}
	for _, tid := range slices.Sorted(maps.Keys(marks)) {
		for bid, m := range marks[tid] {
			if m.Sending == 0 {
				continue
			}
			res := NoteMark{Seq: m.Seq}
			if resolve {
				found, err := e.hd.HasNote(ctx, tid, noteMarker(epoch, bid, m.Sending))
				if err != nil {
					return fmt.Errorf("engine: look for the note on bug %s in ticket %d: %w", bid, tid, err)
				}
				if found {
					res.Seq = m.Sending
				}
				putMark(settled, tid, bid, res)
			}
			marks[tid][bid] = res
		}
	}
	if e.opts.DryRun {
		return nil
	}
	return e.st.SetNoteMarksFor(ctx, settled, nil, holder)
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

func putMark(m map[int64]map[string]NoteMark, tid int64, bid string, mark NoteMark) {
	if m[tid] == nil {
		m[tid] = map[string]NoteMark{}
	}
	m[tid][bid] = mark
}

func pickMarks(m map[int64]map[string]NoteMark, tid int64) map[int64]map[string]NoteMark {
	if m[tid] == nil {
		return nil
	}
	return map[int64]map[string]NoteMark{tid: m[tid]}
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

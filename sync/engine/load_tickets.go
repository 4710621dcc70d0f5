package engine

import (
	"context"
	"maps"
	"slices"
)

// loadTicketBatch loads and plans the tickets. A conditional write needs the
// ticket's current stamp, so tickets the engine wrote since it last saw them
// are read again (one helpdesk read for the batch), keys they name anew
// resolved, and planned afresh.
func (e *Engine) loadTicketBatch(ctx context.Context, epoch string, ids []int64, notes *noteLedger, t *tally) (map[int64]ticketView, map[int64]ticketPlan, error) {
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
	rec, err := e.readTicketsAgain(ctx, stale, t)
	if err != nil {
		return nil, nil, err
	}
	if _, err := e.resolveTickets(ctx, rec.unresolved, newKeyCache(), e.dueNow(), t); err != nil {
		e.keysWaiting.Store(true)
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

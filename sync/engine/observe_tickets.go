package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.uber.org/zap"
)

// observeTickets reads the helpdesk from its cursor, page by page; each page
// is committed with its cursor before the next is read.
func (e *Engine) observeTickets(ctx context.Context, t *tally) error {
	return e.exportTickets(ctx, t, nil)
}

// exportTickets is observeTickets, handing found (when not nil) what each
// committed page recorded: the bugs its tickets name that the store knows,
// and the tickets whose keys wait to be looked up, which found then owns.
// Without found, they wait for the reconcile's load phase.
func (e *Engine) exportTickets(ctx context.Context, t *tally, found func(recorded)) error {
	cursor, err := e.st.TicketCursor(ctx)
	if err != nil {
		return err
	}
	pages := 0
	err = e.hd.ChangedTickets(ctx, cursor, func(ctx context.Context, page TicketPage) error {
		pages++
		if len(page.Tickets) == 0 && len(page.Organizations) == 0 && page.Cursor == cursor {
			return nil // caught up already: an idle poll writes nothing
		}
		rec, err := e.recordTickets(ctx, page.Tickets, page.Organizations, page.Cursor, true, t)
		if err != nil {
			return err
		}
		switch {
		case found != nil && (len(rec.bugs) > 0 || len(rec.unresolved) > 0):
			found(rec)
		case len(rec.unresolved) > 0:
			e.keysWaiting.Store(true)
		}
		cursor = page.Cursor
		e.log.Debug("ticket page observed", zap.Int("page", pages), zap.Int("tickets", len(page.Tickets)), zap.Bool("caught_up", page.Done))
		if pages%10 == 0 {
			e.log.Info("observing tickets", zap.Int("pages", pages), zap.Int("tickets", t.report().TicketsObserved))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("engine: observe tickets: %w", err)
	}
	t.add(func(r *Report) { r.HelpdeskRead = true })
	return nil
}

// newBugRecord starts the record of a bug seen for the first time. A stale
// label already on it is adopted without a comment (episode 0): after a
// Redis loss the comment was made already. Its update time is a person's
// unless the bug carries something only the service writes (a customer
// count, a managed label): then it may be the service's own write, and is
// left unattributed until the stale policy needs to know.
func (e *Engine) newBugRecord(b Bug) BugRecord {
	r := BugRecord{
		Bug: b, State: e.policy.StateOf(b), LastActivity: b.Updated,
		Stale: StaleFlag{Flagged: e.policy.Stale.Label != "" && slices.Contains(b.Labels, e.policy.Stale.Label)},
	}
	if e.policy.carriesOwnWrites(b) {
		r.LastActivity, r.Unattributed = time.Time{}, b.Updated
	}
	return r
}

// reportRejected is one line a ticket for the candidates it names that were
// not used, bounded however many there are.
func (e *Engine) reportRejected(ticket int64, k TicketKeys, t *tally) {
	t.add(func(r *Report) { r.KeysIgnored += k.Ignored })
	e.event(Event{Kind: EventKeyIgnored, TicketID: ticket, Detail: ignoredText(k, e.policy.maxKeys())},
		zap.Int("ignored", k.Ignored), zap.Int("over_cap", k.OverCap))
}

// rejectedRecord is what a ticket's record keeps of its rejected
// candidates, to report them again only when they change: the listed texts,
// and how many more there were.
func rejectedRecord(k TicketKeys) []string {
	if k.Ignored == 0 {
		return nil
	}
	out := make([]string, 0, len(k.Rejected)+1)
	for _, r := range k.Rejected {
		out = append(out, r.Text)
	}
	if more := k.Ignored - len(k.Rejected); more > 0 {
		out = append(out, "+"+strconv.Itoa(more))
	}
	return out
}

func (e *Engine) reportLinks(changes []LinkChange, t *tally) {
	for _, c := range changes {
		kind, verb := EventLinkRemoved, "unlinked"
		if c.Added {
			kind, verb = EventLinkAdded, "linked"
		}
		from := "ticket"
		if c.Source == LinkFromTracker {
			from = "tracker"
		}
		t.add(func(r *Report) {
			if c.Added {
				r.LinksAdded++
			} else {
				r.LinksRemoved++
			}
		})
		e.event(Event{Kind: kind, TicketID: c.TicketID, BugID: c.BugID, Detail: verb + " (from the " + from + ")"})
	}
}

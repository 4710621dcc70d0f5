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

// exportTickets is observeTickets, handing found (when not nil) the ids of
// the bugs each committed page's tickets name.
func (e *Engine) exportTickets(ctx context.Context, t *tally, found func([]string)) error {
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
		bugs, err := e.recordTickets(ctx, page.Tickets, page.Organizations, page.Cursor, true, t)
		if err != nil {
			return err
		}
		if found != nil && len(bugs) > 0 {
			found(bugs)
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

type resolved struct {
	ids     map[string]string // key → bug id
	aliases map[string]string // to store: looked-up keys and the bugs' current keys
	newBugs []BugRecord
	missing []MissingKey
}

// resolveKeys maps keys to bug ids: from the store's aliases, else from one
// tracker lookup for the page. Keys known to be missing are not looked up
// again before their re-check time; a newly missing key is reported once.
func (e *Engine) resolveKeys(ctx context.Context, keys []string, now time.Time, t *tally) (resolved, error) {
	res := resolved{aliases: map[string]string{}}
	var err error
	if res.ids, err = e.st.Aliases(ctx, keys); err != nil {
		return res, err
	}
	var unknown []string
	for _, k := range keys {
		if _, ok := res.ids[k]; !ok && e.policy.ValidKey(k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return res, nil
	}
	known, err := e.st.MissingKeys(ctx, unknown)
	if err != nil {
		return res, err
	}
	var lookup []string
	for _, k := range unknown {
		if m, ok := known[k]; !ok || !now.Before(m.RecheckAt) {
			lookup = append(lookup, k)
		}
	}
	if len(lookup) == 0 {
		return res, nil
	}
	found, missing, err := e.lookupKeys(ctx, lookup)
	if err != nil {
		return res, err
	}
	for k, b := range found {
		res.ids[k], res.aliases[k], res.aliases[b.Key] = b.ID, b.ID, b.ID
		if !slices.ContainsFunc(res.newBugs, func(r BugRecord) bool { return r.ID == b.ID }) {
			res.newBugs = append(res.newBugs, e.newBugRecord(b))
		}
	}
	for _, k := range missing {
		prev, seen := known[k]
		m := MissingKey{Key: k, FirstSeen: now, Checks: prev.Checks + 1}
		if seen {
			m.FirstSeen = prev.FirstSeen
		}
		m.RecheckAt = now.Add(e.missingBackoff(m.Checks))
		res.missing = append(res.missing, m)
		if !seen {
			t.add(func(r *Report) { r.KeysMissing++ })
			e.event(Event{Kind: EventKeyMissing, BugKey: k, Detail: "bug key matches no issue; not retried before " + m.RecheckAt.Format(time.RFC3339)})
		}
	}
	return res, nil
}

// lookupKeys asks the tracker for keys in one call. A key that moved comes
// back under its new key, so keys the answer does not name are asked one by
// one to learn which bug each became.
func (e *Engine) lookupKeys(ctx context.Context, keys []string) (map[string]Bug, []string, error) {
	bugs, missing, err := e.tr.BugsByKey(ctx, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("engine: look up %s: %w", plural(len(keys), "bug key", "bug keys"), err)
	}
	found := make(map[string]Bug, len(keys))
	for _, b := range bugs {
		found[b.Key] = b
	}
	for _, k := range keys {
		if _, ok := found[k]; ok || slices.Contains(missing, k) {
			continue
		}
		one, gone, err := e.tr.BugsByKey(ctx, []string{k})
		if err != nil {
			return nil, nil, fmt.Errorf("engine: look up moved bug key %s: %w", k, err)
		}
		switch {
		case len(one) == 1:
			found[k] = one[0]
		case len(gone) > 0 || len(one) == 0:
			missing = append(missing, k)
		}
	}
	for k := range found {
		if !slices.Contains(keys, k) {
			delete(found, k)
		}
	}
	return found, missing, nil
}

// missingBackoff spaces the re-checks of a missing key: MissingRecheck,
// doubling, at most a week.
func (e *Engine) missingBackoff(checks int) time.Duration {
	d := e.opts.MissingRecheck
	for i := 1; i < checks && d < 7*24*time.Hour; i++ {
		d *= 2
	}
	return min(d, 7*24*time.Hour)
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

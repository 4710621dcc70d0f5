package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// recorded is what recordTickets committed that its caller may act on.
type recorded struct {
	bugs       []string           // ids of the bugs the tickets' keys name that the store knew, sorted
	unresolved []UnresolvedTicket // tickets whose keys wait to be looked up
}

// recordTickets turns observed tickets into records and links and commits
// them (with cursor, when not "") in one atomic store write. Pollers,
// webhooks and conflict re-reads all come through here. It reads the
// store, never the tracker: keys the store knows no bug for are recorded
// as waiting, in the same write, and linked once the load phase has looked
// them up (resolveTickets), so that a crash between the two loses nothing.
func (e *Engine) recordTickets(ctx context.Context, tickets []Ticket, orgs []Organization, cursor string, fenced bool, t *tally) (recorded, error) {
	now := e.dueNow()
	ids := make([]int64, len(tickets))
	for i, tk := range tickets {
		ids[i] = tk.ID
	}
	old, err := e.st.Tickets(ctx, ids)
	if err != nil {
		return recorded{}, err
	}
	keysOf := make([][]string, len(tickets))
	rejectedOf := make([][]string, len(tickets))
	var all []string
	for i, tk := range tickets {
		if tk.Status == StatusDeleted {
			continue
		}
		found := e.policy.Keys(tk)
		keysOf[i] = found.Keys
		all = append(all, found.Keys...)
		rejectedOf[i] = rejectedRecord(found)
		if prev, ok := old[tk.ID]; found.Ignored > 0 && (!ok || !slices.Equal(prev.Rejected, rejectedOf[i])) {
			e.reportRejected(tk.ID, found, t)
		}
	}
	slices.Sort(all)
	known, lookup, err := e.knownKeys(ctx, slices.Compact(all), now)
	if err != nil {
		return recorded{}, err
	}

	var rec recorded
	commit := TicketPageCommit{Organizations: orgs, Cursor: cursor, Now: now}
	for i, tk := range tickets {
		var prev *TicketRecord
		if r, ok := old[tk.ID]; ok {
			prev = &r
		}
		ch, ok := e.ticketChange(tk, keysOf[i], rejectedOf[i], known, prev)
		if !ok {
			continue
		}
		if ch.Record != nil {
			if u, waits := unresolvedOf(keysOf[i], lookup, ch.Bugs); waits {
				ch.Unresolved = &u
				rec.unresolved = append(rec.unresolved, UnresolvedTicket{ID: tk.ID, UnresolvedKeys: u})
			}
		}
		commit.Tickets = append(commit.Tickets, ch)
	}
	if fenced {
		if err := e.leading(ctx); err != nil {
			return recorded{}, err
		}
	}
	changes, err := e.st.CommitTicketPage(ctx, commit)
	if err != nil {
		return recorded{}, err
	}
	t.add(func(r *Report) { r.TicketsObserved += len(tickets) })
	e.reportLinks(changes, t)
	rec.bugs = slices.Collect(maps.Values(known))
	slices.Sort(rec.bugs)
	rec.bugs = slices.Compact(rec.bugs)
	return rec, nil
}

// knownKeys maps keys to the bugs the store knows them as, and lists the
// keys to look up in the tracker: valid, unknown, and not known to be
// missing before their re-check time (a key of an unconfigured project,
// or a missing key, is not looked up again every cycle).
func (e *Engine) knownKeys(ctx context.Context, keys []string, now time.Time) (map[string]string, map[string]bool, error) {
	k, err := e.st.Keys(ctx, keys)
	if err != nil {
		return nil, nil, err
	}
	lookup := map[string]bool{}
	for _, key := range keys {
		if _, ok := k.Bugs[key]; ok || !e.policy.ValidKey(key) {
			continue
		}
		if m, ok := k.Missing[key]; !ok || !now.Before(m.RecheckAt) {
			lookup[key] = true
		}
	}
	return k.Bugs, lookup, nil
}

// unresolvedOf is what of a ticket waits for key resolution: its keys to
// look up, with the bugs its other keys named. waits is false when none of
// its keys is to be looked up.
func unresolvedOf(keys []string, lookup map[string]bool, bugs []string) (UnresolvedKeys, bool) {
	var u UnresolvedKeys
	for _, k := range keys {
		if lookup[k] {
			u.Keys = append(u.Keys, k)
		}
	}
	if len(u.Keys) == 0 {
		return u, false
	}
	u.Bugs = slices.Sorted(slices.Values(bugs))
	return u, true
}

// ticketChange is what one observed ticket changes. ok is false when the
// observation is older than what the engine itself wrote since (its record
// already holds newer values).
func (e *Engine) ticketChange(tk Ticket, keys, rejected []string, ids map[string]string, prev *TicketRecord) (TicketChange, bool) {
	if tk.Status == StatusDeleted {
		return TicketChange{ID: tk.ID}, true
	}
	if prev != nil && prev.StampStale && !tk.UpdatedAt.After(prev.UpdatedAt) {
		return TicketChange{}, false
	}
	rec := TicketRecord{
		ID: tk.ID, Status: tk.Status, RequesterID: tk.RequesterID, OrganizationID: tk.OrganizationID,
		Locale: tk.Locale, Subject: tk.Subject, URL: tk.URL, Keys: keys, Rejected: rejected, Tags: e.managedTags(tk.Tags),
		StatusField: tk.StatusField, AssigneeID: tk.AssigneeID, GroupID: tk.GroupID, CreatedAt: tk.CreatedAt, UpdatedAt: tk.UpdatedAt,
	}
	var bugs []string
	for _, k := range keys {
		if id, ok := ids[k]; ok && !slices.Contains(bugs, id) {
			bugs = append(bugs, id)
		}
	}
	ch := TicketChange{ID: tk.ID, Record: &rec, Bugs: bugs}
	if prev == nil {
		// Leftover status tags or field text of a ticket never seen need
		// clearing; a new link marks it dirty by itself.
		ch.Dirty = len(rec.Tags) > 0 || rec.StatusField != ""
		return ch, true
	}
	ch.Dirty = prev.Status != rec.Status || prev.StatusField != rec.StatusField ||
		!slices.Equal(prev.Tags, rec.Tags) || !slices.Equal(prev.Keys, rec.Keys)
	ch.BugsDirty = prev.Status != rec.Status || prev.RequesterID != rec.RequesterID ||
		prev.OrganizationID != rec.OrganizationID || prev.Subject != rec.Subject || prev.URL != rec.URL ||
		!prev.CreatedAt.Equal(rec.CreatedAt)
	return ch, true
}

// managedTags are the status tags among tags, sorted.
func (e *Engine) managedTags(tags []string) []string {
	var out []string
	for _, tag := range tags {
		if slices.Contains(e.policy.StatusTags.All(), tag) && !slices.Contains(out, tag) {
			out = append(out, tag)
		}
	}
	slices.Sort(out)
	return out
}

// rereadTickets reads tickets again and applies them like a poll would;
// tickets the helpdesk no longer has are forgotten. Keys they name that
// the store does not know wait for the next reconcile's load phase.
func (e *Engine) rereadTickets(ctx context.Context, ids []int64, t *tally) error {
	rec, err := e.readTicketsAgain(ctx, ids, t)
	if len(rec.unresolved) > 0 {
		e.keysWaiting.Store(true)
	}
	return err
}

// readTicketsAgain is rereadTickets, handing back the tickets whose keys
// wait to be looked up, for its caller to resolve.
func (e *Engine) readTicketsAgain(ctx context.Context, ids []int64, t *tally) (recorded, error) {
	fresh, err := e.hd.Tickets(ctx, ids)
	if err != nil {
		return recorded{}, fmt.Errorf("engine: re-read %s: %w", plural(len(ids), "ticket", "tickets"), err)
	}
	for _, id := range ids {
		if !slices.ContainsFunc(fresh, func(tk Ticket) bool { return tk.ID == id }) {
			fresh = append(fresh, Ticket{ID: id, Status: StatusDeleted})
		}
	}
	return e.recordTickets(ctx, fresh, nil, "", false, t)
}

package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// recordTickets turns observed tickets into records and links and commits
// them (with cursor, when not "") in one atomic store write. Pollers,
// webhooks and conflict re-reads all come through here. It returns the ids
// of the bugs the tickets' keys name, sorted.
func (e *Engine) recordTickets(ctx context.Context, tickets []Ticket, orgs []Organization, cursor string, fenced bool, t *tally) ([]string, error) {
	now := e.dueNow()
	ids := make([]int64, len(tickets))
	for i, tk := range tickets {
		ids[i] = tk.ID
	}
	old, err := e.st.Tickets(ctx, ids)
	if err != nil {
		return nil, err
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
	res, err := e.resolveKeys(ctx, slices.Compact(all), now, t)
	if err != nil {
		return nil, err
	}

	commit := TicketPageCommit{
		NewBugs: res.newBugs, Aliases: res.aliases, Missing: res.missing,
		Organizations: orgs, Cursor: cursor, Now: now,
	}
	for i, tk := range tickets {
		var prev *TicketRecord
		if r, ok := old[tk.ID]; ok {
			prev = &r
		}
		if ch, ok := e.ticketChange(tk, keysOf[i], rejectedOf[i], res.ids, prev); ok {
			commit.Tickets = append(commit.Tickets, ch)
		}
	}
	if fenced {
		if err := e.leading(ctx); err != nil {
			return nil, err
		}
	}
	changes, err := e.st.CommitTicketPage(ctx, commit)
	if err != nil {
		return nil, err
	}
	t.add(func(r *Report) { r.TicketsObserved += len(tickets) })
	e.reportLinks(changes, t)
	bugs := slices.Collect(maps.Values(res.ids))
	slices.Sort(bugs)
	return slices.Compact(bugs), nil
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
		Subject: tk.Subject, URL: tk.URL, Keys: keys, Rejected: rejected, Tags: e.managedTags(tk.Tags),
		StatusField: tk.StatusField, CreatedAt: tk.CreatedAt, UpdatedAt: tk.UpdatedAt,
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
// tickets the helpdesk no longer has are forgotten.
func (e *Engine) rereadTickets(ctx context.Context, ids []int64, t *tally) error {
	fresh, err := e.hd.Tickets(ctx, ids)
	if err != nil {
		return fmt.Errorf("engine: re-read %s: %w", plural(len(ids), "ticket", "tickets"), err)
	}
	for _, id := range ids {
		if !slices.ContainsFunc(fresh, func(tk Ticket) bool { return tk.ID == id }) {
			fresh = append(fresh, Ticket{ID: id, Status: StatusDeleted})
		}
	}
	_, err = e.recordTickets(ctx, fresh, nil, "", false, t)
	return err
}

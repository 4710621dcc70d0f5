package enginetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Helpdesk is an in-memory engine.Helpdesk.
type Helpdesk struct {
	Calls    Calls
	PageSize int      // tickets per ChangedTickets page; default 100
	Fail     FailFunc // nil: nothing fails
	// Lost, when it returns an error for an UpdateTickets call, makes the
	// writes happen but reports that error for every ticket: an answer lost
	// on the way back (a timeout after the vendor acted).
	Lost FailFunc

	clock   func() time.Time
	base    string
	mu      sync.Mutex
	seq     int64
	tickets map[int64]*ticket
	orgs    map[int64]engine.Organization
	// orgChanged is when each organization was last put: the
	// organization export hands over those put at or after its start.
	orgChanged map[int64]time.Time
}

type ticket struct {
	t       engine.Ticket
	changed int64 // change sequence; the cursor is the last one read
	notes   []string
}

// NewHelpdesk returns an empty helpdesk whose agent URLs start with base
// (e.g. "https://acme.zendesk.com").
func NewHelpdesk(clock func() time.Time, base string) *Helpdesk {
	return &Helpdesk{clock: clock, base: base, tickets: map[int64]*ticket{}, orgs: map[int64]engine.Organization{},
		orgChanged: map[int64]time.Time{}}
}

// PutOrganization creates or replaces an organization.
func (h *Helpdesk) PutOrganization(o engine.Organization) {
	h.mu.Lock()
	h.orgs[o.ID] = o
	h.orgChanged[o.ID] = h.clock().UTC()
	h.mu.Unlock()
}

// ChangedOrganizations hands over, in one page, the organizations put at
// or after since, in the order they were put; the cursor is the last one's
// time (since when none), so the last comes again on the next call, as on
// a time-based export.
func (h *Helpdesk) ChangedOrganizations(ctx context.Context, since time.Time, handle func(context.Context, engine.OrganizationPage) error) error {
	if err := gate(ctx, &h.Calls, h.Fail, "ChangedOrganizations"); err != nil {
		return err
	}
	h.mu.Lock()
	page := engine.OrganizationPage{Cursor: since, Done: true}
	for id, at := range h.orgChanged {
		if !at.Before(since) {
			page.Organizations = append(page.Organizations, h.orgs[id])
		}
	}
	slices.SortFunc(page.Organizations, func(a, b engine.Organization) int {
		return cmp.Or(h.orgChanged[a.ID].Compare(h.orgChanged[b.ID]), cmp.Compare(a.ID, b.ID))
	})
	if n := len(page.Organizations); n > 0 {
		page.Cursor = h.orgChanged[page.Organizations[n-1].ID]
	}
	h.mu.Unlock()
	return handle(ctx, page)
}

// Put creates or replaces a ticket as an agent would; its URL and update
// time are set by the helpdesk, and so is its creation time unless t has one.
func (h *Helpdesk) Put(t engine.Ticket) {
	h.Edit(t.ID, func(cur *engine.Ticket) { *cur = t })
}

// Edit changes a ticket as an agent would (creating it when absent).
func (h *Helpdesk) Edit(id int64, f func(*engine.Ticket)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	tk, ok := h.tickets[id]
	if !ok {
		tk = &ticket{t: engine.Ticket{ID: id, Status: engine.StatusNew, CreatedAt: h.clock().UTC()}}
		h.tickets[id] = tk
	}
	created := tk.t.CreatedAt
	f(&tk.t)
	tk.t.ID = id
	if tk.t.CreatedAt.IsZero() {
		tk.t.CreatedAt = created // an agent cannot change when a ticket was opened
	}
	h.touch(tk)
}

// Delete deletes a ticket; the stream reports it once as deleted.
func (h *Helpdesk) Delete(id int64) {
	h.Edit(id, func(t *engine.Ticket) { t.Status = engine.StatusDeleted })
}

// Ticket returns a copy of a ticket.
func (h *Helpdesk) Ticket(id int64) (engine.Ticket, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	tk, ok := h.tickets[id]
	if !ok {
		return engine.Ticket{}, false
	}
	return copyTicket(tk.t), true
}

// Notes returns the private notes posted on a ticket.
func (h *Helpdesk) Notes(id int64) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if tk, ok := h.tickets[id]; ok {
		return slices.Clone(tk.notes)
	}
	return nil
}

func (h *Helpdesk) touch(tk *ticket) {
	h.seq++
	tk.changed = h.seq
	tk.t.URL = h.base + "/agent/tickets/" + strconv.FormatInt(tk.t.ID, 10)
	now := h.clock().UTC()
	if !now.After(tk.t.UpdatedAt) {
		now = tk.t.UpdatedAt.Add(time.Second) // two writes in one instant still differ
	}
	tk.t.UpdatedAt = now
}

func copyTicket(t engine.Ticket) engine.Ticket {
	t.Tags = slices.Clone(t.Tags)
	return t
}

// ChangedTickets streams tickets changed after cursor in change order.
func (h *Helpdesk) ChangedTickets(ctx context.Context, cursor string, handle func(context.Context, engine.TicketPage) error) error {
	after := int64(0)
	if cursor != "" {
		var err error
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil {
			return fmt.Errorf("enginetest: bad cursor %q: %w", cursor, engine.ErrPermanent)
		}
	}
	size := h.PageSize
	if size <= 0 {
		size = 100
	}
	for {
		if err := gate(ctx, &h.Calls, h.Fail, "ChangedTickets"); err != nil {
			return err
		}
		page := h.page(after, size)
		if err := handle(ctx, page); err != nil {
			return err
		}
		if page.Done {
			return nil
		}
		after, _ = strconv.ParseInt(page.Cursor, 10, 64)
	}
}

func (h *Helpdesk) page(after int64, size int) engine.TicketPage {
	h.mu.Lock()
	defer h.mu.Unlock()
	var changed []*ticket
	for _, tk := range h.tickets {
		if tk.changed > after {
			changed = append(changed, tk)
		}
	}
	slices.SortFunc(changed, func(a, b *ticket) int { return int(a.changed - b.changed) })
	page := engine.TicketPage{Cursor: strconv.FormatInt(after, 10), Done: len(changed) <= size}
	if len(changed) > size {
		changed = changed[:size]
	}
	var orgs []int64
	for _, tk := range changed {
		page.Tickets = append(page.Tickets, copyTicket(tk.t))
		page.Cursor = strconv.FormatInt(tk.changed, 10)
		if o := tk.t.OrganizationID; o != 0 && !slices.Contains(orgs, o) {
			orgs = append(orgs, o)
			if org, ok := h.orgs[o]; ok {
				page.Organizations = append(page.Organizations, org)
			}
		}
	}
	return page
}

// Tickets reads tickets by id; deleted and unknown ids are absent.
func (h *Helpdesk) Tickets(ctx context.Context, ids []int64) ([]engine.Ticket, error) {
	if err := gate(ctx, &h.Calls, h.Fail, "Tickets"); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []engine.Ticket
	for _, id := range ids {
		if tk, ok := h.tickets[id]; ok && tk.t.Status != engine.StatusDeleted {
			out = append(out, copyTicket(tk.t))
		}
	}
	return out, nil
}

// Organizations reads organizations by id; unknown ids are absent.
func (h *Helpdesk) Organizations(ctx context.Context, ids []int64) ([]engine.Organization, error) {
	if err := gate(ctx, &h.Calls, h.Fail, "Organizations"); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []engine.Organization
	for _, id := range ids {
		if o, ok := h.orgs[id]; ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// UpdateTickets applies each update like update_many with safe_update: a
// stale UpdatedStamp fails with ErrConflict, a missing ticket with
// ErrNotFound, a closed one with ErrPermanent. Calls counts one
// "UpdateTickets" per call and one "UpdateTickets.job" per 100 updates.
func (h *Helpdesk) UpdateTickets(ctx context.Context, updates []engine.TicketUpdate) ([]engine.TicketResult, error) {
	if err := gate(ctx, &h.Calls, h.Fail, "UpdateTickets"); err != nil {
		return nil, err
	}
	for range (len(updates) + 99) / 100 {
		h.Calls.add("UpdateTickets.job")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var lost error
	if h.Lost != nil {
		lost = h.Lost(ctx, "UpdateTickets")
	}
	out := make([]engine.TicketResult, len(updates))
	for i, u := range updates {
		out[i] = engine.TicketResult{ID: u.ID, Err: h.apply(u)}
		if out[i].Err == nil && lost != nil {
			out[i].Err = lost
		}
	}
	return out, nil
}

func (h *Helpdesk) apply(u engine.TicketUpdate) error {
	tk, ok := h.tickets[u.ID]
	switch {
	case !ok || tk.t.Status == engine.StatusDeleted:
		return fmt.Errorf("enginetest: ticket %d: %w", u.ID, engine.ErrNotFound)
	case tk.t.Status == engine.StatusClosed:
		return fmt.Errorf("enginetest: ticket %d is closed: %w", u.ID, engine.ErrPermanent)
	case !u.UpdatedStamp.IsZero() && !u.UpdatedStamp.Equal(tk.t.UpdatedAt):
		return fmt.Errorf("enginetest: ticket %d changed since %s: %w", u.ID, u.UpdatedStamp, engine.ErrConflict)
	}
	if u.StatusField != nil {
		tk.t.StatusField = *u.StatusField
	}
	tk.t.Tags = slices.DeleteFunc(tk.t.Tags, func(t string) bool { return slices.Contains(u.RemoveTags, t) })
	for _, t := range u.AddTags {
		if !slices.Contains(tk.t.Tags, t) {
			tk.t.Tags = append(tk.t.Tags, t)
		}
	}
	if u.Note != "" {
		tk.notes = append(tk.notes, u.Note)
	}
	if u.Reopen && tk.t.Status == engine.StatusSolved {
		tk.t.Status = engine.StatusOpen
	}
	if u.Status != "" {
		tk.t.Status = u.Status
	}
	if u.AssigneeID != nil {
		tk.t.AssigneeID = *u.AssigneeID
	}
	if u.GroupID != nil {
		tk.t.GroupID = *u.GroupID
	}
	h.touch(tk)
	return nil
}

// HasNote reports whether a note on the ticket contains marker.
func (h *Helpdesk) HasNote(ctx context.Context, ticketID int64, marker string) (bool, error) {
	if err := gate(ctx, &h.Calls, h.Fail, "HasNote"); err != nil {
		return false, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	tk, ok := h.tickets[ticketID]
	if !ok {
		return false, fmt.Errorf("enginetest: ticket %d: %w", ticketID, engine.ErrNotFound)
	}
	return slices.ContainsFunc(tk.notes, func(n string) bool { return strings.Contains(n, marker) }), nil
}

// TicketRef parses an agent URL of this helpdesk.
func (h *Helpdesk) TicketRef(url string) (int64, bool) {
	rest, ok := strings.CutPrefix(url, h.base+"/agent/tickets/")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

var _ engine.Helpdesk = (*Helpdesk)(nil)

package zendesktest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

type ticketRec struct {
	Ticket
	seq      uint64 // position of the last change in the export log
	comments []Comment
}

// change is one entry of the export log: ticket id changed at seq. Entries
// of a ticket that changed again later are stale and skipped.
type change struct {
	seq uint64
	gen int64
	id  int64
}

var ticketStatuses = []string{"new", "open", "pending", "hold", "solved", "closed"}

// CreateTicket stores t as a new ticket (id assigned when 0) and returns it.
// Missing status is "new"; CreatedAt defaults to now. A Description becomes
// the first, public comment, by the requester, as in Zendesk.
func (s *Server) CreateTicket(t Ticket) Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.ID == 0 {
		t.ID = s.nextTick
	}
	if t.ID >= s.nextTick {
		s.nextTick = t.ID + 1
	}
	if t.Status == "" {
		t.Status = "new"
	}
	if t.ViaChannel == "" {
		t.ViaChannel = "api"
	}
	if t.SubmitterID == 0 {
		t.SubmitterID = t.RequesterID
	}
	t.Tags = normalizeTags(t.Tags)
	t.CustomFields = slices.Clone(t.CustomFields)
	now := s.now().Truncate(time.Second)
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	t.CreatedAt = t.CreatedAt.UTC().Truncate(time.Second)
	rec := &ticketRec{Ticket: t}
	if t.Description != "" {
		rec.comments = append(rec.comments, Comment{ID: s.newID(), AuthorID: t.RequesterID,
			Body: t.Description, Public: true, CreatedAt: t.CreatedAt, AuditID: s.newID()})
	}
	s.tickets[t.ID] = rec
	s.touch(rec, t.CreatedAt)
	return cloneTicket(rec.Ticket)
}

// Ticket returns the stored ticket id (deleted tickets too, with status
// "deleted").
func (s *Server) Ticket(id int64) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[id]
	if !ok {
		return Ticket{}, false
	}
	return cloneTicket(rec.Ticket), true
}

// Comments returns the ticket's comments, oldest first.
func (s *Server) Comments(id int64) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.tickets[id]; ok {
		return slices.Clone(rec.comments)
	}
	return nil
}

// UpdateTicket changes a ticket as an agent would in the Zendesk UI: mutate
// runs on a copy, which is stored with bumped timestamps. It reports false
// when there is no such ticket.
func (s *Server) UpdateTicket(id int64, mutate func(*Ticket)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[id]
	if !ok || rec.Status == "deleted" {
		return false
	}
	t := cloneTicket(rec.Ticket)
	mutate(&t)
	t.ID, t.CreatedAt = rec.ID, rec.CreatedAt
	t.Tags = normalizeTags(t.Tags)
	rec.Ticket = t
	s.touch(rec, s.now())
	return true
}

// SetCustomField sets custom field fieldID of a ticket, as an agent would.
func (s *Server) SetCustomField(id, fieldID int64, value any) bool {
	return s.UpdateTicket(id, func(t *Ticket) { t.CustomFields = setField(t.CustomFields, fieldID, value) })
}

// AddTags adds tags to a ticket, as an agent would.
func (s *Server) AddTags(id int64, tags ...string) bool {
	return s.UpdateTicket(id, func(t *Ticket) { t.Tags = append(t.Tags, tags...) })
}

// SetStatus changes a ticket's status (e.g. "solved"), as an agent would.
func (s *Server) SetStatus(id int64, status string) bool {
	return s.UpdateTicket(id, func(t *Ticket) { t.Status = status })
}

// AddComment adds a comment to a ticket, as an agent or requester would.
func (s *Server) AddComment(id int64, c Comment) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[id]
	if !ok || rec.Status == "deleted" {
		return false
	}
	now := s.now()
	c.ID, c.AuditID = s.newID(), s.newID()
	c.CreatedAt = now.Truncate(time.Second)
	rec.comments = append(rec.comments, c)
	s.touch(rec, now)
	return true
}

// DeleteTicket soft-deletes a ticket: it disappears from the ticket
// endpoints and shows up in the incremental export with status "deleted".
func (s *Server) DeleteTicket(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[id]
	if !ok || rec.Status == "deleted" {
		return false
	}
	rec.Status = "deleted"
	s.touch(rec, s.now())
	return true
}

// touch records a change of rec at t: updated_at and generated_timestamp
// move forward and the ticket moves to the end of the export stream.
//
// Zendesk stamps whole seconds. So that a safe_update with a stamp read
// before a change always sees the change, a ticket's updated_at moves
// forward by at least one second per write (Zendesk would leave it equal
// within the same second and accept the stale stamp). generated_timestamp
// stays the time of the write, so the export lag never holds a change back
// longer than it should.
func (s *Server) touch(rec *ticketRec, t time.Time) {
	t = t.UTC().Truncate(time.Second)
	gen := t.Unix()
	if !rec.UpdatedAt.IsZero() && !t.After(rec.UpdatedAt) {
		t = rec.UpdatedAt.Add(time.Second)
	}
	rec.UpdatedAt = t
	if gen < s.lastGen {
		gen = s.lastGen // the export stream never goes back in time
	}
	s.lastGen = gen
	rec.GeneratedTimestamp = gen
	s.seq++
	rec.seq = s.seq
	s.changes = append(s.changes, change{seq: s.seq, gen: gen, id: rec.ID})
	s.hooks.enqueue(rec.ID, rec.Status, rec.UpdatedAt)
}

func (s *Server) newID() int64 {
	s.nextID++
	return s.nextID
}

func cloneTicket(t Ticket) Ticket {
	t.Tags = slices.Clone(t.Tags)
	t.CustomFields = slices.Clone(t.CustomFields)
	return t
}

func setField(fields []CustomField, id int64, value any) []CustomField {
	for i := range fields {
		if fields[i].ID == id {
			fields[i].Value = value
			return fields
		}
	}
	return append(fields, CustomField{ID: id, Value: value})
}

// normalizeTags applies Zendesk's tag rules: lower case, no spaces (a space
// separates tags), no duplicates, order of first appearance.
func normalizeTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		for _, f := range strings.Fields(strings.ToLower(t)) {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// patch is one update of a ticket as the API accepts it (PUT /tickets/{id},
// an update_many entry, or the ticket of a bulk update_many).
type patch struct {
	Subject      *string
	Status       *string
	Priority     *string
	Type         *string
	AssigneeID   *int64 // 0 unassigns
	GroupID      *int64 // 0 clears
	Tags         *[]string
	AddTags      []string
	RemoveTags   []string
	CustomFields []CustomField
	Comment      *Comment
	SafeUpdate   bool
	UpdatedStamp *time.Time
}

// apiError is a Zendesk error response.
type apiError struct {
	status int
	body   errorBody
}

// errorBody is Zendesk's error document, keys in Zendesk's order.
type errorBody struct {
	Error       string                      `json:"error"`
	Description string                      `json:"description,omitempty"`
	Details     map[string][]map[string]any `json:"details,omitempty"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %v", e.status, e.body) }

func notFound() *apiError {
	return &apiError{http.StatusNotFound, errorBody{Error: "RecordNotFound", Description: "Not found"}}
}

func invalid(field, description string) *apiError {
	return &apiError{http.StatusUnprocessableEntity, errorBody{Error: "RecordInvalid",
		Description: "Record validation errors",
		Details:     map[string][]map[string]any{field: {{"description": description}}}}}
}

func badRequest(code, description string) *apiError {
	return &apiError{http.StatusBadRequest, errorBody{Error: code, Description: description}}
}

// Closed tickets can't be changed: "Once a ticket is closed (as distinct
// from solved), it can't be reopened" [ZD-CU]; Zendesk answers 422 with
// this message.
const closedMessage = "Status: closed prevents ticket update"

// conflictMessage is Zendesk's description of a 409 from a stale
// safe_update ([ZD-CU] #protecting-against-ticket-update-collisions; the
// error code is UNCONFIRMED, notes.md §2).
const conflictMessage = "Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again."

// applyPatch applies p to ticket id on behalf of user and returns the audit
// it creates. It must be called with s.mu held.
func (s *Server) applyPatch(id int64, p patch, user int64) (ticketRec, audit, *apiError) {
	rec, ok := s.tickets[id]
	if !ok || rec.Status == "deleted" {
		return ticketRec{}, audit{}, notFound()
	}
	if rec.Status == "closed" {
		return ticketRec{}, audit{}, invalid("status", closedMessage)
	}
	if p.SafeUpdate && p.UpdatedStamp != nil && !p.UpdatedStamp.Equal(rec.UpdatedAt) {
		return ticketRec{}, audit{}, &apiError{http.StatusConflict, errorBody{
			Error: "UpdateConflict", Description: conflictMessage}}
	}
	if p.Status != nil && !slices.Contains(ticketStatuses, *p.Status) {
		return ticketRec{}, audit{}, invalid("status", fmt.Sprintf("Status: %q is not a valid status", *p.Status))
	}
	if p.AssigneeID != nil && *p.AssigneeID != 0 {
		if u, ok := s.users[*p.AssigneeID]; !ok || u.Role == "end-user" {
			return ticketRec{}, audit{}, invalid("assignee", "Assignee: is not an agent")
		}
	}
	if p.Comment != nil && strings.TrimSpace(p.Comment.Body) == "" && strings.TrimSpace(p.Comment.HTMLBody) == "" {
		return ticketRec{}, audit{}, invalid("comment", "Comment: cannot be blank")
	}

	now := s.now()
	a := audit{ID: s.newID(), TicketID: id, AuthorID: user, CreatedAt: now.Truncate(time.Second)}
	t := cloneTicket(rec.Ticket)
	str := func(field string, dst *string, v *string) {
		if v != nil && *v != *dst {
			a.change(s.newID(), field, *v, *dst)
			*dst = *v
		}
	}
	str("subject", &t.Subject, p.Subject)
	str("status", &t.Status, p.Status)
	str("priority", &t.Priority, p.Priority)
	str("type", &t.Type, p.Type)
	setID := func(field string, dst *int64, v *int64) {
		if v != nil && *v != *dst {
			a.change(s.newID(), field, optID(*v), optID(*dst))
			*dst = *v
		}
	}
	setID("assignee_id", &t.AssigneeID, p.AssigneeID)
	setID("group_id", &t.GroupID, p.GroupID)
	tags := t.Tags
	if p.Tags != nil {
		tags = normalizeTags(*p.Tags)
	}
	tags = normalizeTags(append(slices.Clone(tags), p.AddTags...))
	remove := normalizeTags(p.RemoveTags)
	tags = slices.DeleteFunc(tags, func(tag string) bool { return slices.Contains(remove, tag) })
	if !slices.Equal(tags, t.Tags) {
		a.change(s.newID(), "tags", strings.Join(tags, " "), strings.Join(t.Tags, " "))
		t.Tags = tags
	}
	for _, f := range p.CustomFields {
		before := t.Field(f.ID)
		if fmt.Sprint(before) != fmt.Sprint(f.Value) {
			a.change(s.newID(), fmt.Sprint(f.ID), f.Value, before)
		}
		t.CustomFields = setField(t.CustomFields, f.ID, f.Value)
	}
	if c := p.Comment; c != nil {
		c.ID, c.AuditID, c.CreatedAt = s.newID(), a.ID, a.CreatedAt
		if c.AuthorID == 0 {
			c.AuthorID = user
		}
		if c.Body == "" {
			c.Body = stripTags(c.HTMLBody)
		}
		rec.comments = append(rec.comments, *c)
		a.comment = c
	}
	if len(a.changes) == 0 && a.comment == nil {
		// Zendesk answers 200 to an update that changes nothing, and does
		// not touch the ticket.
		return *rec, a, nil
	}
	rec.Ticket = t
	s.touch(rec, now)
	return *rec, a, nil
}

func stripTags(html string) string {
	var b strings.Builder
	in := false
	for _, r := range html {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// audit is the record Zendesk returns with every update: one event per
// changed field and one per comment.
type audit struct {
	ID        int64
	TicketID  int64
	AuthorID  int64
	CreatedAt time.Time
	changes   []auditChange
	comment   *Comment
}

type auditChange struct {
	id       int64
	field    string
	value    any
	previous any
}

func (a *audit) change(id int64, field string, value, previous any) {
	a.changes = append(a.changes, auditChange{id, field, value, previous})
}

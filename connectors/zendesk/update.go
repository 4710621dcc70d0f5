package zendesk

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// ticketOut is a ticket in an update request: an entry of a batch
// update_many, or the ticket of PUT /tickets/{id}. Only what changes is
// sent; tags are added and removed, never replaced, so an agent's tags
// written meanwhile survive (notes.md §2).
type ticketOut struct {
	ID             int64       `json:"id,omitempty"`
	AdditionalTags []string    `json:"additional_tags,omitempty"`
	RemoveTags     []string    `json:"remove_tags,omitempty"`
	CustomFields   []fieldOut  `json:"custom_fields,omitempty"`
	Comment        *commentOut `json:"comment,omitempty"`
	Status         string      `json:"status,omitempty"`
	AssigneeID     *nullID     `json:"assignee_id,omitempty"`
	GroupID        *nullID     `json:"group_id,omitempty"`
	SafeUpdate     bool        `json:"safe_update,omitempty"`
	UpdatedStamp   string      `json:"updated_stamp,omitempty"`
}

// nullID is an id that is sent as null when 0: assignee_id null unassigns
// a ticket.
type nullID int64

func (n nullID) MarshalJSON() ([]byte, error) {
	if n == 0 {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatInt(int64(n), 10)), nil
}

// fieldOut's Value is null to clear the field (a dropdown has no "").
type fieldOut struct {
	ID    int64   `json:"id"`
	Value *string `json:"value"`
}

// commentOut always sends public: Zendesk otherwise carries over the
// visibility of the ticket's first comment (notes.md §2).
type commentOut struct {
	Body     string `json:"body"`
	Public   bool   `json:"public"`
	AuthorID int64  `json:"author_id,omitempty"`
}

// maxUpdateMany is the most tickets one update_many takes (notes.md §2).
const maxUpdateMany = 100

// UpdateTickets writes the updates and returns one result per update, in
// order. Updates with an UpdatedStamp go one by one through PUT
// /tickets/{id} with safe_update (a stale stamp fails with
// engine.ErrConflict); the rest go in update_many batches of 100, whose jobs
// are then followed to completion. A ticket is reported written only when
// its job says so; anything unknown is a retryable failure. The returned
// error is always nil: every failure is reported per ticket.
func (c *Client) UpdateTickets(ctx context.Context, updates []engine.TicketUpdate) ([]engine.TicketResult, error) {
	results := make([]engine.TicketResult, len(updates))
	var batch []batchItem
	for i, u := range updates {
		results[i].ID = u.ID
		out, empty, err := c.ticketOut(u)
		switch {
		case err != nil:
			results[i].Err = err
		case empty:
		case !u.UpdatedStamp.IsZero():
			results[i].Err = c.safeUpdate(ctx, u, out)
		default:
			out.ID = u.ID
			batch = append(batch, batchItem{index: i, out: out})
		}
	}
	var jobs []pendingJob
	for chunk := range slices.Chunk(batch, maxUpdateMany) {
		j, err := c.submit(ctx, chunk)
		if err != nil {
			for _, it := range chunk {
				results[it.index].Err = err
			}
			continue
		}
		jobs = append(jobs, j)
	}
	if len(jobs) > 0 {
		c.follow(ctx, jobs, updates, results)
	}
	return results, nil
}

// ticketOut builds the request for u; empty reports that u changes nothing.
func (c *Client) ticketOut(u engine.TicketUpdate) (out ticketOut, empty bool, err error) {
	out = ticketOut{AdditionalTags: u.AddTags, RemoveTags: u.RemoveTags}
	if u.StatusField != nil {
		if c.statusFld == 0 {
			return out, false, &Error{Op: fmt.Sprintf("update ticket %d", u.ID),
				Message: "a status field value was given but StatusFieldID is not configured", kind: engine.ErrPermanent}
		}
		f := fieldOut{ID: c.statusFld}
		if *u.StatusField != "" {
			f.Value = u.StatusField
		}
		out.CustomFields = []fieldOut{f}
	}
	if u.Note != "" {
		out.Comment = &commentOut{Body: u.Note, Public: false, AuthorID: c.noteAuthor}
	}
	if u.Reopen {
		out.Status = string(engine.StatusOpen)
	}
	if u.Status != "" {
		out.Status = string(u.Status)
	}
	if u.AssigneeID != nil {
		id := nullID(*u.AssigneeID)
		out.AssigneeID = &id
	}
	if u.GroupID != nil {
		id := nullID(*u.GroupID)
		out.GroupID = &id
	}
	empty = len(out.AdditionalTags) == 0 && len(out.RemoveTags) == 0 && out.CustomFields == nil &&
		out.Comment == nil && out.Status == "" && out.AssigneeID == nil && out.GroupID == nil
	return out, empty, nil
}

// safeUpdate writes one ticket only if it has not changed since
// u.UpdatedStamp; Zendesk answers 409 otherwise
// ([ZD-CU] #protecting-against-ticket-update-collisions).
func (c *Client) safeUpdate(ctx context.Context, u engine.TicketUpdate, out ticketOut) error {
	out.SafeUpdate = true
	out.UpdatedStamp = u.UpdatedStamp.UTC().Format(time.RFC3339)
	op := fmt.Sprintf("update ticket %d", u.ID)
	body, err := c.api.Put(ctx, fmt.Sprintf("/tickets/%d.json", u.ID), map[string]ticketOut{"ticket": out})
	if err != nil {
		return requestError(op, err)
	}
	var resp struct {
		Ticket struct {
			ID int64 `json:"id"`
		} `json:"ticket"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || resp.Ticket.ID != u.ID {
		// The write may or may not have happened; retrying is safe because
		// the engine recomputes the difference.
		return decodeError(op, body, err)
	}
	return nil
}

// pendingJob is an update_many job and the updates it carries.
type pendingJob struct {
	id      string
	indexes []int
	started time.Time
}

// batchItem is an update bound for update_many: its index in the caller's
// updates and its request entry.
type batchItem struct {
	index int
	out   ticketOut
}

// submit sends one batch update_many and returns its queued job.
func (c *Client) submit(ctx context.Context, items []batchItem) (pendingJob, error) {
	tickets := make([]ticketOut, len(items))
	ids := make([]int64, len(items))
	indexes := make([]int, len(items))
	for k, it := range items {
		tickets[k], ids[k], indexes[k] = it.out, it.out.ID, it.index
	}
	op := "update tickets " + joinIDs(ids)
	if slices.ContainsFunc(items, func(it batchItem) bool { return it.out.Comment != nil }) {
		// A note appends: resent after a 5xx whose job Zendesk may have
		// queued, it would be posted twice. The transport still resends
		// after 429 and 503, where Zendesk did nothing; otherwise the
		// tickets fail retryably and the engine checks HasNote first.
		ctx = connectors.WithNotIdempotent(ctx)
	}
	body, err := c.api.Put(ctx, "/tickets/update_many.json", map[string][]ticketOut{"tickets": tickets})
	if err != nil {
		return pendingJob{}, requestError(op, err)
	}
	var resp struct {
		JobStatus jobWire `json:"job_status"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || resp.JobStatus.ID == "" {
		return pendingJob{}, decodeError(op, body, err)
	}
	c.log.Debug("zendesk update job queued", zap.String("job", resp.JobStatus.ID), zap.Int("tickets", len(items)))
	return pendingJob{id: resp.JobStatus.ID, indexes: indexes, started: time.Now()}, nil
}

package zendesk

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	zd "github.com/nukosuke/go-zendesk/zendesk"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// showManyLimit is the most ids show_many takes ("up to 100", notes.md §3).
const showManyLimit = 100

// Tickets reads tickets by id with show_many, 100 per request, with their
// users sideloaded for the requesters' locales. Ids that do not exist (or
// are deleted) are absent from the result.
func (c *Client) Tickets(ctx context.Context, ids []int64) ([]engine.Ticket, error) {
	var out []engine.Ticket
	for chunk := range slices.Chunk(uniqueIDs(ids), showManyLimit) {
		op := "read tickets " + joinIDs(chunk)
		body, err := c.api.Get(ctx, "/tickets/show_many.json?include=users&ids="+joinIDs(chunk))
		if err != nil {
			return nil, requestError(op, err)
		}
		var page struct {
			Tickets []ticketWire `json:"tickets"`
			Users   []userWire   `json:"users"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, decodeError(op, body, err)
		}
		users := locales(page.Users)
		for i := range page.Tickets {
			out = append(out, c.ticket(&page.Tickets[i], users))
		}
	}
	return out, nil
}

// Organizations reads organizations by id with show_many, 100 per request;
// Tier is the value of the TierField organization field.
func (c *Client) Organizations(ctx context.Context, ids []int64) ([]engine.Organization, error) {
	var out []engine.Organization
	for chunk := range slices.Chunk(uniqueIDs(ids), showManyLimit) {
		op := "read organizations " + joinIDs(chunk)
		body, err := c.api.Get(ctx, "/organizations/show_many.json?ids="+joinIDs(chunk))
		if err != nil {
			return nil, requestError(op, err)
		}
		var page struct {
			Organizations []organizationWire `json:"organizations"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, decodeError(op, body, err)
		}
		for i := range page.Organizations {
			out = append(out, c.organization(&page.Organizations[i]))
		}
	}
	return out, nil
}

// HasNote reports whether any comment of the ticket contains marker,
// reading every page of its comments (cursor pagination, 100 per page).
func (c *Client) HasNote(ctx context.Context, ticketID int64, marker string) (bool, error) {
	opts := &zd.ListTicketCommentsOptions{CursorPagination: zd.CursorPagination{PageSize: zd.ListTicketCommentsMaxPageSize}}
	for page := 1; ; page++ {
		op := fmt.Sprintf("list comments of ticket %d (page %d)", ticketID, page)
		res, err := c.api.ListTicketComments(ctx, ticketID, opts)
		if err != nil {
			// go-zendesk decodes this body itself: besides API errors, err
			// may be a transport failure or a body that is not JSON.
			return false, requestError(op, err)
		}
		for _, cm := range res.TicketComments {
			if strings.Contains(cm.Body, marker) || strings.Contains(cm.PlainBody, marker) {
				return true, nil
			}
		}
		if !res.Meta.HasMore {
			return false, nil
		}
		if res.Meta.AfterCursor == "" || res.Meta.AfterCursor == opts.PageAfter {
			return false, &Error{Op: op, Message: "has_more without a new after_cursor"}
		}
		opts.PageAfter = res.Meta.AfterCursor
	}
}

func uniqueIDs(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func joinIDs(ids []int64) string {
	b := make([]byte, 0, len(ids)*12)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

package zendesk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// exportWire is a page of the cursor-based incremental ticket export
// (CursorBasedExportIncrementalTicketsResponse, notes.md §1).
type exportWire struct {
	Tickets       []ticketWire       `json:"tickets"`
	Users         []userWire         `json:"users"`
	Organizations []organizationWire `json:"organizations"`
	AfterCursor   string             `json:"after_cursor"`
	EndOfStream   bool               `json:"end_of_stream"`
}

// ChangedTickets streams the incremental ticket export from cursor (or from
// StartTime when cursor is ""), one page per call of handle, with the
// page's organizations and users sideloaded (users for the requesters'
// locales, so no request per requester). It returns when the stream reports
// end_of_stream, when handle fails (with handle's error) or when a request
// fails. The next page is read while handle works on the last one, so a
// backfill waits for neither alone; the cursor a page carries is still
// only handed over with that page.
func (c *Client) ChangedTickets(ctx context.Context, cursor string, handle func(context.Context, engine.TicketPage) error) error {
	rctx, cancel := context.WithCancel(ctx)
	pages := make(chan exportPage) // unbuffered: one page read ahead
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(pages)
		c.readExport(rctx, cursor, pages)
	}()
	defer func() {
		cancel() // a page read ahead of a failed handle is dropped unread
		<-done
	}()
	for p := range pages {
		if p.err != nil {
			return p.err
		}
		if err := handle(ctx, p.page); err != nil {
			return err
		}
	}
	return nil
}

// exportPage is a page of the export as read, or the error that ended it.
type exportPage struct {
	page engine.TicketPage
	err  error
}

// readExport reads the export from cursor onto pages until end_of_stream,
// an error (sent as the last page) or ctx's end.
func (c *Client) readExport(ctx context.Context, cursor string, pages chan<- exportPage) {
	started := time.Now()
	total := 0
	send := func(p exportPage) bool {
		select {
		case pages <- p:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for page := 1; ; page++ {
		// per_page and include go with every request: whether a cursor
		// carries them over is undocumented (notes.md §1).
		q := url.Values{"per_page": {strconv.Itoa(c.pageSize)}, "include": {"users,organizations"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		} else {
			q.Set("start_time", strconv.FormatInt(c.exportStart(), 10))
		}
		op := fmt.Sprintf("export tickets page %d", page)
		body, err := c.api.Get(ctx, "/incremental/tickets/cursor.json?"+q.Encode())
		if err != nil {
			send(exportPage{err: requestError(op, err)})
			return
		}
		p, err := c.decodeExport(op, body)
		if err == nil && p.Cursor == "" {
			err = &Error{Op: op, Message: "response has no after_cursor"}
		}
		if err != nil {
			send(exportPage{err: err})
			return
		}
		total += len(p.Tickets)
		level := zap.DebugLevel
		if len(p.Tickets) > 0 {
			level = zap.InfoLevel
		}
		c.log.Log(level, "zendesk export page", zap.Int("page", page), zap.Int("tickets", len(p.Tickets)),
			zap.Int("organizations", len(p.Organizations)), zap.Bool("end_of_stream", p.Done),
			zap.Int("tickets_total", total),
			zap.Float64("tickets_per_second", float64(total)/max(time.Since(started).Seconds(), 1e-3)))
		if !send(exportPage{page: p}) || p.Done {
			return
		}
		if p.Cursor == cursor && len(p.Tickets) == 0 {
			send(exportPage{err: &Error{Op: op, Message: "stream made no progress: same after_cursor, no tickets, not at end_of_stream"}})
			return
		}
		cursor = p.Cursor
	}
}

func (c *Client) decodeExport(op string, body []byte) (engine.TicketPage, error) {
	var w exportWire
	if err := json.Unmarshal(body, &w); err != nil {
		return engine.TicketPage{}, decodeError(op, body, err)
	}
	p := engine.TicketPage{Tickets: make([]engine.Ticket, len(w.Tickets)), Cursor: w.AfterCursor, Done: w.EndOfStream}
	users := locales(w.Users)
	for i := range w.Tickets {
		p.Tickets[i] = c.ticket(&w.Tickets[i], users)
	}
	if len(w.Organizations) > 0 {
		p.Organizations = make([]engine.Organization, len(w.Organizations))
		for i := range w.Organizations {
			p.Organizations[i] = c.organization(&w.Organizations[i])
		}
	}
	return p, nil
}

// exportStart is the start_time of a first export. Zendesk refuses one
// less than a minute old (422 "Too recent start_time"), so a StartTime in
// the last minute starts a minute earlier: more tickets, none missed.
func (c *Client) exportStart() int64 {
	latest := c.now().Add(-time.Minute - time.Second).Unix()
	if c.startTime.IsZero() {
		return 0
	}
	return max(0, min(c.startTime.Unix(), latest))
}

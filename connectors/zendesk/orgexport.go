package zendesk

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// orgExportWire is a page of the time-based organization export
// (ExportIncrementalOrganizationsResponse, incremental.openapi.yml).
// next_page is the same request from end_time, which is how the next page
// is asked for here.
type orgExportWire struct {
	Organizations []organizationWire `json:"organizations"`
	EndTime       int64              `json:"end_time"`
	EndOfStream   bool               `json:"end_of_stream"`
}

// ChangedOrganizations reads the incremental organization export from
// since, one page per call of handle, until end_of_stream. Zendesk refuses
// a start_time less than a minute old (as on the ticket export), so a
// since in the last minute starts a minute earlier: organizations seen
// twice, none missed. Each page's end_time, the updated_at of its last
// organization, starts the next, so organizations of that second come
// again. Organizations decode as the ticket export's sideloads do, numeric
// field values included.
func (c *Client) ChangedOrganizations(ctx context.Context, since time.Time, handle func(context.Context, engine.OrganizationPage) error) error {
	start := max(0, min(since.Unix(), c.now().Add(-time.Minute-time.Second).Unix()))
	for page := 1; ; page++ {
		op := fmt.Sprintf("export organizations from %d (page %d)", start, page)
		body, err := c.api.Get(ctx, "/incremental/organizations.json?start_time="+strconv.FormatInt(start, 10))
		if err != nil {
			return requestError(op, err)
		}
		var w orgExportWire
		if err := json.Unmarshal(body, &w); err != nil {
			return decodeError(op, body, err)
		}
		next := w.EndTime
		if !w.EndOfStream && w.EndTime <= start {
			// More organizations changed in one second than a page holds:
			// asking from end_time again would return the same page for
			// ever. This page's organizations count; the rest of that
			// second's are seen with their next ticket change or when
			// their cache entry expires, which beats never moving again.
			next = start + 1
			c.log.Warn("zendesk organization export: more organizations changed in one second than a page holds; going on from the next second",
				zap.Time("second", time.Unix(start, 0).UTC()), zap.Int("organizations", len(w.Organizations)))
		}
		p := engine.OrganizationPage{Cursor: time.Unix(max(next, start), 0).UTC(), Done: w.EndOfStream}
		for i := range w.Organizations {
			p.Organizations = append(p.Organizations, c.organization(&w.Organizations[i]))
		}
		c.log.Debug("zendesk organization export page", zap.Int("page", page), zap.Int64("start_time", start),
			zap.Int("organizations", len(p.Organizations)), zap.Int64("end_time", w.EndTime), zap.Bool("end_of_stream", w.EndOfStream))
		if err := handle(ctx, p); err != nil {
			return err
		}
		if p.Done {
			return nil
		}
		start = next
	}
}

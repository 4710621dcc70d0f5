package state

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// orgPage is the JSON argument of org_page.lua. Cursor and Checked are
// unix nanoseconds, nil to leave them as they are.
type orgPage struct {
	Orgs    []recordWire `json:"orgs,omitempty"`
	OrgTTL  int64        `json:"orgTTL"`
	Cursor  *string      `json:"cursor,omitempty"`
	Checked *string      `json:"checked,omitempty"`
}

// OrganizationExport reads the organization export's position (the
// org-export hash); zero times before the first pass.
func (s *Store) OrganizationExport(ctx context.Context) (engine.OrganizationExport, error) {
	vals, err := s.c.HMGet(ctx, s.key("org-export"), "cursor", "checked").Result()
	if err != nil {
		return engine.OrganizationExport{}, fmt.Errorf("state: read the organization export's position: %w", err)
	}
	times := make([]time.Time, 2)
	for i, name := range []string{"cursor", "checked"} {
		v, ok := vals[i].(string)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return engine.OrganizationExport{}, fmt.Errorf("state: organization export %s holds %q: %w", name, v, err)
		}
		times[i] = fromNanos(n)
	}
	return engine.OrganizationExport{Cursor: times[0], Checked: times[1]}, nil
}

// CommitOrganizationPage applies one page of the organization export in
// one script (org_page.lua, with lib.lua's recordOrgs, which the ticket
// page's organizations go through too).
func (s *Store) CommitOrganizationPage(ctx context.Context, c engine.OrganizationPageCommit) (int, error) {
	page := orgPage{OrgTTL: s.orgTTL.Milliseconds()}
	for _, o := range c.Organizations {
		page.Orgs = append(page.Orgs, recordWire{ID: formatID(o.ID), Rec: s.encodeOrg(o, c.Now)})
	}
	if !c.Cursor.IsZero() {
		v := strconv.FormatInt(nanos(c.Cursor), 10)
		page.Cursor = &v
	}
	if !c.Checked.IsZero() {
		v := strconv.FormatInt(nanos(c.Checked), 10)
		page.Checked = &v
	}
	n, err := s.run(ctx, orgPageScript, c.Now, mustJSON(page)).Int()
	if err != nil {
		return 0, fmt.Errorf("state: commit organization page of %d organizations: %w", len(c.Organizations), err)
	}
	return n, nil
}

package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// orgExport is the route of Zendesk's incremental organization export.
const orgExport = "/api/v2/incremental/organizations"

// An organization's arr grows from 10k to 500k with none of its tickets
// changing: the next read of the organization export, one request per
// sync.organization_check_interval, counts it on the bug it waits on,
// whose revenue threshold raises it. An interval with no change costs
// that one request and no write.
func TestRevenueFollowsAnOrganizationWithoutTicketChanges(t *testing.T) {
	e := newEnv(t, withRevenue)
	b := e.Bug("PROJ", "Low")
	e.revenueOrg(101, "free", 10000)
	e.revenueOrg(102, "free", 20000)
	e.Ticket(101, b.Key)
	e.Ticket(102, b.Key)
	e.settle()
	e.expectIssue(b.Key, "Low", 2)
	e.expectRevenue(b.Key, 30000)

	e.ResetLogs()
	e.Zendesk.SetOrganizationField(101, "arr", 500000)
	e.Clock.Advance(e.Config.Sync.OrganizationCheckInterval)
	e.settle()
	e.expectRevenue(b.Key, 520000)
	e.expectIssue(b.Key, "High", 2)
	if n := e.Zendesk.Count(http.MethodGet, orgExport); n != 1 {
		t.Fatalf("%d organization export requests in the interval, want 1", n)
	}
	if n := e.Zendesk.Count(http.MethodGet, "/api/v2/incremental/tickets/cursor"); n == 0 {
		t.Fatal("no ticket export: the cycles did not run")
	}

	e.ResetLogs()
	e.Clock.Advance(e.Config.Sync.OrganizationCheckInterval)
	e.settle()
	e.expectWrites(map[string]int{})
	if n := e.Zendesk.Count(http.MethodGet, orgExport); n != 1 {
		t.Fatalf("%d organization export requests in a quiet interval, want 1", n)
	}
}

// Neither tiers nor revenue counting, the export is never read.
func TestNoOrganizationExportWhereNothingCountsOrganizations(t *testing.T) {
	e := newEnv(t, func(o *servicetest.Options) { o.Config["POLICY_TIER_WEIGHTS"] = "" })
	b := e.Bug("PROJ", "Low")
	e.revenueOrg(101, "enterprise", 10000)
	e.Ticket(101, b.Key)
	e.settle()
	for range 3 {
		e.Clock.Advance(time.Hour)
		e.settle()
	}
	if n := e.Zendesk.Count(http.MethodGet, orgExport); n != 0 {
		t.Fatalf("%d organization export requests, want none", n)
	}
}

package zendesk

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func collectOrgs(t *testing.T, c *Client, since time.Time) []engine.OrganizationPage {
	t.Helper()
	var pages []engine.OrganizationPage
	err := c.ChangedOrganizations(context.Background(), since, func(_ context.Context, p engine.OrganizationPage) error {
		pages = append(pages, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// The export pages through a thousand organizations at a time, each page
// starting at the last one's end_time; numeric field values decode, and a
// since within the last minute reads from a minute ago.
func TestChangedOrganizationsPagesAndDecodes(t *testing.T) {
	srv, c := newPair(t, func(o *Options) { o.RevenueField = "arr" })
	now := time.Now().UTC().Truncate(time.Second)
	base := now.Add(-2 * time.Hour)
	for i := int64(1); i <= 1001; i++ {
		srv.SetNow(base.Add(time.Duration(i) * time.Second))
		srv.AddOrganization(zendesktest.Organization{ID: i, Name: "Org", Fields: map[string]any{"tier": "pro", "arr": i * 1000}})
	}
	srv.SetNow(now.Add(-30 * time.Second))
	srv.SetOrganizationField(7, "arr", 500000.5)
	srv.SetNow(now)

	pages := collectOrgs(t, c, base)
	if len(pages) != 2 || len(pages[0].Organizations) != 1000 || pages[0].Done || !pages[1].Done {
		t.Fatalf("%d pages", len(pages))
	}
	if want := base.Add(1001 * time.Second); !pages[0].Cursor.Equal(want) {
		t.Fatalf("first cursor %v, want %v", pages[0].Cursor, want)
	}
	var ids []int64
	for _, o := range pages[1].Organizations {
		ids = append(ids, o.ID)
	}
	// 7, edited 30s ago, left the first page for the second, after 1001
	// again (its second starts the page).
	if len(ids) != 2 || ids[0] != 1001 || ids[1] != 7 || !pages[1].Cursor.Equal(now.Add(-30*time.Second)) {
		t.Fatalf("second page %v, cursor %v", ids, pages[1].Cursor)
	}
	if o := pages[1].Organizations[1]; o.Revenue != 500000.5 || o.Tier != "pro" {
		t.Fatalf("organization 7: %+v", o)
	}
	if o := pages[0].Organizations[40]; o.ID != 42 || o.Revenue != 42000 {
		t.Fatalf("organization 42: %+v", o)
	}

	recent := collectOrgs(t, c, now)
	if len(recent) != 1 || len(recent[0].Organizations) != 1 || recent[0].Organizations[0].ID != 7 {
		t.Fatalf("since now: %+v", recent)
	}
}

func TestChangedOrganizationsErrors(t *testing.T) {
	srv, c := newPair(t, nil)
	srv.SetNow(time.Now().Add(-time.Hour))
	srv.AddOrganization(zendesktest.Organization{ID: 1})
	srv.SetNow(time.Now())
	srv.Inject(zendesktest.Fault{Status: 503, Path: "/api/v2/incremental/organizations"})
	err := c.ChangedOrganizations(context.Background(), time.Now().Add(-2*time.Hour), func(context.Context, engine.OrganizationPage) error {
		t.Fatal("handle called on a failed page")
		return nil
	})
	var ze *Error
	if !errors.As(err, &ze) || ze.Status != 503 || !strings.Contains(err.Error(), "export organizations from") {
		t.Fatalf("error %v", err)
	}
	stop := errors.New("stop")
	if err := c.ChangedOrganizations(context.Background(), time.Now().Add(-2*time.Hour), func(context.Context, engine.OrganizationPage) error {
		return stop
	}); !errors.Is(err, stop) {
		t.Fatalf("handle's error: %v", err)
	}

	// More organizations changed in one second than a page holds: asking
	// from end_time again would return the same page for ever, so the
	// export takes that page and goes on from the next second.
	crowd := time.Now().Add(-time.Hour).Truncate(time.Second)
	srv.SetNow(crowd)
	for i := int64(2); i <= 1002; i++ {
		srv.AddOrganization(zendesktest.Organization{ID: i})
	}
	srv.SetNow(crowd.Add(time.Minute))
	srv.SetOrganizationField(5, "tier", "enterprise")
	srv.SetNow(time.Now())
	pages := collectOrgs(t, c, crowd)
	if len(pages) < 2 || len(pages[0].Organizations) != 1000 || !pages[0].Cursor.Equal(crowd.Add(time.Second)) {
		t.Fatalf("a page that cannot move on: %d pages, first cursor %v", len(pages), pages[0].Cursor)
	}
	last := pages[len(pages)-1]
	if !last.Done || len(last.Organizations) == 0 || last.Organizations[len(last.Organizations)-1].ID != 5 {
		t.Fatalf("after the crowded second: %+v", last)
	}
}

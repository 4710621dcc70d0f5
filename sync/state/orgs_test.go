package state

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// A page of the organization export goes through the same recording as a
// ticket page's organizations: the bugs an organization waits on are due
// when its tier or revenue changed. Organizations no bug waits on cost no
// memory they did not cost before, and the export's position moves with
// the page.
func TestCommitOrganizationPage(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	if _, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{Now: t0, Organizations: []engine.Organization{
		{ID: 1, Name: "Acme", Revenue: 10000}, {ID: 2, Name: "Globex"}, {ID: 4, Name: "Initech"},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Del(ctx, s.key("org:", "4")).Err(); err != nil { // its cache expired
		t.Fatal(err)
	}
	st := standing(engine.CategoryToDo, 1, 1, map[int64]time.Time{1: t0})
	if err := s.SetBugMemory(ctx, "10", engine.BugMemory{}, st); err != nil {
		t.Fatal(err)
	}
	drain(t, s, engine.BugQueue)

	x, err := s.OrganizationExport(ctx)
	if err != nil || !x.Cursor.IsZero() || !x.Checked.IsZero() {
		t.Fatalf("position before the first pass: %+v, %v", x, err)
	}
	cursor, checked := t0.Add(-time.Minute), t0.Add(time.Second)
	n, err := s.CommitOrganizationPage(ctx, engine.OrganizationPageCommit{Now: t0, Cursor: cursor, Checked: checked,
		Organizations: []engine.Organization{
			{ID: 1, Name: "Acme", Revenue: 500000},
			{ID: 2, Name: "Globex", Tier: "enterprise"},
			{ID: 3, Name: "Unknown", Revenue: 7},
			{ID: 4, Name: "Initech", Revenue: 3},
		}})
	if err != nil || n != 1 {
		t.Fatalf("marked %d, %v; want 1", n, err)
	}
	if got := due(t, s, engine.BugQueue); !slices.Equal(got, []string{"10"}) {
		t.Fatalf("due %v, want 10", got)
	}
	cached, err := s.Organizations(ctx, []int64{1, 2, 3, 4}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cached) != 2 || cached[1].Revenue != 500000 || cached[2].Tier != "enterprise" {
		t.Fatalf("cached %+v: want 1 and 2 refreshed, 3 and 4 not cached", cached)
	}
	names, err := s.OrganizationNames(ctx, []int64{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := names[3]; ok || names[4].Revenue != 3 || names[1].Revenue != 500000 {
		t.Fatalf("names %+v: want 1, 2 and 4 renamed, 3 left out", names)
	}
	if x, err = s.OrganizationExport(ctx); err != nil || !x.Cursor.Equal(cursor) || !x.Checked.Equal(checked) {
		t.Fatalf("position %+v, %v; want cursor %v checked %v", x, err, cursor, checked)
	}

	// Seen again unchanged, nothing is due; a page without times leaves
	// the position.
	drain(t, s, engine.BugQueue)
	if n, err := s.CommitOrganizationPage(ctx, engine.OrganizationPageCommit{Now: t0,
		Organizations: []engine.Organization{{ID: 1, Name: "Acme", Revenue: 500000}}}); err != nil || n != 0 {
		t.Fatalf("unchanged: marked %d, %v", n, err)
	}
	if got := due(t, s, engine.BugQueue); len(got) != 0 {
		t.Fatalf("due %v after an unchanged organization", got)
	}
	if x, err = s.OrganizationExport(ctx); err != nil || !x.Cursor.Equal(cursor) || !x.Checked.Equal(checked) {
		t.Fatalf("position moved: %+v, %v", x, err)
	}
}

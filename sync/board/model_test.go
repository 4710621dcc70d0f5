package board

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

// seed is a small board: four bugs customers wait on, one they no longer do.
//
//	PROJ-9   To Do        Highest  101 enterprise, 102 enterprise, 302 free  → 11 (3)
//	PROJ-10  In Progress  High     201, 202, 203 pro (raised by the service)   → 6 (3)
//	PROJ-1   To Do        Medium   101 enterprise, 301 free                    → 6 (2)
//	WEB-2    Done         Low      401 (no tier), stale                         → 1 (1)
//	WEB-3    To Do        Low      only solved tickets                          → not on the board
func seed(t testing.TB) *fixture {
	f := newFixture(t)
	b9 := bugRec("9", "PROJ-9", "To Do", engine.CategoryToDo, "Highest")
	b9.LastActivity = now.Add(-10 * 24 * time.Hour)
	f.bug(b9, waiter{org: 101, open: true}, waiter{org: 102, open: true}, waiter{org: 302, open: true})
	f.bug(bugRec("10", "PROJ-10", "In Progress", engine.CategoryInProgress, "High"),
		waiter{org: 201, open: true}, waiter{org: 202, open: true}, waiter{org: 203, open: true}, waiter{org: 203, open: true})
	f.raise("10", "High")
	b1 := bugRec("1", "PROJ-1", "To Do", engine.CategoryToDo, "Medium")
	b1.LastActivity = now.Add(-time.Hour)
	f.bug(b1, waiter{org: 101, open: true}, waiter{org: 301, open: true}, waiter{org: 301, open: false})
	w2 := bugRec("2", "WEB-2", "Done", engine.CategoryDone, "Low")
	w2.Stale = engine.StaleFlag{Flagged: true, Episode: 1, Since: now.Add(-5 * 24 * time.Hour), Idle: 20 * 24 * time.Hour}
	w2.LastActivity = now.Add(-30 * 24 * time.Hour)
	f.bug(w2, waiter{org: 401, open: true})
	f.bug(bugRec("3", "WEB-3", "To Do", engine.CategoryToDo, "Low"), waiter{org: 101, open: false})
	return f
}

// raise records that the service set the bug's priority, as the
// reconciler's memory does after a bump.
func (f *fixture) raise(id, target string) {
	f.t.Helper()
	mems, stands, err := f.store.BugMemories(f.ctx, []string{id})
	if err != nil {
		f.t.Fatal(err)
	}
	m := mems[id]
	m.Bump = engine.Pending{Seq: 1, Target: target, Phase: engine.PhaseDone}
	if err := f.store.SetBugMemory(f.ctx, id, m, stands[id]); err != nil {
		f.t.Fatal(err)
	}
}

func keys(bugs []Bug) []string {
	out := make([]string, len(bugs))
	for i, b := range bugs {
		out[i] = b.Key
	}
	return out
}

func TestBugsRankFilterSortPage(t *testing.T) {
	m := seed(t).model()
	tests := []struct {
		query string
		want  []string
		total int
	}{
		{"", []string{"PROJ-9", "PROJ-10", "PROJ-1", "WEB-2"}, 4},
		{"project=WEB", []string{"WEB-2"}, 1},
		{"category=indeterminate", []string{"PROJ-10"}, 1},
		{"category=new&project=PROJ", []string{"PROJ-9", "PROJ-1"}, 2},
		{"tier=enterprise", []string{"PROJ-9", "PROJ-1"}, 2},
		{"tier=gold", nil, 0},
		{"stale=yes", []string{"WEB-2"}, 1},
		{"stale=no", []string{"PROJ-9", "PROJ-10", "PROJ-1"}, 3},
		{"sort=key", []string{"PROJ-1", "PROJ-9", "PROJ-10", "WEB-2"}, 4},
		{"sort=key&dir=desc", []string{"PROJ-10", "PROJ-9", "PROJ-1", "WEB-2"}, 4},
		{"sort=priority", []string{"PROJ-9", "PROJ-10", "PROJ-1", "WEB-2"}, 4},
		{"sort=status", []string{"PROJ-9", "PROJ-1", "PROJ-10", "WEB-2"}, 4},
		{"sort=customers", []string{"PROJ-9", "PROJ-10", "PROJ-1", "WEB-2"}, 4},
		{"sort=customers&dir=asc", []string{"PROJ-1", "PROJ-9", "PROJ-10", "WEB-2"}, 4},
		{"sort=open", []string{"PROJ-10", "PROJ-9", "PROJ-1", "WEB-2"}, 4},
		{"sort=age", []string{"PROJ-9", "PROJ-10", "PROJ-1", "WEB-2"}, 4},
		{"sort=rank&dir=desc", []string{"PROJ-1", "PROJ-10", "PROJ-9", "WEB-2"}, 4},
		{"per_page=3&page=2", []string{"WEB-2"}, 4},
		{"per_page=3&page=9", nil, 4},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			v, _ := url.ParseQuery(tt.query)
			q, err := ParseQuery(v)
			if err != nil {
				t.Fatal(err)
			}
			list, err := m.Bugs(context.Background(), q, TicketsShown)
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(list.Bugs); !slices.Equal(got, tt.want) || list.Total != tt.total {
				t.Fatalf("bugs %v (total %d), want %v (total %d)", got, list.Total, tt.want, tt.total)
			}
		})
	}
}

func TestBugRow(t *testing.T) {
	m := seed(t).model()
	list, err := m.Bugs(context.Background(), Query{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(list.Projects, []string{"PROJ", "WEB"}) || !slices.Equal(list.Tiers, []string{"enterprise", "pro", "free"}) {
		t.Errorf("filter values: projects %v, tiers %v", list.Projects, list.Tiers)
	}
	by := map[string]Bug{}
	for _, b := range list.Bugs {
		by[b.Key] = b
	}
	p10 := by["PROJ-10"]
	if p10.Rank != 2 || !p10.PriorityRaised || p10.Customers != 3 || p10.Weighted != 6 || p10.OpenTickets != 4 ||
		p10.ByTier.Count("pro") != 3 || p10.TicketCount != 4 || p10.URL != "https://acme.atlassian.net/browse/PROJ-10" {
		t.Errorf("PROJ-10 %+v", p10)
	}
	if by["PROJ-9"].PriorityRaised {
		t.Error("PROJ-9's priority shown as raised by the service")
	}
	// The newest two tickets, with their agent URLs; names are off.
	if got := p10.Tickets; len(got) != 2 || got[0].ID <= got[1].ID || got[0].URL == "" || !got[0].Open || got[0].Subject != "" {
		t.Errorf("PROJ-10 tickets %+v", got)
	}
	w2 := by["WEB-2"]
	if !w2.Stale || w2.StaleSince == nil || !w2.StaleSince.Equal(now.Add(-5*24*time.Hour)) || w2.Category != engine.CategoryDone {
		t.Errorf("WEB-2 %+v", w2)
	}
	p1 := by["PROJ-1"]
	if len(p1.Tickets) != 2 || p1.TicketCount != 3 {
		t.Errorf("PROJ-1 shows %d of %d tickets", len(p1.Tickets), p1.TicketCount)
	}
	all, _ := m.Bugs(context.Background(), Query{}, AllTickets)
	for _, b := range all.Bugs {
		if len(b.Tickets) != b.TicketCount {
			t.Errorf("%s: %d of %d tickets with no limit", b.Key, len(b.Tickets), b.TicketCount)
		}
	}
	none, _ := m.Bugs(context.Background(), Query{}, 0)
	for _, b := range none.Bugs {
		if len(b.Tickets) != 0 || b.TicketCount == 0 {
			t.Errorf("%s: %d tickets listed (of %d) when none were asked for", b.Key, len(b.Tickets), b.TicketCount)
		}
	}
}

func TestCustomers(t *testing.T) {
	f := seed(t)
	tests := []struct {
		name  string
		names bool
		query string
		want  []int64 // organizations in order
	}{
		{"most bugs first, then by id", false, "", []int64{101, 102, 201, 202, 203, 301, 302, 401}},
		{"a tier", false, "tier=pro", []int64{201, 202, 203}},
		{"longest waiting first", false, "sort=wait", []int64{202, 201, 102, 101, 401, 302, 203, 301}},
		{"by name", true, "sort=name&dir=desc", []int64{401, 302, 301, 203, 202, 201, 102, 101}},
		{"paged", false, "per_page=3&page=3", []int64{302, 401}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := f.model(func(o *Options) { o.ShowCustomerNames = tt.names })
			v, _ := url.ParseQuery(tt.query)
			q, err := ParseCustomerQuery(v)
			if err != nil {
				t.Fatal(err)
			}
			list, err := m.Customers(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, c := range list.Customers {
				got = append(got, c.ID)
				if (c.Name != "") != tt.names {
					t.Errorf("organization %d named %q with names shown %v", c.ID, c.Name, tt.names)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("organizations %v, want %v", got, tt.want)
			}
		})
	}
	list, _ := f.model().Customers(context.Background(), CustomerQuery{})
	for _, c := range list.Customers {
		if c.ID != 101 {
			continue
		}
		// 101 waits on PROJ-9 and PROJ-1, not on WEB-3 whose ticket is solved.
		if len(c.Bugs) != 2 || c.Tier != "enterprise" || c.Bugs[0].Since.After(c.Bugs[1].Since) {
			t.Fatalf("organization 101 %+v", c)
		}
	}
}

// The read models are read once per MaxAge, however many requests come.
func TestSnapshotIsShared(t *testing.T) {
	f := seed(t)
	src := &countingSource{Source: f.store}
	clock := now
	m := NewModel(src, Options{MaxAge: 10 * time.Second, Clock: func() time.Time { return clock }})
	for range 5 {
		if _, err := m.Bugs(context.Background(), Query{}, 1); err != nil {
			t.Fatal(err)
		}
	}
	if src.ranked != 1 {
		t.Fatalf("ranking read %d times for 5 requests within MaxAge", src.ranked)
	}
	clock = clock.Add(11 * time.Second)
	if _, err := m.Customers(context.Background(), CustomerQuery{}); err != nil {
		t.Fatal(err)
	}
	if src.ranked != 2 {
		t.Fatalf("ranking read %d times, want a fresh read after MaxAge", src.ranked)
	}
}

type countingSource struct {
	Source
	ranked int
	fail   error
}

func (c *countingSource) RankedBugs(ctx context.Context) ([]state.Ranked, error) {
	c.ranked++
	if c.fail != nil {
		return nil, c.fail
	}
	return c.Source.RankedBugs(ctx)
}

func TestSourceErrorsAreReturned(t *testing.T) {
	src := &countingSource{Source: newFixture(t).store, fail: errors.New("redis: connection refused")}
	m := NewModel(src, Options{})
	if _, err := m.Bugs(context.Background(), Query{}, 1); err == nil || err.Error() != "redis: connection refused" {
		t.Fatalf("error %v", err)
	}
}

func TestEmptyBoard(t *testing.T) {
	m := newFixture(t).model()
	list, err := m.Bugs(context.Background(), Query{}, TicketsShown)
	if err != nil || list.Total != 0 || len(list.Bugs) != 0 || list.Pages() != 1 {
		t.Fatalf("empty board: %+v %v", list, err)
	}
	c, err := m.Chart(context.Background())
	if err != nil || c.Points != 1 || c.Max != 2 {
		t.Fatalf("empty chart: %+v %v", c, err)
	}
}

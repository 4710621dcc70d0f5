package board

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// revenueFixture is one bug two organizations wait on, with the revenue
// the engine would have counted for it: 120,000.50 EUR.
func revenueFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.bug(bugRec("1", "PROJ-1", "To Do", engine.CategoryToDo, "High"), waiter{org: 101, open: true}, waiter{org: 201, open: true})
	orgs := []engine.Organization{{ID: 101, Name: "Org 101", Tier: "enterprise", Revenue: 100000.5}, {ID: 201, Name: "Org 201", Tier: "pro", Revenue: 20000}}
	if err := f.store.PutOrganizations(f.ctx, orgs, now); err != nil {
		t.Fatal(err)
	}
	mems, stands, err := f.store.BugMemories(f.ctx, []string{"1"})
	if err != nil {
		t.Fatal(err)
	}
	st := stands["1"]
	st.Customers.Revenue = 120000.5
	if err := f.store.SetBugMemory(f.ctx, "1", mems["1"], st); err != nil {
		t.Fatal(err)
	}
	return f
}

func withRevenue(o *Options) {
	o.Policy.Revenue = engine.RevenuePolicy{Enabled: true, Currency: "EUR"}
}

func TestRevenueShownOnlyWhereCounted(t *testing.T) {
	tests := []struct {
		name    string
		mutate  []func(*Options)
		counted bool
	}{
		{name: "counted", mutate: []func(*Options){withRevenue}, counted: true},
		{name: "not counted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := revenueFixture(t)
			srv := f.server(f.model(tt.mutate...))
			pages := map[string]string{}
			for _, path := range []string{"/board", "/board/customers", "/api/v1/bugs", "/api/v1/customers"} {
				resp, body := get(t, srv, path)
				if resp.StatusCode != 200 {
					t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
				}
				pages[path] = body
			}
			for path, body := range pages {
				mentions := strings.Contains(strings.ToLower(body), "revenue") || strings.Contains(body, "EUR")
				if mentions != tt.counted {
					t.Errorf("%s mentions revenue: %v, want %v", path, mentions, tt.counted)
				}
			}
			var bugs struct {
				Bugs []map[string]any `json:"bugs"`
			}
			if err := json.Unmarshal([]byte(pages["/api/v1/bugs"]), &bugs); err != nil || len(bugs.Bugs) != 1 {
				t.Fatalf("bugs JSON %v: %s", err, pages["/api/v1/bugs"])
			}
			var customers struct {
				Customers []map[string]any `json:"customers"`
			}
			if err := json.Unmarshal([]byte(pages["/api/v1/customers"]), &customers); err != nil || len(customers.Customers) != 2 {
				t.Fatalf("customers JSON %v: %s", err, pages["/api/v1/customers"])
			}
			if !tt.counted {
				return
			}
			if b := bugs.Bugs[0]; b["revenueWaiting"] != 120000.5 || b["currency"] != "EUR" {
				t.Errorf("bug JSON revenue %v %v", b["revenueWaiting"], b["currency"])
			}
			for _, c := range customers.Customers {
				want := map[float64]float64{101: 100000.5, 201: 20000}[c["id"].(float64)]
				if c["revenue"] != want || c["currency"] != "EUR" {
					t.Errorf("customer %v revenue %v %v, want %v EUR", c["id"], c["revenue"], c["currency"], want)
				}
			}
			if !strings.Contains(pages["/board"], `<td class="num revenue">120,000.50 EUR</td>`) {
				t.Errorf("board page lacks the bug's revenue cell")
			}
			if !strings.Contains(pages["/board/customers"], `<td class="num revenue">100,000.50 EUR</td>`) {
				t.Errorf("customers page lacks the organization's revenue cell")
			}
		})
	}
}

func TestSortByRevenue(t *testing.T) {
	f := newFixture(t)
	// PROJ-1 has more customers, PROJ-2 more revenue.
	f.bug(bugRec("1", "PROJ-1", "To Do", engine.CategoryToDo, "High"), waiter{org: 101, open: true}, waiter{org: 201, open: true})
	f.bug(bugRec("2", "PROJ-2", "To Do", engine.CategoryToDo, "High"), waiter{org: 202, open: true})
	for id, rev := range map[string]float64{"1": 5000, "2": 90000} {
		mems, stands, err := f.store.BugMemories(f.ctx, []string{id})
		if err != nil {
			t.Fatal(err)
		}
		st := stands[id]
		st.Customers.Revenue = rev
		if err := f.store.SetBugMemory(f.ctx, id, mems[id], st); err != nil {
			t.Fatal(err)
		}
	}
	srv := f.server(f.model(withRevenue))
	order := func(path string) string {
		t.Helper()
		resp, body := get(t, srv, path)
		var p struct {
			Bugs []Bug `json:"bugs"`
		}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		var keys []string
		for _, b := range p.Bugs {
			keys = append(keys, b.Key)
		}
		return strings.Join(keys, ",")
	}
	if got := order("/api/v1/bugs"); got != "PROJ-1,PROJ-2" {
		t.Errorf("by rank: %s", got)
	}
	if got := order("/api/v1/bugs?sort=revenue"); got != "PROJ-2,PROJ-1" {
		t.Errorf("by revenue: %s", got)
	}
	if got := order("/api/v1/bugs?sort=revenue&dir=asc"); got != "PROJ-1,PROJ-2" {
		t.Errorf("by revenue ascending: %s", got)
	}
	if _, body := get(t, srv, "/board?sort=revenue"); !strings.Contains(body, `aria-sort="descending"><a href="?dir=asc&amp;sort=revenue">Revenue ▼`) {
		t.Errorf("revenue column head not sorted: %s", body)
	}
}

package board

import (
	"net/url"
	"strings"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		raw  string
		want Query
		err  string
	}{
		{"", Query{Sort: SortRank, Page: 1, PerPage: DefaultPerPage}, ""},
		{"project=PROJ&category=done&tier=enterprise&stale=no&sort=age&dir=asc&page=3&per_page=50&utm=x",
			Query{Project: "PROJ", Category: engine.CategoryDone, Tier: "enterprise", Stale: StaleNo, Sort: SortAge, Page: 3, PerPage: 50}, ""},
		{"sort=customers", Query{Sort: SortCustomers, Desc: true, Page: 1, PerPage: DefaultPerPage}, ""},
		{"sort=key&dir=desc", Query{Sort: SortKey, Desc: true, Page: 1, PerPage: DefaultPerPage}, ""},
		{"tier=Gold_Plus-2", Query{Tier: "Gold_Plus-2", Sort: SortRank, Page: 1, PerPage: DefaultPerPage}, ""},
		{"project=proj", Query{}, "project"},
		{"category=todo", Query{}, "category"},
		{"tier=a%20b", Query{}, "tier"},
		{"stale=1", Query{}, "stale"},
		{"sort=summary", Query{}, "sort"},
		{"dir=down", Query{}, "dir"},
		{"page=-1", Query{}, "page"},
		{"page=x", Query{}, "page"},
		{"per_page=0", Query{}, "per_page"},
		{"per_page=10001", Query{}, "per_page"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			v, _ := url.ParseQuery(tt.raw)
			got, err := ParseQuery(v)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err+" ") {
					t.Fatalf("error %v, want one naming %s", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestQueryValuesLeaveOutDefaults(t *testing.T) {
	tests := []struct {
		q    Query
		want string
	}{
		{Query{}, ""},
		{Query{Sort: SortRank, Page: 1, PerPage: DefaultPerPage}, ""},
		{Query{Sort: SortCustomers, Desc: true}, "sort=customers"},
		{Query{Sort: SortCustomers}, "dir=asc&sort=customers"},
		{Query{Desc: true}, "dir=desc"},
		{Query{Project: "WEB", Stale: StaleYes, Page: 2, PerPage: 20}, "page=2&per_page=20&project=WEB&stale=yes"},
	}
	for _, tt := range tests {
		if got := tt.q.Values().Encode(); got != tt.want {
			t.Errorf("%+v encodes as %q, want %q", tt.q, got, tt.want)
		}
	}
	cq := CustomerQuery{Tier: "pro", Sort: SortName, Page: 2}
	if got := cq.Values().Encode(); got != "page=2&sort=name&tier=pro" {
		t.Errorf("customer query encodes as %q", got)
	}
}

func TestParseCustomerQuery(t *testing.T) {
	for raw, want := range map[string]CustomerQuery{
		"":                                   {Sort: SortBugs, Desc: true, Page: 1, PerPage: DefaultPerPage},
		"sort=name":                          {Sort: SortName, Page: 1, PerPage: DefaultPerPage},
		"sort=wait&dir=asc&tier=free&page=2": {Sort: SortWait, Tier: "free", Page: 2, PerPage: DefaultPerPage},
	} {
		v, _ := url.ParseQuery(raw)
		if got, err := ParseCustomerQuery(v); err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", raw, got, err, want)
		}
	}
	for _, raw := range []string{"sort=key", "tier=%3C", "dir=x", "page=0"} {
		v, _ := url.ParseQuery(raw)
		if _, err := ParseCustomerQuery(v); err == nil {
			t.Errorf("%q accepted", raw)
		}
	}
}

// The query string is the only input the board takes from outside: every
// string parses without panicking, and what parses encodes back to itself.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "project=PROJ&sort=age&dir=asc", "tier=enterprise&stale=yes&page=2&per_page=5",
		"category=indeterminate", "sort=customers&dir=desc", "page=99999999999999999999", "tier=%E2%80%AE", "project=A&project=B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if q, err := ParseQuery(v); err == nil {
			again, err := ParseQuery(q.Values())
			if err != nil || again != q {
				t.Fatalf("%q parsed as %+v, which encodes as %q and parses as %+v (%v)", raw, q, q.Values().Encode(), again, err)
			}
			if q.Page < 1 || q.PerPage < 1 || q.PerPage > MaxPerPage {
				t.Fatalf("%q: paging %d/%d", raw, q.Page, q.PerPage)
			}
		}
		if q, err := ParseCustomerQuery(v); err == nil {
			again, err := ParseCustomerQuery(q.Values())
			if err != nil || again != q {
				t.Fatalf("%q parsed as %+v, which encodes as %q and parses as %+v (%v)", raw, q, q.Values().Encode(), again, err)
			}
		}
	})
}

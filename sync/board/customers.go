package board

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Customer is an organization waiting on bugs.
type Customer struct {
	ID   int64  `json:"id"`
	Name string `json:"name,omitempty"` // with ShowCustomerNames only
	Tier string `json:"tier,omitempty"`
	// Revenue is the organization's revenue as last read, in Currency;
	// both only where revenue is counted.
	Revenue  *float64 `json:"revenue,omitempty"`
	Currency string   `json:"currency,omitempty"`
	// Bugs are the bugs it waits on, longest waiting first.
	Bugs []Wait `json:"bugs"`
}

// Wait is a bug an organization waits on, and since when.
type Wait struct {
	BugID    string                `json:"id"`
	Key      string                `json:"key"`
	URL      string                `json:"url"`
	Summary  string                `json:"summary"`
	Status   string                `json:"status"`
	Category engine.StatusCategory `json:"statusCategory"`
	Outcome  Outcome               `json:"outcome,omitempty"` // as on the bug
	// Since is when the organization's oldest counted ticket on the bug
	// was opened.
	Since time.Time `json:"since"`
}

// Longest is when the organization started waiting on its oldest bug.
func (c Customer) Longest() time.Time {
	if len(c.Bugs) == 0 {
		return time.Time{}
	}
	return c.Bugs[0].Since
}

func (m *Model) loadCustomers(ctx context.Context, bugs []Bug) ([]Customer, error) {
	waits, err := m.src.WaitingOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	orgIDs := make([]int64, len(waits))
	for i, w := range waits {
		orgIDs[i] = w.OrgID
	}
	orgs := make(map[int64]engine.Organization, len(orgIDs))
	for chunk := range slices.Chunk(orgIDs, readBatch) {
		o, err := m.src.OrganizationNames(ctx, chunk)
		if err != nil {
			return nil, err
		}
		maps.Copy(orgs, o)
	}
	byID := make(map[string]*Bug, len(bugs))
	for i := range bugs {
		byID[bugs[i].ID] = &bugs[i]
	}
	out := make([]Customer, 0, len(waits))
	for _, w := range waits {
		c := Customer{ID: w.OrgID, Tier: clipTier(orgs[w.OrgID].Tier)}
		if m.opts.ShowCustomerNames {
			c.Name = clip(orgs[w.OrgID].Name, maxText)
		}
		if rp := m.opts.Policy.Revenue; rp.Enabled {
			v := orgs[w.OrgID].Revenue
			c.Revenue, c.Currency = &v, rp.Currency
		}
		for _, bw := range w.Bugs {
			b, ok := byID[bw.BugID]
			if !ok {
				continue
			}
			c.Bugs = append(c.Bugs, Wait{BugID: b.ID, Key: b.Key, URL: b.URL, Summary: b.Summary, Status: b.Status,
				Category: b.Category, Outcome: b.Outcome, Since: bw.Since})
		}
		if len(c.Bugs) > 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// CustomerList is one page of the customers view.
type CustomerList struct {
	Query     CustomerQuery
	Total     int
	Customers []Customer
	AsOf      time.Time
	Tiers     []string
	// Names tells whether organizations are named, or shown by id.
	Names bool
}

// Pages is the number of pages the filtered customers fill.
func (l CustomerList) Pages() int { return pages(l.Total, l.Query.PerPage) }

// Customers returns the organizations q selects, with the bugs each waits on.
func (m *Model) Customers(ctx context.Context, q CustomerQuery) (CustomerList, error) {
	if q.Sort == "" {
		q.Sort, q.Desc = SortBugs, SortBugs.natural()
	}
	q.Page = max(q.Page, 1)
	if q.PerPage <= 0 {
		q.PerPage = DefaultPerPage
	}
	s, err := m.snapshot(ctx)
	if err != nil {
		return CustomerList{}, err
	}
	var rows []Customer
	for _, c := range s.customers {
		if q.Tier == "" || c.Tier == q.Tier {
			rows = append(rows, c)
		}
	}
	slices.SortStableFunc(rows, func(a, b Customer) int {
		var c int
		switch q.Sort {
		case SortWait: // the longest wait is the earliest time
			c = b.Longest().Compare(a.Longest())
		case SortName:
			c = strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		}
		if c == 0 {
			c = cmp.Compare(len(a.Bugs), len(b.Bugs))
		}
		if q.Desc {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		return c
	})
	return CustomerList{Query: q, Total: len(rows), Customers: pageOf(rows, q.Page, q.PerPage), AsOf: s.at, Tiers: s.tiers,
		Names: m.opts.ShowCustomerNames}, nil
}

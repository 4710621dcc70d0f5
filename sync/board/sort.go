package board

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// byRank is the board's ranking: open bugs before done ones (nobody works
// on those; their customers only need telling), then most weighted
// customers first, most customers, most open tickets, and by key.
func byRank(a, b Bug) int {
	return cmp.Or(
		doneLast(a, b),
		cmp.Compare(b.Weighted, a.Weighted),
		cmp.Compare(b.Customers, a.Customers),
		cmp.Compare(b.OpenTickets, a.OpenTickets),
		compareKeys(a.Key, b.Key),
	)
}

// doneLast orders open bugs before done ones.
func doneLast(a, b Bug) int {
	switch {
	case a.Done() == b.Done():
		return 0
	case b.Done():
		return -1
	}
	return 1
}

// sortBugs orders rows by column s, reversed when desc differs from what
// the column's comparison gives; ties keep the ranking. Done bugs stay
// apart, after the open ones, whatever the column.
func (m *Model) sortBugs(rows []Bug, s Sort, desc bool) {
	var by func(a, b Bug) int
	switch s {
	case SortKey:
		by = func(a, b Bug) int { return compareKeys(a.Key, b.Key) }
	case SortPriority:
		by = func(a, b Bug) int { return cmp.Compare(m.priorityRank(a.Priority), m.priorityRank(b.Priority)) }
	case SortStatus:
		by = func(a, b Bug) int {
			return cmp.Or(cmp.Compare(categoryRank(a.Category), categoryRank(b.Category)), strings.Compare(a.Status, b.Status))
		}
	case SortCustomers:
		by = func(a, b Bug) int { return cmp.Compare(a.Customers, b.Customers) }
	case SortOpen:
		by = func(a, b Bug) int { return cmp.Compare(a.OpenTickets, b.OpenTickets) }
	case SortRevenue:
		by = func(a, b Bug) int { return cmp.Compare(revenueOf(a), revenueOf(b)) }
	case SortAge: // older activity is a greater age
		by = func(a, b Bug) int { return b.LastActivity.Compare(a.LastActivity) }
	default:
		by = func(a, b Bug) int { return cmp.Compare(a.Rank, b.Rank) }
	}
	slices.SortStableFunc(rows, func(a, b Bug) int {
		c := by(a, b)
		if desc {
			c = -c
		}
		return cmp.Or(doneLast(a, b), c, cmp.Compare(a.Rank, b.Rank))
	})
}

// priorityRank places known priorities in the configured order, highest
// first, and unknown ones (and none) after them.
func (m *Model) priorityRank(p string) int {
	if i := slices.Index(m.opts.Policy.Priorities, p); i >= 0 {
		return i
	}
	if p == "" {
		return len(m.opts.Policy.Priorities) + 1
	}
	return len(m.opts.Policy.Priorities)
}

func categoryRank(c engine.StatusCategory) int {
	switch c {
	case engine.CategoryToDo:
		return 0
	case engine.CategoryInProgress:
		return 1
	case engine.CategoryDone:
		return 2
	}
	return 3
}

// compareKeys orders issue keys by project, then by number: PROJ-9
// before PROJ-10.
func compareKeys(a, b string) int {
	pa, na, _ := strings.Cut(a, "-")
	pb, nb, _ := strings.Cut(b, "-")
	if c := strings.Compare(pa, pb); c != 0 {
		return c
	}
	ia, ea := strconv.Atoi(na)
	ib, eb := strconv.Atoi(nb)
	if ea == nil && eb == nil {
		return cmp.Compare(ia, ib)
	}
	return strings.Compare(na, nb)
}

// revenueOf is a bug's revenue waiting, 0 where revenue is not counted.
func revenueOf(b Bug) float64 {
	if b.Revenue == nil {
		return 0
	}
	return *b.Revenue
}

package board

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Bug is one row of the board.
type Bug struct {
	// Rank is the bug's place in the ranking, whatever order it is listed
	// in: open bugs by weighted customers, then done ones the same way.
	Rank           int                   `json:"rank"`
	ID             string                `json:"id"`
	Key            string                `json:"key"`
	URL            string                `json:"url"`
	Project        string                `json:"project"`
	Summary        string                `json:"summary"`
	Status         string                `json:"status"`
	Category       engine.StatusCategory `json:"statusCategory"`
	Priority       string                `json:"priority"`
	PriorityRaised bool                  `json:"priorityRaised"` // helpdesk-sync set the current priority
	// PriorityLocked: the bug carries the policy's priority_locked_label,
	// so helpdesk-sync leaves its priority as it is, whatever the count.
	PriorityLocked bool `json:"priorityLocked"`
	// Outcome is set on a done bug: nobody works on it any more, and its
	// customers are still to be told how it ended.
	Outcome      Outcome    `json:"outcome,omitempty"`
	Customers    int        `json:"customers"`
	Weighted     float64    `json:"weightedCustomers"`
	ByTier       TierCounts `json:"customersByTier,omitempty"`
	OpenTickets  int        `json:"openTickets"`
	LastActivity time.Time  `json:"lastActivity,omitzero"` // the last change by a person
	Stale        bool       `json:"stale"`
	StaleSince   *time.Time `json:"staleSince,omitempty"`
	TicketCount  int        `json:"ticketCount"` // linked tickets
	// Tickets are the newest linked tickets, as many as the page shows.
	Tickets []Ticket `json:"tickets"`

	// Revenue is the revenue waiting on the bug (its distinct waiting
	// organizations' revenue, summed) in Currency: both are set only where
	// revenue is counted, and absent elsewhere.
	Revenue  *float64 `json:"revenueWaiting,omitempty"`
	Currency string   `json:"currency,omitempty"`
}

// Outcome is how a done bug ended.
type Outcome string

const (
	OutcomeFixed   Outcome = "fixed"
	OutcomeWontFix Outcome = "wont_fix" // done with one of the policy's won't-fix resolutions
)

// Done reports whether the bug is done: listed after the open ones.
func (b Bug) Done() bool { return b.Outcome != "" }

// Ticket is a ticket linked to a bug.
type Ticket struct {
	ID      int64  `json:"id"`
	URL     string `json:"url,omitempty"` // the agent workspace page
	Open    bool   `json:"open"`
	Subject string `json:"subject,omitempty"` // with ShowCustomerNames only
}

// BugList is one page of the board's bugs.
type BugList struct {
	Query Query
	Total int // bugs that pass the filters
	Done  int // of them, done bugs customers still wait on
	// Bugs are the page's bugs, the open ones first.
	Bugs     []Bug
	AsOf     time.Time
	Projects []string // every project on the board, for the filters
	Tiers    []string // every tier of a waiting customer
}

// Pages is the number of pages the filtered bugs fill.
func (l BugList) Pages() int { return pages(l.Total, l.Query.PerPage) }

// AllTickets asks Bugs for every linked ticket of each bug.
const AllTickets = -1

// Bugs returns the bugs q selects, with up to perBug of each one's newest
// linked tickets (AllTickets: every one).
func (m *Model) Bugs(ctx context.Context, q Query, perBug int) (BugList, error) {
	q = q.normal()
	s, err := m.snapshot(ctx)
	if err != nil {
		return BugList{}, err
	}
	var rows []Bug
	done := 0
	for _, b := range s.bugs {
		if q.keeps(b) {
			rows = append(rows, b)
			if b.Done() {
				done++
			}
		}
	}
	m.sortBugs(rows, q.Sort, q.Desc)
	list := BugList{Query: q, Total: len(rows), Done: done, AsOf: s.at, Projects: s.projects, Tiers: s.tiers}
	list.Bugs = pageOf(rows, q.Page, q.PerPage)
	if err := m.fillTickets(ctx, s, list.Bugs, perBug); err != nil {
		return BugList{}, err
	}
	return list, nil
}

func (q Query) normal() Query {
	q.Sort = q.sort()
	q.Page = max(q.Page, 1)
	if q.PerPage <= 0 {
		q.PerPage = DefaultPerPage
	}
	q.PerPage = min(q.PerPage, MaxPerPage)
	return q
}

func (q Query) keeps(b Bug) bool {
	switch {
	case q.Project != "" && b.Project != q.Project,
		q.Category != "" && b.Category != q.Category,
		q.Tier != "" && b.ByTier.Count(q.Tier) == 0,
		q.Stale == StaleYes && !b.Stale,
		q.Stale == StaleNo && b.Stale:
		return false
	}
	return true
}

// fillTickets gives each bug its newest perBug tickets, reading those the
// snapshot has not seen yet in one pipelined read per thousand.
func (m *Model) fillTickets(ctx context.Context, s *snapshot, bugs []Bug, perBug int) error {
	s.mu.Lock()
	var missing []int64
	for _, b := range bugs {
		for _, id := range shown(s.links[b.ID], perBug) {
			if _, ok := s.tickets[id]; !ok {
				missing = append(missing, id)
			}
		}
	}
	s.mu.Unlock()
	read := make(map[int64]Ticket, len(missing))
	for chunk := range slices.Chunk(missing, readBatch) {
		recs, err := m.src.Tickets(ctx, chunk)
		if err != nil {
			return err
		}
		for _, id := range chunk {
			t := Ticket{ID: id}
			if r, ok := recs[id]; ok {
				t.URL, t.Open = r.URL, r.Status.Open()
				if m.opts.ShowCustomerNames {
					t.Subject = clip(r.Subject, maxText)
				}
			}
			read[id] = t
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tickets == nil {
		s.tickets = make(map[int64]Ticket, len(read))
	}
	maps.Copy(s.tickets, read)
	for i := range bugs {
		ids := shown(s.links[bugs[i].ID], perBug)
		bugs[i].Tickets = make([]Ticket, len(ids))
		for j, id := range ids {
			bugs[i].Tickets[j] = s.tickets[id]
		}
	}
	return nil
}

func shown(ids []int64, n int) []int64 {
	if n >= 0 && len(ids) > n {
		return ids[:n]
	}
	return ids
}

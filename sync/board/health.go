package board

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

// Health is the sync's health as every replica reported it.
type Health struct {
	At      time.Time      `json:"at"`
	Healthy bool           `json:"healthy"`
	Issues  []string       `json:"issues"` // why it is not healthy, for people
	Cycle   *Step          `json:"lastCycle,omitempty"`
	Failure *Step          `json:"lastFailure,omitempty"`
	Vendors []VendorHealth `json:"vendors"`
	Guards  []Hold         `json:"guard"` // the kinds of writes the blast-radius guard holds
	Backlog Backlog        `json:"backlog"`
}

// Step is an engine step some replica reported.
type Step struct {
	Step   string        `json:"step"`
	At     time.Time     `json:"at"`
	Took   time.Duration `json:"tookNanoseconds"`
	Errors int           `json:"errors"`
	Error  string        `json:"error,omitempty"`
}

// VendorHealth is one vendor's side of the sync.
type VendorHealth struct {
	Name string `json:"name"`
	// LastRead is the last time a step read its changes up to the present.
	LastRead time.Time `json:"lastRead,omitzero"`
	Behind   bool      `json:"behind"`
	// Requests and Failed are the attempts of every replica in the last
	// hour; Busiest is the most in one minute.
	Requests int `json:"requestsLastHour"`
	Failed   int `json:"failedLastHour"`
	Busiest  int `json:"busiestMinute"`
	// Budget is the configured requests per minute; Used is Busiest's
	// share of it (0 without a budget).
	Budget float64 `json:"budgetPerMinute"`
	Used   float64 `json:"budgetUsed"`
	// Remaining is the vendor's own count of requests left in its window
	// at RemainingAt; -1 when it never said.
	Remaining   int       `json:"remaining"`
	RemainingAt time.Time `json:"remainingAt,omitzero"`
}

// Hold is a kind of write the blast-radius guard holds.
type Hold struct {
	Kind    string    `json:"kind"`
	Planned int       `json:"planned"`
	Limit   int       `json:"limit"`
	Since   time.Time `json:"since"`
}

// Backlog is the work due now in the shared queue, and the release reads
// due: the projects whose versions the leader's next pass reads, because a
// fixed bug of theirs waits on a release (engine.ReleaseReads).
type Backlog struct {
	Bugs     int64 `json:"bugs"`
	Tickets  int64 `json:"tickets"`
	Releases int64 `json:"releases"`
}

// Health reads the health record, the guard and the backlog.
func (m *Model) Health(ctx context.Context) (Health, error) {
	now := m.now()
	rec, err := m.src.Health(ctx, Vendors, now.Add(-time.Hour))
	if err != nil {
		return Health{}, err
	}
	guards, err := m.src.Guards(ctx)
	if err != nil {
		return Health{}, err
	}
	h := Health{At: now, Cycle: step(rec.Cycle), Failure: step(rec.Failure), Issues: []string{}, Guards: []Hold{}}
	if h.Backlog.Bugs, err = m.src.DueCount(ctx, engine.BugQueue, now); err != nil {
		return Health{}, err
	}
	if h.Backlog.Tickets, err = m.src.DueCount(ctx, engine.TicketQueue, now); err != nil {
		return Health{}, err
	}
	if h.Backlog.Releases, err = engine.DueReleaseReads(ctx, m.src, m.opts.ReleaseCheck, now); err != nil {
		return Health{}, err
	}
	for _, g := range guards {
		h.Guards = append(h.Guards, Hold{Kind: g.Kind, Planned: g.Planned, Limit: g.Limit, Since: g.Since})
	}
	slices.SortFunc(h.Guards, func(a, b Hold) int { return strings.Compare(a.Kind, b.Kind) })
	for _, name := range Vendors {
		h.Vendors = append(h.Vendors, m.vendor(name, rec.Vendors[name], now))
	}

	if h.Cycle == nil {
		h.Issues = append(h.Issues, "no cycle reported yet: is a replica running with the board's monitor?")
	} else if h.Cycle.Errors > 0 {
		h.Issues = append(h.Issues, "the last cycle had "+countOf(h.Cycle.Errors, "error", "errors"))
	}
	for _, v := range h.Vendors {
		if v.Behind {
			h.Issues = append(h.Issues, v.Name+" not read up to the present for over "+m.opts.Behind.String())
		}
	}
	for _, g := range h.Guards {
		h.Issues = append(h.Issues, fmt.Sprintf("the blast-radius guard holds %s (limit %d)", countOf(g.Planned, g.Kind+" write", g.Kind+" writes"), g.Limit))
	}
	h.Healthy = len(h.Issues) == 0
	return h, nil
}

func (m *Model) vendor(name string, rec state.VendorHealth, now time.Time) VendorHealth {
	v := VendorHealth{Name: name, LastRead: rec.LastRead, Budget: m.opts.Budgets[name], Remaining: rec.Remaining, RemainingAt: rec.RemainingAt}
	v.Behind = rec.LastRead.IsZero() || now.Sub(rec.LastRead) > m.opts.Behind
	for _, q := range rec.Minutes {
		v.Requests += q.Attempts
		v.Failed += q.Failed
		v.Busiest = max(v.Busiest, q.Attempts)
	}
	if v.Budget > 0 {
		v.Used = float64(v.Busiest) / v.Budget
	}
	return v
}

func step(s state.StepHealth) *Step {
	if s.At.IsZero() {
		return nil
	}
	return &Step{Step: s.Step, At: s.At, Took: s.Took, Errors: s.Errors, Error: s.Error}
}

// countOf is n with the form of the noun that agrees with it: "1 error",
// "2 errors".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

package board

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

var now = time.Date(2025, 6, 20, 12, 0, 0, 0, time.UTC)

const (
	testToken = "board-token-42"
	testUser  = "lead"
	testPass  = "s3cret pass"
)

// fixture writes board data straight into a real store, the way the
// engine does: records and links in a page commit, standing with the
// memory.
type fixture struct {
	t     testing.TB
	ctx   context.Context
	store *state.Store
	next  int64 // next ticket id
}

func newFixture(t testing.TB) *fixture {
	c, prefix := redistest.Client(t)
	return &fixture{t: t, ctx: context.Background(), store: state.New(c, prefix, time.Hour), next: 1}
}

// waiter is a ticket on a bug: its organization and whether it is open.
type waiter struct {
	org     int64
	open    bool
	subject string
}

// bug records a bug with its tickets; organizations get the given tiers.
// The memory and standing are what the reconciler would compute (every
// organization at weight 1 but enterprise at 5).
func (f *fixture) bug(b engine.BugRecord, waiters ...waiter) {
	f.t.Helper()
	var changes []engine.TicketChange
	var mem engine.BugMemory
	st := engine.Standing{Category: b.StatusCategory, Waiting: map[int64]time.Time{}}
	seen := map[int64]bool{}
	for _, w := range waiters {
		id := f.next
		f.next++
		status := engine.StatusOpen
		if !w.open {
			status = engine.StatusSolved
		}
		subject := w.subject
		if subject == "" {
			subject = fmt.Sprintf("Ticket %d about %s", id, b.Key)
		}
		rec := &engine.TicketRecord{ID: id, Status: status, RequesterID: 1000 + id, OrganizationID: w.org, Subject: subject,
			URL: "https://acme.zendesk.com/agent/tickets/" + strconv.FormatInt(id, 10), UpdatedAt: now}
		changes = append(changes, engine.TicketChange{ID: id, Record: rec, Bugs: []string{b.ID}})
		if !w.open {
			continue
		}
		mem.OpenTickets++
		if seen[w.org] {
			continue
		}
		seen[w.org] = true
		tier := tierOf(w.org)
		st.Customers.Distinct++
		st.Customers.Weighted += map[string]float64{"enterprise": 5, "pro": 2}[tier] + boolf(tier != "enterprise" && tier != "pro")
		if tier != "" {
			if st.Customers.ByTier == nil {
				st.Customers.ByTier = map[string]int{}
			}
			st.Customers.ByTier[tier]++
		}
		st.Waiting[w.org] = now.Add(-time.Duration(w.org%7+1) * 24 * time.Hour)
	}
	var orgs []engine.Organization
	for org := range seen {
		orgs = append(orgs, engine.Organization{ID: org, Name: fmt.Sprintf("Org %d", org), Tier: tierOf(org)})
	}
	if b.Project == "" {
		b.Project, _, _ = strings.Cut(b.Key, "-")
	}
	if b.URL == "" {
		b.URL = "https://acme.atlassian.net/browse/" + b.Key
	}
	if _, err := f.store.CommitTicketPage(f.ctx, engine.TicketPageCommit{Tickets: changes, NewBugs: []engine.BugRecord{b}, Organizations: orgs, Now: now}); err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.SetBugMemory(f.ctx, b.ID, mem, st); err != nil {
		f.t.Fatal(err)
	}
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// tierOf gives organizations tiers by id: 1xx enterprise, 2xx pro, 3xx
// free, others none.
func tierOf(org int64) string {
	switch org / 100 {
	case 1:
		return "enterprise"
	case 2:
		return "pro"
	case 3:
		return "free"
	}
	return ""
}

func bugRec(id, key, status string, cat engine.StatusCategory, priority string) engine.BugRecord {
	return engine.BugRecord{Bug: engine.Bug{ID: id, Key: key, Summary: "Summary of " + key, Status: status, StatusCategory: cat,
		Priority: priority, Updated: now.Add(-48 * time.Hour)}, LastActivity: now.Add(-72 * time.Hour)}
}

// testPolicy weighs tiers as the fixture's memories do.
func testPolicy() engine.Policy {
	return engine.Policy{Priorities: []string{"Highest", "High", "Medium", "Low", "Lowest"},
		TierWeights: map[string]float64{"enterprise": 5, "pro": 2, "free": 1}, DefaultWeight: 1, PriorityLockedLabel: "priority-locked"}
}

func (f *fixture) model(mutate ...func(*Options)) *Model {
	o := Options{
		Policy:  testPolicy(),
		Budgets: map[string]float64{"zendesk": 400, "jira": 600},
		Clock:   func() time.Time { return now },
		Logger:  zaptest.NewLogger(f.t),
	}
	for _, m := range mutate {
		m(&o)
	}
	return NewModel(f.store, o)
}

func (f *fixture) server(m *Model) *httptest.Server {
	f.t.Helper()
	h, err := NewHandler(m, HandlerOptions{Token: testToken, BasicUser: testUser, BasicPassword: testPass, Logger: zaptest.NewLogger(f.t)})
	if err != nil {
		f.t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	f.t.Cleanup(srv.Close)
	return srv
}

// get fetches path with the bearer token.
func get(t testing.TB, srv *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

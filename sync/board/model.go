package board

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	stdsync "sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/helpdesk-sync/helpdesk-sync/sync"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

// Source is what the board reads: the engine's state and the read models
// it keeps for the board. *state.Store implements it.
type Source interface {
	RankedBugs(ctx context.Context) ([]state.Ranked, error)
	Bugs(ctx context.Context, ids []string) (map[string]sync.BugRecord, error)
	BugMemories(ctx context.Context, ids []string) (map[string]sync.BugMemory, error)
	BugLinks(ctx context.Context, ids []string) (map[string]map[int64]sync.LinkSource, error)
	Tickets(ctx context.Context, ids []int64) (map[int64]sync.TicketRecord, error)
	WaitingOrganizations(ctx context.Context) ([]state.Waits, error)
	OrganizationNames(ctx context.Context, ids []int64) (map[int64]sync.Organization, error)
	Waiting(ctx context.Context) (map[sync.StatusCategory]int, error)
	Points(ctx context.Context, since time.Time) ([]state.Point, error)
	Health(ctx context.Context, vendors []string, since time.Time) (state.Health, error)
	Guards(ctx context.Context) ([]sync.GuardState, error)
	DueCount(ctx context.Context, q sync.Queue, until time.Time) (int64, error)
}

var _ Source = (*state.Store)(nil)

// Options configure a Model.
type Options struct {
	// Priorities are the tracker's priority names, highest first: the
	// order of the priority column.
	Priorities []string
	// Budgets are each vendor's request budget per minute, by vendor name
	// ("zendesk", "jira"): what the health section measures use against.
	Budgets map[string]float64
	// ShowCustomerNames shows organization names and ticket subjects;
	// off, organizations appear by id and tier, and tickets by id.
	// Requester names and emails are never stored, so never shown.
	ShowCustomerNames bool
	// Behind is how long a vendor may go without a complete read before the
	// health section calls the sync behind; default 10m.
	Behind time.Duration
	// MaxAge is how long one read of the read models serves requests;
	// default 30s. Concurrent requests share one read.
	MaxAge time.Duration
	Clock  func() time.Time // nil is the wall clock
	Logger *zap.Logger      // nil logs nothing
}

// Vendors are the systems the health section reports on, as the
// transports name them.
var Vendors = []string{"zendesk", "jira"}

// Model answers the board's queries from a Source. It is safe for
// concurrent use.
type Model struct {
	src   Source
	opts  Options
	log   *zap.Logger
	now   func() time.Time
	loads singleflight.Group

	mu   stdsync.Mutex
	snap *snapshot
}

// NewModel returns a model reading src.
func NewModel(src Source, o Options) *Model {
	if o.Behind <= 0 {
		o.Behind = 10 * time.Minute
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 30 * time.Second
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return &Model{src: src, opts: o, log: o.Logger, now: func() time.Time { return o.Clock().UTC() }}
}

// Bug is one row of the board.
type Bug struct {
	// Rank is the bug's place in the ranking by weighted customers,
	// whatever order it is listed in.
	Rank           int                 `json:"rank"`
	ID             string              `json:"id"`
	Key            string              `json:"key"`
	URL            string              `json:"url"`
	Project        string              `json:"project"`
	Summary        string              `json:"summary"`
	Status         string              `json:"status"`
	Category       sync.StatusCategory `json:"statusCategory"`
	Priority       string              `json:"priority"`
	PriorityRaised bool                `json:"priorityRaised"` // helpdesk-sync set the current priority
	Customers      int                 `json:"customers"`
	Weighted       float64             `json:"weightedCustomers"`
	ByTier         map[string]int      `json:"customersByTier,omitempty"`
	OpenTickets    int                 `json:"openTickets"`
	LastActivity   time.Time           `json:"lastActivity,omitzero"` // the last change by a person
	Stale          bool                `json:"stale"`
	StaleSince     *time.Time          `json:"staleSince,omitempty"`
	TicketCount    int                 `json:"ticketCount"` // linked tickets
	// Tickets are the newest linked tickets, as many as the page shows.
	Tickets []Ticket `json:"tickets"`
}

// Ticket is a ticket linked to a bug.
type Ticket struct {
	ID      int64  `json:"id"`
	URL     string `json:"url,omitempty"` // the agent workspace page
	Open    bool   `json:"open"`
	Subject string `json:"subject,omitempty"` // with ShowCustomerNames only
}

// Customer is an organization waiting on bugs.
type Customer struct {
	ID   int64  `json:"id"`
	Name string `json:"name,omitempty"` // with ShowCustomerNames only
	Tier string `json:"tier,omitempty"`
	// Bugs are the bugs it waits on, longest waiting first.
	Bugs []Wait `json:"bugs"`
}

// Wait is a bug an organization waits on, and since when.
type Wait struct {
	BugID    string              `json:"id"`
	Key      string              `json:"key"`
	URL      string              `json:"url"`
	Summary  string              `json:"summary"`
	Status   string              `json:"status"`
	Category sync.StatusCategory `json:"statusCategory"`
	Since    time.Time           `json:"since"`
}

// Longest is when the organization started waiting on its oldest bug.
func (c Customer) Longest() time.Time {
	if len(c.Bugs) == 0 {
		return time.Time{}
	}
	return c.Bugs[0].Since
}

// snapshot is one read of the read models: every ranked bug and every
// waiting organization, with what filters and sorts need.
type snapshot struct {
	at        time.Time
	bugs      []Bug              // in rank order, without tickets
	links     map[string][]int64 // bug id → linked ticket ids, newest first
	customers []Customer
	projects  []string
	tiers     []string

	// tickets are the tickets pages have shown, read when first shown and
	// kept as long as the snapshot: the board is as of its snapshot.
	mu      stdsync.Mutex
	tickets map[int64]Ticket
}

// readBatch bounds each pipelined read, so that 10k bugs are read in a few
// round trips without one huge reply.
const readBatch = 1000

// snapshot returns a read no older than MaxAge, reading the source at most
// once for any number of concurrent callers.
func (m *Model) snapshot(ctx context.Context) (*snapshot, error) {
	m.mu.Lock()
	s := m.snap
	m.mu.Unlock()
	if s != nil && m.now().Sub(s.at) < m.opts.MaxAge {
		return s, nil
	}
	v, err, _ := m.loads.Do("", func() (any, error) {
		// The read outlives a caller that gives up, for the others.
		s, err := m.load(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		m.mu.Lock()
		m.snap = s
		m.mu.Unlock()
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*snapshot), nil
}

func (m *Model) load(ctx context.Context) (*snapshot, error) {
	start := time.Now()
	ranked, err := m.src.RankedBugs(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ranked))
	weights := make(map[string]float64, len(ranked))
	for i, r := range ranked {
		ids[i], weights[r.ID] = r.ID, r.Weighted
	}
	recs := make(map[string]sync.BugRecord, len(ids))
	mems := make(map[string]sync.BugMemory, len(ids))
	links := make(map[string][]int64, len(ids))
	for chunk := range slices.Chunk(ids, readBatch) {
		if err := m.readBugs(ctx, chunk, recs, mems, links); err != nil {
			return nil, err
		}
	}
	s := &snapshot{at: m.now(), links: links}
	projects, tiers := map[string]bool{}, map[string]bool{}
	for _, id := range ids {
		r, ok := recs[id]
		if !ok {
			continue // ranked but dropped meanwhile
		}
		b := m.row(r, mems[id], weights[id], len(links[id]))
		s.bugs = append(s.bugs, b)
		projects[b.Project] = true
		for t := range b.ByTier {
			tiers[t] = true
		}
	}
	slices.SortStableFunc(s.bugs, byRank)
	for i := range s.bugs {
		s.bugs[i].Rank = i + 1
	}
	if s.customers, err = m.loadCustomers(ctx, s.bugs); err != nil {
		return nil, err
	}
	for _, c := range s.customers {
		if c.Tier != "" {
			tiers[c.Tier] = true
		}
	}
	s.projects = slices.Sorted(maps.Keys(projects))
	s.tiers = slices.Sorted(maps.Keys(tiers))
	m.log.Debug("board read", zap.Int("bugs", len(s.bugs)), zap.Int("organizations", len(s.customers)),
		zap.Duration("took", time.Since(start)))
	return s, nil
}

func (m *Model) readBugs(ctx context.Context, ids []string, recs map[string]sync.BugRecord, mems map[string]sync.BugMemory, links map[string][]int64) error {
	r, err := m.src.Bugs(ctx, ids)
	if err != nil {
		return err
	}
	mm, err := m.src.BugMemories(ctx, ids)
	if err != nil {
		return err
	}
	l, err := m.src.BugLinks(ctx, ids)
	if err != nil {
		return err
	}
	maps.Copy(recs, r)
	maps.Copy(mems, mm)
	for id, tickets := range l {
		ts := slices.Collect(maps.Keys(tickets))
		slices.SortFunc(ts, func(a, b int64) int { return cmpInt(b, a) })
		links[id] = ts
	}
	return nil
}

// row is a bug's line on the board, from its record and memory.
func (m *Model) row(r sync.BugRecord, mem sync.BugMemory, weighted float64, tickets int) Bug {
	b := Bug{
		ID: r.ID, Key: r.Key, URL: r.URL, Project: r.Project, Summary: r.Summary, Status: r.Status,
		Category: r.StatusCategory, Priority: r.Priority,
		PriorityRaised: mem.Bump.Seq > 0 && mem.Bump.Phase != sync.PhaseNone && mem.Bump.Target == r.Priority && r.Priority != "",
		Customers:      mem.Customers.Distinct, Weighted: weighted, ByTier: mem.Customers.ByTier,
		OpenTickets: mem.OpenTickets, LastActivity: r.LastActivity, Stale: r.Stale.Flagged, TicketCount: tickets,
	}
	if b.Project == "" {
		b.Project, _, _ = strings.Cut(r.Key, "-")
	}
	if b.LastActivity.IsZero() {
		b.LastActivity = r.Updated
	}
	if r.Stale.Flagged && !r.Stale.Since.IsZero() {
		since := r.Stale.Since
		b.StaleSince = &since
	}
	return b
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
	orgs := make(map[int64]sync.Organization, len(orgIDs))
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
		c := Customer{ID: w.OrgID, Tier: orgs[w.OrgID].Tier}
		if m.opts.ShowCustomerNames {
			c.Name = orgs[w.OrgID].Name
		}
		for _, bw := range w.Bugs {
			b, ok := byID[bw.BugID]
			if !ok {
				continue
			}
			c.Bugs = append(c.Bugs, Wait{BugID: b.ID, Key: b.Key, URL: b.URL, Summary: b.Summary, Status: b.Status,
				Category: b.Category, Since: bw.Since})
		}
		if len(c.Bugs) > 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// BugList is one page of the board's bugs.
type BugList struct {
	Query    Query
	Total    int // bugs that pass the filters
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
	for _, b := range s.bugs {
		if q.keeps(b) {
			rows = append(rows, b)
		}
	}
	m.sortBugs(rows, q.Sort, q.Desc)
	list := BugList{Query: q, Total: len(rows), AsOf: s.at, Projects: s.projects, Tiers: s.tiers}
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
		q.Tier != "" && b.ByTier[q.Tier] == 0,
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
					t.Subject = r.Subject
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
			c = cmpInt(len(a.Bugs), len(b.Bugs))
		}
		if q.Desc {
			c = -c
		}
		if c == 0 {
			c = cmpInt(a.ID, b.ID)
		}
		return c
	})
	return CustomerList{Query: q, Total: len(rows), Customers: pageOf(rows, q.Page, q.PerPage), AsOf: s.at, Tiers: s.tiers,
		Names: m.opts.ShowCustomerNames}, nil
}

func pageOf[T any](rows []T, n, per int) []T {
	from := (n - 1) * per
	if from >= len(rows) {
		return nil
	}
	return rows[from:min(from+per, len(rows))]
}

func pages(total, per int) int {
	if per <= 0 || total == 0 {
		return 1
	}
	return (total + per - 1) / per
}

func cmpInt[T int | int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
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
		return cmpInt(ia, ib)
	}
	return strings.Compare(na, nb)
}

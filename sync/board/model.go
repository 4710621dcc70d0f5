package board

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

// Source is what the board reads: the engine's state and the read models
// it keeps for the board. *state.Store implements it.
type Source interface {
	RankedBugs(ctx context.Context) ([]state.Ranked, error)
	Bugs(ctx context.Context, ids []string) (map[string]engine.BugRecord, error)
	BugMemories(ctx context.Context, ids []string) (map[string]engine.BugMemory, map[string]engine.Standing, error)
	BugLinks(ctx context.Context, ids []string) (map[string]map[int64]engine.LinkSource, error)
	Tickets(ctx context.Context, ids []int64) (map[int64]engine.TicketRecord, error)
	WaitingOrganizations(ctx context.Context) ([]state.Waits, error)
	OrganizationNames(ctx context.Context, ids []int64) (map[int64]engine.Organization, error)
	Waiting(ctx context.Context) (map[engine.StatusCategory]int, error)
	Points(ctx context.Context, since time.Time) ([]state.Point, error)
	Health(ctx context.Context, vendors []string, since time.Time) (state.Health, error)
	Guards(ctx context.Context) ([]engine.GuardState, error)
	DueCount(ctx context.Context, q engine.Queue, until time.Time) (int64, error)
	AwaitingRelease(ctx context.Context) ([]engine.Awaiting, error)
	ReleaseChecks(ctx context.Context) (map[string]time.Time, error)
}

var _ Source = (*state.Store)(nil)

// Options configure a Model.
type Options struct {
	// Policy is the engine's policy, for what the board shows of it: the
	// order of the priority column (Priorities, highest first), the order
	// of tiers (heaviest first, by TierWeights), and which bugs keep their
	// priority (PriorityLockedLabel).
	Policy engine.Policy
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
	// ReleaseCheck is how long the leader waits between two reads of a
	// project's versions (the engine's Options.ReleaseCheck), for the
	// release reads the backlog counts as due; default 15m.
	ReleaseCheck time.Duration
	Clock        func() time.Time // nil is the wall clock
	Logger       *zap.Logger      // nil logs nothing
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

	mu   sync.Mutex
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
	if o.ReleaseCheck <= 0 {
		o.ReleaseCheck = 15 * time.Minute
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return &Model{src: src, opts: o, log: o.Logger, now: func() time.Time { return o.Clock().UTC() }}
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
	mu      sync.Mutex
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
	recs := make(map[string]engine.BugRecord, len(ids))
	mems := make(map[string]engine.BugMemory, len(ids))
	stands := make(map[string]engine.Standing, len(ids))
	links := make(map[string][]int64, len(ids))
	for chunk := range slices.Chunk(ids, readBatch) {
		if err := m.readBugs(ctx, chunk, recs, mems, stands, links); err != nil {
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
		b := m.row(r, mems[id], stands[id], weights[id], len(links[id]))
		s.bugs = append(s.bugs, b)
		projects[b.Project] = true
		for _, t := range b.ByTier {
			tiers[t.Tier] = true
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
	s.tiers = m.byWeight(slices.Collect(maps.Keys(tiers)))
	m.log.Debug("board read", zap.Int("bugs", len(s.bugs)), zap.Int("organizations", len(s.customers)),
		zap.Duration("took", time.Since(start)))
	return s, nil
}

func (m *Model) readBugs(ctx context.Context, ids []string, recs map[string]engine.BugRecord, mems map[string]engine.BugMemory,
	stands map[string]engine.Standing, links map[string][]int64) error {
	r, err := m.src.Bugs(ctx, ids)
	if err != nil {
		return err
	}
	mm, ss, err := m.src.BugMemories(ctx, ids)
	if err != nil {
		return err
	}
	l, err := m.src.BugLinks(ctx, ids)
	if err != nil {
		return err
	}
	maps.Copy(recs, r)
	maps.Copy(mems, mm)
	maps.Copy(stands, ss)
	for id, tickets := range l {
		ts := slices.Collect(maps.Keys(tickets))
		slices.SortFunc(ts, func(a, b int64) int { return cmp.Compare(b, a) })
		links[id] = ts
	}
	return nil
}

// row is a bug's line on the board, from its record, memory and standing.
// Text from the vendors is clipped here, so that pages, tooltips and JSON
// alike stay a sane size whatever a summary holds.
func (m *Model) row(r engine.BugRecord, mem engine.BugMemory, st engine.Standing, weighted float64, tickets int) Bug {
	b := Bug{
		ID: r.ID, Key: r.Key, URL: r.URL, Project: r.Project, Summary: clip(r.Summary, maxText), Status: clip(r.Status, maxName),
		Category: r.StatusCategory, Priority: clip(r.Priority, maxName),
		PriorityRaised: mem.Bump.Seq > 0 && mem.Bump.Phase != engine.PhaseNone && mem.Bump.Target == r.Priority && r.Priority != "",
		PriorityLocked: m.opts.Policy.PriorityLockedLabel != "" && slices.Contains(r.Labels, m.opts.Policy.PriorityLockedLabel),
		Outcome:        outcomeOf(r),
		Customers:      st.Customers.Distinct, Weighted: weighted, ByTier: m.tierCounts(st.Customers.ByTier),
		OpenTickets: mem.OpenTickets, LastActivity: r.LastActivity, Stale: r.Stale.Flagged, TicketCount: tickets,
	}
	if rp := m.opts.Policy.Revenue; rp.Enabled {
		v := st.Customers.Revenue
		b.Revenue, b.Currency = &v, rp.Currency
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

// outcomeOf is how a done bug ended, as the engine's state of it tells
// (the policy's won't-fix resolutions); "" while it is open.
func outcomeOf(r engine.BugRecord) Outcome {
	switch {
	case r.StatusCategory != engine.CategoryDone:
		return ""
	case r.State == engine.StateWontFix:
		return OutcomeWontFix
	}
	return OutcomeFixed
}

// tierCounts lists a bug's customers per tier, heaviest tier first.
func (m *Model) tierCounts(by map[string]int) TierCounts {
	if len(by) == 0 {
		return nil
	}
	merged := make(map[string]int, len(by))
	for t, n := range by {
		merged[clipTier(t)] += n
	}
	out := make(TierCounts, 0, len(merged))
	for _, t := range m.byWeight(slices.Collect(maps.Keys(merged))) {
		out = append(out, TierCount{Tier: t, Customers: merged[t]})
	}
	return out
}

// byWeight sorts tiers as the policy weighs them, heaviest first (as the
// engine's comments list them), then by name.
func (m *Model) byWeight(tiers []string) []string {
	p := m.opts.Policy
	slices.SortFunc(tiers, func(a, b string) int { return cmp.Or(cmp.Compare(p.Weight(b), p.Weight(a)), strings.Compare(a, b)) })
	return tiers
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

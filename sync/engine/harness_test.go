package engine_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine/enginetest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

const (
	zdBase   = "https://acme.zendesk.com"
	jiraBase = "https://acme.atlassian.net"
)

var start = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

func policy() engine.Policy {
	return engine.Policy{
		Projects:      []string{"PROJ", "WEB"},
		LinkTagPrefix: "jira_",
		CountBy:       engine.CountByOrganization,
		CountTickets:  engine.CountOpenTickets,
		TierWeights:   map[string]float64{"enterprise": 5, "pro": 2, "free": 1},
		DefaultWeight: 1,
		Thresholds: []engine.Threshold{
			{Customers: 3, Priority: "Medium"}, {Customers: 10, Priority: "High"}, {Customers: 25, Priority: "Highest"},
		},
		Priorities:          []string{"Highest", "High", "Medium", "Low", "Lowest"},
		PriorityLockedLabel: "priority-locked",
		CountLabels:         []engine.CountLabel{{Customers: 10, Label: "customers-10plus"}},
		StatusTags:          engine.StatusTags{ToDo: "bug_open", InProgress: "bug_in_progress", Done: "bug_fixed", WontFix: "bug_wont_fix"},
		WontFixResolutions:  []string{"Won't Fix"},
		Notes:               true,
		Stale: engine.StalePolicy{
			Label: "stale", DefaultWindow: 14 * 24 * time.Hour,
			Windows: map[string]time.Duration{"Highest": 2 * 24 * time.Hour}, ExemptLabels: []string{"long-term"},
		},
	}
}

// harness is one deployment under test: two fake vendors, a real Redis
// under a prefix of the test's own, and engines built on them (a new engine
// is a restart).
type harness struct {
	t      *testing.T
	ctx    context.Context
	clock  *clocktest.Manual
	hd     *enginetest.Helpdesk
	tr     *enginetest.Tracker
	store  *state.Store
	rdb    redis.UniversalClient
	prefix string
	events *recorder
	opts   engine.Options
}

func newHarness(t *testing.T, mutate ...func(*engine.Options)) *harness {
	t.Helper()
	clock := clocktest.NewManual(start)
	c, prefix := redistest.Client(t)
	h := &harness{
		t: t, ctx: context.Background(), clock: clock, prefix: prefix, rdb: c,
		hd:     enginetest.NewHelpdesk(clock.Now, zdBase),
		tr:     enginetest.NewTracker(clock.Now, jiraBase),
		store:  state.New(c, prefix, time.Hour),
		events: &recorder{},
	}
	h.opts = engine.Options{
		Helpdesk: h.hd, Tracker: h.tr, Store: h.store, Policy: policy(), Clock: clock,
		Logger: zaptest.NewLogger(t, zaptest.Level(logLevel)), Recorder: h.events,
		Workers: 4, Batch: 50, SweepInterval: time.Hour,
	}
	for _, m := range mutate {
		m(&h.opts)
	}
	return h
}

func (h *harness) engine() *engine.Engine {
	h.t.Helper()
	e, err := engine.New(h.opts)
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

// cycle runs one cycle on a fresh engine and a minute later than the last.
func (h *harness) cycle() engine.Report {
	h.t.Helper()
	h.clock.Advance(time.Minute)
	rep, err := h.engine().Cycle(h.ctx)
	if err != nil {
		h.t.Fatalf("cycle: %v", err)
	}
	return rep
}

// settle cycles until two in a row make no write (at most 6), returning the
// reports: work a cycle queues for the next (a dropped bug's tickets, a
// conflict's re-read) is done by then.
func (h *harness) settle() []engine.Report {
	h.t.Helper()
	var reps []engine.Report
	quiet := 0
	for range 6 {
		rep := h.cycle()
		reps = append(reps, rep)
		if quiet = quiet + 1; rep.Writes() > 0 {
			quiet = 0
		}
		if quiet == 2 {
			return reps
		}
	}
	h.t.Fatalf("no two quiet cycles in a row after 6: %+v", reps)
	return nil
}

// writes counts the vendor write calls since the last reset.
func (h *harness) writes() map[string]int {
	out := map[string]int{}
	for _, op := range enginetest.TrackerWrites {
		if n := h.tr.Calls.Get(op); n > 0 {
			out[op] = n
		}
	}
	for _, op := range enginetest.HelpdeskWrites {
		if n := h.hd.Calls.Get(op); n > 0 {
			out[op] = n
		}
	}
	return out
}

func (h *harness) resetCalls() {
	h.hd.Calls.Reset()
	h.tr.Calls.Reset()
}

// expectWrites asserts the exact vendor write calls since the last reset.
func (h *harness) expectWrites(want map[string]int) {
	h.t.Helper()
	got := h.writes()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		h.t.Fatalf("write calls %v, want %v", got, want)
	}
}

// expectIdle asserts that a cycle costs exactly one read per system and
// writes nothing.
func (h *harness) expectIdle() {
	h.t.Helper()
	h.resetCalls()
	rep := h.cycle()
	calls := fmt.Sprint(h.hd.Calls.Snapshot(), h.tr.Calls.Snapshot())
	if calls != "map[ChangedTickets:1] map[ChangedBugs:1]" || rep.Writes() != 0 {
		h.t.Fatalf("idle cycle made calls %s and %d writes", calls, rep.Writes())
	}
}

func (h *harness) bug(id, key, priority string) {
	h.tr.Put(engine.Bug{ID: id, Key: key, Summary: "Export fails for large files", Status: "To Do", StatusCategory: engine.CategoryToDo, Priority: priority})
}

func (h *harness) setStatus(id, status string, cat engine.StatusCategory, resolution string, fix ...string) {
	h.tr.Edit(id, func(b *engine.Bug) {
		b.Status, b.StatusCategory, b.Resolution, b.FixVersions = status, cat, resolution, fix
	})
}

// ticket creates an open ticket of organization org with the keys field.
func (h *harness) ticket(id, org int64, keys string, tags ...string) {
	h.hd.Put(engine.Ticket{ID: id, Status: engine.StatusOpen, Subject: fmt.Sprintf("Customer %d cannot export", org),
		RequesterID: 1000 + id, OrganizationID: org, KeysField: keys, Tags: tags})
}

func (h *harness) getTicket(id int64) engine.Ticket {
	h.t.Helper()
	tk, ok := h.hd.Ticket(id)
	if !ok {
		h.t.Fatalf("ticket %d missing", id)
	}
	return tk
}

func (h *harness) getBug(id string) engine.Bug {
	h.t.Helper()
	b, ok := h.tr.Bug(id)
	if !ok {
		h.t.Fatalf("bug %s missing", id)
	}
	return b
}

func (h *harness) expectTicket(id int64, field string, tags ...string) {
	h.t.Helper()
	tk := h.getTicket(id)
	got := slices.Clone(tk.Tags)
	slices.Sort(got)
	slices.Sort(tags)
	if tk.StatusField != field || !slices.Equal(got, tags) {
		h.t.Fatalf("ticket %d shows %q with tags %q; want %q with %q", id, tk.StatusField, got, field, tags)
	}
}

func (h *harness) expectBug(id, priority string, count float64, labels ...string) {
	h.t.Helper()
	b := h.getBug(id)
	got := slices.Clone(b.Labels)
	slices.Sort(got)
	slices.Sort(labels)
	if b.Priority != priority || b.CustomerCount == nil || *b.CustomerCount != count || !slices.Equal(got, labels) {
		h.t.Fatalf("bug %s: priority %q count %v labels %q; want %q %v %q", id, b.Priority, countOf(b), got, priority, count, labels)
	}
}

func countOf(b engine.Bug) any {
	if b.CustomerCount == nil {
		return nil
	}
	return *b.CustomerCount
}

// expectLinkedTickets asserts the tickets the engine's remote links on a bug
// point at.
func (h *harness) expectLinkedTickets(bugID string, tickets ...int64) {
	h.t.Helper()
	var got []int64
	for gid, l := range h.tr.Links(bugID) {
		if strings.HasPrefix(gid, "helpdesk-sync:") {
			id, _ := h.hd.TicketRef(l.URL)
			got = append(got, id)
		}
	}
	slices.Sort(got)
	slices.Sort(tickets)
	if !slices.Equal(got, tickets) {
		h.t.Fatalf("bug %s links tickets %v, want %v", bugID, got, tickets)
	}
}

// recorder keeps the events.
type recorder struct {
	mu     sync.Mutex
	events []engine.Event
}

func (r *recorder) Record(e engine.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) of(kind engine.EventKind) []engine.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []engine.Event
	for _, e := range r.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// logLevel is raised to info with HS_TEST_LOG=info to read the engine's log.
var logLevel = func() zapcore.Level {
	if os.Getenv("HS_TEST_LOG") == "info" {
		return zap.InfoLevel
	}
	return zap.WarnLevel
}()

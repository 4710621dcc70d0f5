package servicetest

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// Start is where an Env's clock starts.
var Start = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// Options configure New.
type Options struct {
	// Dataset is seeded into the simulators; the zero Dataset is an empty
	// account that still has the simulation's fields and projects.
	Dataset simulation.Dataset
	// Config is more configuration, by environment name without the
	// prefix ("POLICY_NOTES": "false"), over the policy fixture.
	Config map[string]string
	// Observer sees every HTTP attempt of both adapters (the board's
	// monitor); Steps hears every step.
	Observer connectors.Observer
	Steps    engine.StepObserver
	// Service are more options of the service, after the Env's own.
	Service []service.Option
	// Zendesk are more options of the Zendesk simulator (an installed app).
	Zendesk []zendesktest.Option
}

// Env is the whole service against both simulators over real HTTP, on a
// real Redis under a key prefix of its own, with one fake clock that the
// simulators, the adapters and the engine all read.
type Env struct {
	T        testing.TB
	Ctx      context.Context
	Clock    *clocktest.Manual
	Zendesk  *zendesktest.Server
	Jira     *jiratest.Server
	Settings simulation.Settings
	Config   *config.Config
	Service  *service.Service
	Events   *Recorder
	Summary  simulation.Summary
}

// PolicyFixture is the policy every Env runs under unless Options.Config
// says otherwise: weighted customers, count labels, a locked-priority and
// an on-hold label the simulated account uses.
func PolicyFixture() map[string]string {
	return map[string]string{
		"POLICY_TIER_WEIGHTS":          "enterprise=5,pro=2,free=1",
		"POLICY_COUNT_LABELS":          "10=customers-10plus,50=customers-50plus",
		"POLICY_PRIORITY_LOCKED_LABEL": simulation.LockedLabel,
		"POLICY_STALE_EXEMPT_LABELS":   simulation.OnHoldLabel,
	}
}

// New starts the simulators, seeds them, and assembles the service as
// production does; everything is released when the test ends, and the
// Redis keys are left to redistest's check.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	e := &Env{T: t, Ctx: context.Background(), Clock: clocktest.NewManual(Start), Events: &Recorder{}}
	log := zaptest.NewLogger(t, zaptest.Level(logLevel()))
	e.Zendesk = zendesktest.NewServer(append([]zendesktest.Option{zendesktest.WithExportLag(0), zendesktest.WithClock(e.Clock.Now)}, o.Zendesk...)...)
	t.Cleanup(e.Zendesk.Close)
	e.Jira = jiratest.NewServer(jiratest.WithClock(e.Clock.Now))
	t.Cleanup(e.Jira.Close)
	d := o.Dataset
	d.BrowseURL = e.Jira.URL
	var err error
	if e.Summary, err = simulation.Seed(e.Ctx, e.Zendesk, e.Jira.Site, d, log.Named("seed")); err != nil {
		t.Fatal(err)
	}
	e.Settings = simulation.Settings{
		ZendeskURL: e.Zendesk.URL, ZendeskEmail: zendesktest.DefaultEmail, ZendeskToken: zendesktest.DefaultToken,
		KeysFieldID: simulation.KeysFieldID, StatusFieldID: simulation.StatusFieldID, TierField: simulation.TierField,
		JiraURL: e.Jira.URL, JiraEmail: jiratest.ServiceEmail, JiraToken: jiratest.ServiceToken,
		Projects: simulation.ProjectKeys(), CustomerCountField: jiratest.CustomerCountField,
	}
	rdb, prefix := redistest.Client(t)
	vars := map[string]string{}
	for _, kv := range e.Settings.Env() {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	// The simulators enforce no budgets: the client-side ones are set
	// high enough not to pace a test.
	fixed := map[string]string{
		"REDIS_KEY_PREFIX":                   prefix,
		"ZENDESK_REQUESTS_PER_MINUTE":        "60000",
		"ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "60000",
		"JIRA_REQUESTS_PER_SECOND":           "1000",
	}
	for _, m := range []map[string]string{fixed, PolicyFixture(), o.Config} {
		for k, v := range m {
			vars[config.EnvPrefix+k] = v
		}
	}
	if e.Config, err = config.Load("", func(k string) string { return vars[k] }); err != nil {
		t.Fatal(err)
	}
	opts := append([]service.Option{WithClock(e.Clock), WithJobPoll(2 * time.Millisecond),
		WithUpdateTicketBudget(60000)}, o.Service...)
	e.Service, err = service.New(e.Config, service.Options{Logger: log, Redis: rdb, NoLease: true,
		Recorder: e.Events, Observer: o.Observer, Steps: o.Steps}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Service.Close() })
	return e
}

func logLevel() zapcore.Level {
	if os.Getenv("HS_TEST_LOG") == "info" {
		return zap.InfoLevel
	}
	return zap.WarnLevel
}

// Cycle moves the clock two minutes, past the simulators' export lag and
// the search overlap, and runs one poll cycle.
func (e *Env) Cycle() engine.Report {
	e.T.Helper()
	e.Clock.Advance(2 * time.Minute)
	rep, err := e.Service.Engine.Cycle(e.Ctx)
	if err != nil {
		e.T.Fatalf("cycle: %v", err)
	}
	return rep
}

// Settle cycles until the counts are final: two cycles in a row that write
// nothing. It fails the test after maxCycles.
func (e *Env) Settle() {
	e.T.Helper()
	const maxCycles = 8
	quiet := 0
	for range maxCycles {
		if rep := e.Cycle(); rep.Writes() > 0 {
			quiet = 0
		} else if quiet++; quiet == 2 {
			return
		}
	}
	e.T.Fatalf("no two quiet cycles in a row after %d", maxCycles)
}

// Writes counts the write requests each simulator received since the last
// ResetLogs, by vendor and route ("zendesk PUT /api/v2/tickets/update_many.json").
func (e *Env) Writes() map[string]int {
	out := map[string]int{}
	for route, n := range e.Zendesk.Writes() {
		out["zendesk "+route] = n
	}
	for route, n := range e.Jira.Writes() {
		out["jira "+route] = n
	}
	return out
}

// ResetLogs forgets the requests both simulators have received.
func (e *Env) ResetLogs() {
	e.Zendesk.ResetRequests()
	e.Jira.ResetLog()
}

// Recorder keeps every engine event, for tests to count and the demo to
// narrate.
type Recorder struct {
	mu     sync.Mutex
	events []engine.Event
}

// Record implements engine.Recorder.
func (r *Recorder) Record(ev engine.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

// Events returns the events recorded so far, oldest first.
func (r *Recorder) Events() []engine.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]engine.Event(nil), r.events...)
}

// Take returns the events recorded so far and forgets them.
func (r *Recorder) Take() []engine.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

// Counts tallies the recorded events by kind.
func (r *Recorder) Counts() map[engine.EventKind]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[engine.EventKind]int{}
	for _, ev := range r.events {
		out[ev.Kind]++
	}
	return out
}

// Org creates an organization with a tier ("" for none) and returns its id.
func (e *Env) Org(tier string) int64 {
	o := zendesktest.Organization{Name: "Customer"}
	if tier != "" {
		o.Fields = map[string]any{simulation.TierField: tier}
	}
	return e.Zendesk.AddOrganization(o).ID
}

// Ticket creates an open ticket of a new requester in org, naming keys in
// the keys field ("" for none), and returns its id.
func (e *Env) Ticket(org int64, keys string, tags ...string) int64 {
	u := e.Zendesk.AddUser(zendesktest.User{Name: "Requester", OrganizationID: org})
	tk := zendesktest.Ticket{Subject: "Cannot export", Status: "open", RequesterID: u.ID, OrganizationID: org, Tags: tags}
	if keys != "" {
		tk.CustomFields = []zendesktest.CustomField{{ID: simulation.KeysFieldID, Value: keys}}
	}
	return e.Zendesk.CreateTicket(tk).ID
}

// Bug creates an issue in project at priority.
func (e *Env) Bug(project, priority string) jiratest.Issue {
	return e.Jira.MustCreateIssue(jiratest.NewIssue{Project: project, Summary: "Export fails for large files", Priority: priority})
}

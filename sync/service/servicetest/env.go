package servicetest

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/webhook"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// Start is where an Env's clock starts.
var Start = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// Secrets the simulators sign their webhooks with when Options.Webhooks
// is set; Options.Config may blank or replace them.
const (
	ZendeskSecret = "zendesk-signing-secret-of-the-simulated-account"
	JiraSecret    = "jira-webhook-secret-of-the-simulated-site"
)

// Options configure New.
type Options struct {
	// Dataset is seeded into the simulators; the zero Dataset is an empty
	// account that still has the simulation's fields and projects.
	Dataset simulation.Dataset
	// Config is more configuration, by environment name without the
	// prefix ("POLICY_NOTES": "false"), over the policy fixture; a value
	// "" leaves the key at its default.
	Config map[string]string
	// Configure changes the loaded configuration before anything is
	// assembled: for values a test needs that validation refuses (a body
	// limit of a few hundred bytes).
	Configure func(*config.Config)
	// Observer sees every HTTP attempt of both adapters (the board's
	// monitor); Steps hears every step; Latency sees each webhook's time
	// to the write it caused.
	Observer connectors.Observer
	Steps    engine.StepObserver
	Latency  engine.LatencyObserver
	// WallClock puts the simulators, the adapters and the engine on the
	// wall clock: Env.Clock is nil and Cycle does not move time. Webhook
	// signatures are checked against the wall clock, and an engine in
	// another process cannot read this one's fake clock.
	WallClock bool
	// Webhooks gives every service the Env assembles a receiver of its own
	// (as each replica has), configured with ZendeskSecret and JiraSecret;
	// WebhookObserver counts its deliveries.
	Webhooks        bool
	WebhookObserver webhook.Observer
	// Service are more options of the service, after the Env's own.
	Service []service.Option
	// Zendesk are more options of the Zendesk simulator (an installed app).
	Zendesk []zendesktest.Option
	// Jira are more options of the Jira simulator (a field of its own).
	Jira []jiratest.Option
}

// Env is the whole service against both simulators over real HTTP, on a
// real Redis under a key prefix of its own, with one fake clock that the
// simulators, the adapters and the engine all read.
type Env struct {
	T   testing.TB
	Ctx context.Context
	// Clock is nil with Options.WallClock.
	Clock    *clocktest.Manual
	Zendesk  *zendesktest.Server
	Jira     *jiratest.Server
	Settings simulation.Settings
	Config   *config.Config
	Service  *service.Service
	Events   *Recorder
	Summary  simulation.Summary
	Log      *zap.Logger
	// Redis is the client every assembled service shares, with its keys
	// under Config.Redis.KeyPrefix.
	Redis redis.UniversalClient
	// Assembly are the options each service is assembled with (Logger,
	// Redis, Recorder and the observers already set): change them, then
	// Restart, to run the same deployment differently (DryRun,
	// ConfirmLargeChange).
	Assembly service.Options

	opts []service.Option
	wh   Options
	vars map[string]string
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
	e := &Env{T: t, Ctx: context.Background(), Events: &Recorder{}, wh: o}
	e.Log = zaptest.NewLogger(t, zaptest.Level(logLevel()))
	var zopts []zendesktest.Option
	var jopts []jiratest.Option
	if !o.WallClock {
		e.Clock = clocktest.NewManual(Start)
		e.Events.Now = e.Clock.Now
		zopts = append(zopts, zendesktest.WithClock(e.Clock.Now))
		jopts = append(jopts, jiratest.WithClock(e.Clock.Now))
	}
	e.Zendesk = zendesktest.NewServer(append(append(zopts, zendesktest.WithExportLag(0)), o.Zendesk...)...)
	t.Cleanup(e.Zendesk.Close)
	e.Jira = jiratest.NewServer(append(jopts, o.Jira...)...)
	t.Cleanup(e.Jira.Close)
	d := o.Dataset
	d.BrowseURL = e.Jira.URL
	var err error
	if e.Summary, err = simulation.Seed(e.Ctx, e.Zendesk, e.Jira.Site, d, e.Log.Named("seed")); err != nil {
		t.Fatal(err)
	}
	e.Settings = simulation.Settings{
		ZendeskURL: e.Zendesk.URL, ZendeskEmail: zendesktest.DefaultEmail, ZendeskToken: zendesktest.DefaultToken,
		KeysFieldID: simulation.KeysFieldID, StatusFieldID: simulation.StatusFieldID, TierField: simulation.TierField,
		JiraURL: e.Jira.URL, JiraEmail: jiratest.ServiceEmail, JiraToken: jiratest.ServiceToken,
		Projects: simulation.ProjectKeys(), CustomerCountField: jiratest.CustomerCountField,
	}
	var prefix string
	e.Redis, prefix = redistest.Client(t)
	e.vars = lookup(e.Settings, prefix, o)
	if e.Config, err = config.Load("", func(k string) string { return e.vars[k] }); err != nil {
		t.Fatal(err)
	}
	if o.Configure != nil {
		o.Configure(e.Config)
	}
	e.opts = []service.Option{WithJobPoll(2 * time.Millisecond), WithUpdateTicketBudget(60000)}
	if e.Clock != nil {
		e.opts = append(e.opts, WithClock(e.Clock))
	}
	e.opts = append(e.opts, o.Service...)
	e.Assembly = service.Options{Logger: e.Log, Redis: e.Redis, NoLease: true,
		Recorder: e.Events, Observer: o.Observer, Steps: o.Steps, Latency: o.Latency}
	e.Service = e.Assemble(nil)
	return e
}

// lookup is the environment the Env's configuration is read from: the
// simulators' settings, budgets too high to pace a test (the simulators
// enforce none), the policy fixture, then Options.Config.
func lookup(s simulation.Settings, prefix string, o Options) map[string]string {
	vars := map[string]string{}
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	fixed := map[string]string{
		"REDIS_KEY_PREFIX":                   prefix,
		"ZENDESK_REQUESTS_PER_MINUTE":        "60000",
		"ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "60000",
		"JIRA_REQUESTS_PER_SECOND":           "1000",
	}
	if o.Webhooks {
		fixed["WEBHOOKS_ENABLED"] = "true"
		fixed["WEBHOOKS_ZENDESK_SECRET"] = ZendeskSecret
		fixed["WEBHOOKS_JIRA_SECRET"] = JiraSecret
	}
	for _, m := range []map[string]string{fixed, PolicyFixture(), o.Config} {
		for k, v := range m {
			vars[config.EnvPrefix+k] = v
		}
	}
	return vars
}

// Environ is the Env's configuration as environment variables
// ("NAME=value"), for a process that loads it as production does
// (config.Load), e.g. an engine of its own: with the Env's key prefix,
// but not where its Redis is, which the caller adds.
func (e *Env) Environ() []string {
	out := make([]string, 0, len(e.vars))
	for k, v := range e.vars {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// Assemble builds another service over the same simulators, Redis keys,
// clock and recorder, with Assembly changed by change (nil changes
// nothing): a second replica, or the same process started again. It has
// a webhook receiver of its own with Options.Webhooks, and is closed when
// the test ends.
func (e *Env) Assemble(change func(*service.Options)) *service.Service {
	e.T.Helper()
	so := e.Assembly
	if change != nil {
		change(&so)
	}
	if e.wh.Webhooks && so.Webhooks == nil {
		recv, err := service.NewReceiver(e.Config, e.Redis, e.Log, e.wh.WebhookObserver)
		if err != nil {
			e.T.Fatal(err)
		}
		so.Webhooks = recv
	}
	svc, err := service.New(e.Config, so, e.opts...)
	if err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() { _ = svc.Close() })
	return svc
}

// Restart replaces Service by a new one assembled with Assembly, as a
// process started again over the same Redis: all the engine's state that
// matters is there.
func (e *Env) Restart() {
	e.T.Helper()
	_ = e.Service.Close()
	e.Service = e.Assemble(nil)
}

// WebhookHandler serves the current Service's webhook receiver at
// service.WebhookPattern; it fails the test without Options.Webhooks.
func (e *Env) WebhookHandler() http.Handler {
	e.T.Helper()
	r, ok := e.Service.WebhookRoute()
	if !ok {
		e.T.Fatal("servicetest: WebhookHandler without Options.Webhooks")
	}
	return r.Handler
}

func logLevel() zapcore.Level {
	if os.Getenv("HS_TEST_LOG") == "info" {
		return zap.InfoLevel
	}
	return zap.WarnLevel
}

// Cycle moves the clock two minutes, past the simulators' export lag and
// the search overlap, and runs one poll cycle (on the wall clock it only
// runs the cycle).
func (e *Env) Cycle() engine.Report {
	e.T.Helper()
	if e.Clock != nil {
		e.Clock.Advance(2 * time.Minute)
	}
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

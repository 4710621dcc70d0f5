// Package bench measures helpdesk-sync against the simulators: the backfill
// with and without the vendors' rate limits, the cost of steady-state
// cycles, and how fresh the two systems are kept. The bench process hosts
// the simulators (connectors/simulation) and runs the real service, as
// service.New assembles it from configuration, in a child engine process,
// so that the engine's memory and CPU are measured apart from the
// simulators'.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
)

// Scenario names, as --scenarios takes them.
const (
	ScenarioBackfill  = "backfill"
	ScenarioLimits    = "limits"
	ScenarioSteady    = "steady"
	ScenarioFreshness = "freshness"
)

// Scenarios are every scenario, in the order they run.
var Scenarios = []string{ScenarioBackfill, ScenarioLimits, ScenarioSteady, ScenarioFreshness}

// Options configure a bench run.
type Options struct {
	// Engine is the command line of the engine process: this binary's
	// "bench --engine", which serves Engine over stdin and stdout and
	// takes --job-poll, --update-ticket-per-minute and --budget-speedup.
	Engine []string
	// RedisServer, when set, is a redis-server program the bench starts
	// for itself on a free loopback port: Redis's CPU is then the engine's
	// alone. Otherwise RedisURL is the Redis the engine keeps its state in;
	// every key the bench makes there lives under a prefix of its own and
	// is deleted after.
	RedisServer string
	RedisURL    string
	Seed        int64
	// Scenarios to run, from Scenarios; empty runs them all.
	Scenarios []string

	// Backfill are the sizes backfilled side by side (memory flat in N).
	Backfill []simulation.Size
	// Limits is the size backfilled under the vendors' budgets, and
	// LimitsTarget the real time the scaled lower bound should take: the
	// time scale is chosen to make it so.
	Limits       simulation.Size
	LimitsTarget time.Duration
	// Steady is the size of the account the steady-state cycles run on,
	// and Changes the numbers of changed tickets per measured cycle.
	Steady  simulation.Size
	Changes []int
	// IdleAtOnce measures the idle cycles right after the backfill instead
	// of once its writes have aged past the search overlap (up to two
	// minutes): for accounts whose linked bugs fit one search page.
	IdleAtOnce bool
	// Freshness runs that many changes of each kind against a running
	// engine twice: polling every PollInterval, then woken by the
	// simulators' signed webhooks with WebhookPollInterval as the
	// polling backstop (sync.webhook_poll_interval).
	Freshness           int
	PollInterval        time.Duration
	WebhookPollInterval time.Duration

	// CPUProfile, when set, has each engine process write its CPU profile
	// to CPUProfile.N, N counting deployments from 1.
	CPUProfile string

	Out    io.Writer   // the tables
	Stderr io.Writer   // the engine processes' logs
	Logger *zap.Logger // progress
}

// Run runs the chosen scenarios and prints one table each.
func Run(ctx context.Context, o Options) error {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if len(o.Scenarios) == 0 {
		o.Scenarios = Scenarios
	}
	// The simulators hold whole accounts in memory and allocate a response
	// per request: a higher collector target keeps their collections from
	// taking CPU from the cores the engine is measured on. The engine
	// process keeps the service's own (defaultGOGC in main).
	defer debug.SetGCPercent(debug.SetGCPercent(simulatorGOGC))
	redisWhat := "shared Redis at " + redactURL(o.RedisURL)
	if o.RedisServer != "" {
		r, err := startRedis(ctx, o.RedisServer)
		if err != nil {
			return err
		}
		defer func() { _ = r.stop() }()
		o.RedisURL, redisWhat = r.URL, "private "+o.RedisServer
	}
	opts, err := redis.ParseURL(o.RedisURL)
	if err != nil {
		return fmt.Errorf("bench: redis url: %w", err)
	}
	b := &bench{o: o, rdb: redis.NewClient(opts)}
	defer b.rdb.Close()
	if err := b.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("bench: redis at %s does not answer: %w", opts.Addr, err)
	}
	fmt.Fprintf(o.Out, "helpdesk-sync-bench: %s; load average %s; %s\n", machine(), loadAverage(), redisWhat)
	for _, s := range o.Scenarios {
		if !slices.Contains(Scenarios, s) {
			return fmt.Errorf("bench: unknown scenario %q (want one of %v)", s, Scenarios)
		}
	}
	// The steady-state account is backfilled first, so that its writes age
	// while the other scenarios run (see steadyAccount).
	var steady *steadyAccount
	if slices.Contains(o.Scenarios, ScenarioSteady) {
		if steady, err = b.steadyStart(ctx); err != nil {
			return fmt.Errorf("scenario %s: %w", ScenarioSteady, err)
		}
		defer func() {
			if steady != nil {
				_ = b.teardown(context.WithoutCancel(ctx), steady.dep)
			}
		}()
	}
	for _, s := range o.Scenarios {
		var err error
		switch s {
		case ScenarioBackfill:
			err = b.backfill(ctx)
		case ScenarioLimits:
			err = b.limits(ctx)
		case ScenarioSteady:
			err, steady = b.steady(ctx, steady), nil
		case ScenarioFreshness:
			err = b.freshness(ctx)
		}
		if err != nil {
			return fmt.Errorf("scenario %s: %w", s, err)
		}
		// The machine may be shared: its load says how much of it the
		// figures had.
		fmt.Fprintf(o.Out, "  Load average when the scenario ended: %s.\n", loadAverage())
	}
	return nil
}

type bench struct {
	o           Options
	rdb         *redis.Client
	deployments int
}

// budgets are the client-side request budgets the engine is configured
// with (the service's zendesk.requests_per_minute and friends), their
// windows shortened by speedup when it is above 1.
type budgets struct {
	zendeskPerMinute, exportPerMinute, updateTicketPerMinute int
	jiraPerSecond                                            float64
	speedup                                                  float64
}

// unlimited budgets are far above anything the engine can reach on one
// machine: the service still asks its Redis budget before every request,
// as in production.
var unlimited = budgets{zendeskPerMinute: 100_000_000, exportPerMinute: 100_000_000,
	updateTicketPerMinute: 100_000_000, jiraPerSecond: 1_000_000}

// simulatorGOGC is the bench process's GC percent while it runs.
const simulatorGOGC = 400

// JobPoll is the engine's first wait for an update_many job: the
// simulator finishes jobs at once, so a real account's wait (1s) would
// measure the vendor, not the engine.
const JobPoll = 5 * time.Millisecond

// deployment is one seeded pair of simulators and the engine process
// configured against them, with its own Redis key prefix.
type deployment struct {
	stack  *simulation.Stack
	engine *engineProc
	prefix string
}

// deployOptions shape a deployment.
type deployOptions struct {
	budgets budgets
	zendesk []zendesktest.Option
	jira    []jiratest.Option
	env     []string // more configuration, NAME=value
	// setup, when set, adjusts the seeded simulators before the engine
	// process starts.
	setup func(*simulation.Stack)
}

func (b *bench) deploy(ctx context.Context, d simulation.Dataset, o deployOptions) (*deployment, error) {
	start := time.Now()
	// The real export holds back the last minute; the benchmarks measure
	// the engine, so the simulator shows changes at once.
	zd := []zendesktest.Option{zendesktest.WithExportLag(0)}
	if o.budgets == unlimited {
		// Unenforced, the Zendesk simulator still reports an account
		// limit of 700 a minute, and the service honours a spent window by
		// waiting for it to reset: a backfill of 50,000 tickets waited a
		// minute for every 700 Zendesk requests. Without vendor limits the
		// account's is lifted too.
		zd = append(zd, zendesktest.WithRateLimits(zendesktest.RateLimits{Account: unlimited.zendeskPerMinute}))
	}
	st, err := simulation.Start(ctx, d, simulation.StackOptions{
		Zendesk: append(zd, o.zendesk...),
		Jira:    o.jira,
	})
	if err != nil {
		return nil, err
	}
	b.o.Logger.Info("simulators seeded", zap.Int("tickets", d.Size.Tickets), zap.Int("bugs", d.Size.Bugs),
		zap.Int("orgs", d.Size.Orgs), zap.Duration("took", time.Since(start)))
	if o.setup != nil {
		o.setup(st)
	}
	dep := &deployment{stack: st, prefix: "helpdesk-sync-bench:" + randomID() + ":"}
	env := append(st.Settings.Env(), b.engineEnv(dep.prefix, o.budgets)...)
	command := append(slices.Clone(b.o.Engine), "--job-poll", JobPoll.String(),
		"--update-ticket-per-minute", strconv.Itoa(o.budgets.updateTicketPerMinute),
		"--budget-speedup", strconv.FormatFloat(max(o.budgets.speedup, 1), 'f', -1, 64))
	b.deployments++
	if b.o.CPUProfile != "" {
		command = append(command, "--cpuprofile", fmt.Sprintf("%s.%d", b.o.CPUProfile, b.deployments))
	}
	if dep.engine, err = startEngine(command, append(env, o.env...), b.o.Stderr); err != nil {
		return nil, errors.Join(err, b.teardown(ctx, dep))
	}
	return dep, nil
}

// engineEnv configures the engine process beyond the simulators' settings.
func (b *bench) engineEnv(prefix string, bud budgets) []string {
	kv := [][2]string{
		{"REDIS_URL", b.o.RedisURL},
		{"REDIS_KEY_PREFIX", prefix},
		{"ZENDESK_REQUESTS_PER_MINUTE", strconv.Itoa(bud.zendeskPerMinute)},
		{"ZENDESK_EXPORT_REQUESTS_PER_MINUTE", strconv.Itoa(bud.exportPerMinute)},
		{"JIRA_REQUESTS_PER_SECOND", strconv.FormatFloat(bud.jiraPerSecond, 'f', -1, 64)},
		{"LOG_LEVEL", "error"},
		{"LOG_FORMAT", "json"},
	}
	out := make([]string, len(kv))
	for i, p := range kv {
		out[i] = config.EnvPrefix + p[0] + "=" + p[1]
	}
	return out
}

// teardown stops the engine process and the simulators and deletes the
// deployment's keys. It returns the engine process's CPU time.
func (b *bench) teardown(ctx context.Context, dep *deployment) error {
	var errs []error
	if dep.engine != nil {
		_, err := dep.engine.close()
		errs = append(errs, err)
	}
	errs = append(errs, dep.stack.Close(), deletePrefix(ctx, b.rdb, dep.prefix))
	return errors.Join(errs...)
}

// deletePrefix deletes the keys under prefix, scanning only that pattern:
// other users of the same Redis keep theirs.
func deletePrefix(ctx context.Context, rdb *redis.Client, prefix string) error {
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := rdb.Unlink(ctx, batch...).Err()
		batch = batch[:0]
		return err
	}
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 1000 {
			if err := flush(); err != nil {
				return fmt.Errorf("bench: delete keys under %s: %w", prefix, err)
			}
		}
	}
	if err := errors.Join(iter.Err(), flush()); err != nil {
		return fmt.Errorf("bench: delete keys under %s: %w", prefix, err)
	}
	return nil
}

// redactURL drops a password from a Redis URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

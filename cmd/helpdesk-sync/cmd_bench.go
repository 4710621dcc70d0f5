package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	stdsync "sync"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/helpdesk-sync/internal/bench"
	"github.com/helpdesk-sync/helpdesk-sync/cmd/helpdesk-sync/internal/logging"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
)

func (a *app) benchCommand() *ffcli.Command {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	a.globalFlags(fs)
	quick := fs.Bool("quick", false, "CI-sized run: small accounts, a few seconds per scenario")
	scenarios := fs.String("scenarios", strings.Join(bench.Scenarios, ","), "comma-separated `list` of scenarios to run")
	seed := fs.Int64("seed", 42, "seed of the generated accounts")
	tickets := fs.Int("tickets", simulation.BenchmarkSize.Tickets, "tickets of the largest backfill (also shown at 1/4 and 1/2)")
	bugs := fs.Int("bugs", simulation.BenchmarkSize.Bugs, "bugs of the largest backfill")
	orgs := fs.Int("orgs", simulation.BenchmarkSize.Orgs, "organizations of the largest backfill")
	limitTickets := fs.Int("limits-tickets", 10_000, "tickets backfilled under the vendors' budgets (bugs and organizations in proportion)")
	limitTarget := fs.Duration("limits-target", time.Minute, "real time the scaled lower bound of the limited backfill should take (shorter speeds the budgets up more, and a slot missed by a millisecond weighs more)")
	steadyTickets := fs.Int("steady-tickets", 10_000, "tickets of the account the steady-state cycles run on")
	changes := fs.String("changes", "1,10,100,1000", "changed tickets per measured steady-state cycle")
	fresh := fs.Int("freshness-changes", 20, "changes of each kind timed by the freshness scenario, in each mode")
	poll := fs.Duration("poll-interval", 2*time.Second, "sync.poll_interval of the freshness scenario")
	webhookPoll := fs.Duration("webhook-poll-interval", 10*time.Minute, "sync.webhook_poll_interval (the polling backstop) of the freshness scenario's webhook mode")
	redisServer := fs.String("redis-server", "redis-server", "redis-server `program` to start a private Redis with (exact Redis CPU, no other clients); \"\" uses REDIS_URL")
	cpuProfile := fs.String("cpuprofile", "", "write each engine process's CPU profile to `FILE`.N (N counts engine processes), the simulators' to FILE.simulators")
	engine := fs.Bool("engine", false, "internal: be the engine process the bench starts (commands on stdin)")
	var ef engineFlags
	fs.DurationVar(&ef.jobPoll, "job-poll", 0, "internal, with --engine: first wait for an update_many job (0: the adapter's 1s)")
	fs.IntVar(&ef.updatePerMinute, "update-ticket-per-minute", 0, "internal, with --engine: Update Ticket budget (0: Zendesk's 100)")
	fs.Float64Var(&ef.budgetSpeedup, "budget-speedup", 1, "internal, with --engine: shorten the windows of the request budgets by this factor")
	return &ffcli.Command{
		Name:       "bench",
		ShortUsage: "helpdesk-sync bench [--quick] [--scenarios LIST] [--tickets N --bugs N --orgs N] [flags]",
		ShortHelp:  "measure backfill throughput, API cost per cycle and freshness against the simulators",
		LongHelp: "Starts the Zendesk and Jira simulators seeded with generated accounts, runs the service\n" +
			"(assembled from configuration as 'run' assembles it) in a child process, and prints one\n" +
			"table per scenario:\n" +
			"  backfill   empty state to settled at three sizes, no vendor limit: time, tickets/s, peak RSS,\n" +
			"             CPU split, Redis round trips and API calls per endpoint\n" +
			"  limits     the backfill with both simulators enforcing the published budgets, sped up by a\n" +
			"             time scale: actual time over the lower bound the budgets imply, and 429s\n" +
			"  steady     an idle cycle and cycles with k changed tickets: requests and writes per cycle\n" +
			"  freshness  time from a change in a simulator to the write it causes: polling every\n" +
			"             --poll-interval, then the simulators' signed webhooks delivered to the engine's\n" +
			"             receiver on a loopback port, polling every --webhook-poll-interval as the backstop\n" +
			"Starts a private redis-server when one is installed (--redis-server), so that Redis's CPU is\n" +
			"the engine's alone; else uses REDIS_URL (or 127.0.0.1:6379), under a key prefix deleted after.\n" +
			"--config is not read: the bench configures the service itself.",
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			if *engine {
				ef.cpuProfile = *cpuProfile
				return a.benchEngine(ctx, ef)
			}
			o := bench.Options{
				Seed: *seed, Scenarios: splitList(*scenarios),
				LimitsTarget: *limitTarget, Freshness: *fresh, PollInterval: *poll, WebhookPollInterval: *webhookPoll,
				CPUProfile: *cpuProfile, Out: a.stdout, RedisServer: *redisServer,
			}
			largest := simulation.Size{Tickets: *tickets, Bugs: *bugs, Orgs: *orgs}
			o.Backfill = []simulation.Size{scaled(largest, 4), scaled(largest, 2), largest}
			o.Limits = proportional(*limitTickets)
			o.Steady = proportional(*steadyTickets)
			var err error
			if o.Changes, err = intList(*changes); err != nil {
				return usageErrorf("--changes: %v", err)
			}
			if *quick {
				o.Backfill = []simulation.Size{{Tickets: 500, Bugs: 50, Orgs: 20}, {Tickets: 1000, Bugs: 100, Orgs: 40}}
				o.Limits, o.LimitsTarget = proportional(1000), 3*time.Second
				o.Steady, o.Changes, o.IdleAtOnce = proportional(1000), []int{1, 10, 100}, true
				o.Freshness, o.PollInterval = 3, 200*time.Millisecond
			}
			return a.bench(ctx, o)
		},
	}
}

func (a *app) bench(ctx context.Context, o bench.Options) error {
	// The bench's log and the engine processes' stderr (copied in by
	// os/exec's goroutines) share one stream.
	stderr := &lockedWriter{w: a.stderr}
	o.Stderr = stderr
	log, err := logging.New(a.logLevel, a.logFormat, stderr)
	if err != nil {
		return exitWith(exitUsage, err)
	}
	defer func() { _ = log.Sync() }()
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: cannot find this program to run the engine: %w", err)
	}
	o.Engine = []string{exe, "bench", "--engine"}
	if a.logLevel != "" {
		o.Engine = append(o.Engine, "--log-level", a.logLevel)
	}
	if o.RedisServer != "" {
		if _, err := exec.LookPath(o.RedisServer); err != nil {
			log.Info("no redis-server to start: using REDIS_URL", zap.String("program", o.RedisServer))
			o.RedisServer = ""
		}
	}
	o.RedisURL = a.getenv("REDIS_URL")
	if o.RedisURL == "" {
		o.RedisURL = "redis://127.0.0.1:6379/0"
	}
	o.Logger = log
	// The simulators run in this process: their profile is the vendors'
	// side of every request.
	stop, err := startCPUProfile(simulatorsProfile(o.CPUProfile))
	if err != nil {
		return err
	}
	defer stop()
	return bench.Run(ctx, o)
}

func simulatorsProfile(path string) string {
	if path == "" {
		return ""
	}
	return path + ".simulators"
}

// startCPUProfile profiles this process into path until stop; an empty
// path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu stdsync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// scaled is size divided by n.
func scaled(s simulation.Size, n int) simulation.Size {
	return simulation.Size{Tickets: s.Tickets / n, Bugs: max(1, s.Bugs/n), Orgs: max(1, s.Orgs/n)}
}

// proportional is an account of tickets with bugs and organizations in
// the benchmark's proportions.
func proportional(tickets int) simulation.Size {
	b := simulation.BenchmarkSize
	return simulation.Size{Tickets: tickets, Bugs: max(10, tickets*b.Bugs/b.Tickets), Orgs: max(10, tickets*b.Orgs/b.Tickets)}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

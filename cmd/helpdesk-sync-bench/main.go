// Command helpdesk-sync-bench measures helpdesk-sync against the Zendesk and
// Jira simulators: backfill throughput, the cost of a cycle in API calls,
// the time to a write under the vendors' budgets, and freshness. It runs
// the service, assembled from configuration as 'helpdesk-sync run'
// assembles it, in a child process (this same program with --engine), so
// that the engine's memory and CPU are its own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/helpdesk-sync-bench/internal/bench"
	"github.com/helpdesk-sync/helpdesk-sync/cmd/internal/logging"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
)

const usage = `Usage: helpdesk-sync-bench [--quick] [--scenarios LIST] [--tickets N --bugs N --orgs N] [flags]

Starts the Zendesk and Jira simulators seeded with generated accounts, runs the service
(assembled from configuration as 'helpdesk-sync run' assembles it) in a child process, and
prints one table per scenario:
  backfill   empty state to settled at three sizes, no vendor limit: time, tickets/s, peak RSS,
             CPU split, Redis round trips and API calls per endpoint
  limits     the backfill with both simulators enforcing the published budgets, sped up by a
             time scale: actual time over the lower bound the budgets imply, and 429s
  steady     an idle cycle and cycles with k changed tickets: requests and writes per cycle
  freshness  time from a change in a simulator to the write it causes: polling every
             --poll-interval, then the simulators' signed webhooks delivered to the engine's
             receiver on a loopback port, polling every --webhook-poll-interval as the backstop
Starts a private redis-server when one is installed (--redis-server), so that Redis's CPU is
the engine's alone; else uses REDIS_URL (or 127.0.0.1:6379), under a key prefix deleted after.

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	rl := &logging.RedisLog{}
	redis.SetLogger(rl) // go-redis logs process-wide; run routes it to its logger
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr, rl)
	stop()
	os.Exit(code)
}

// run is the program with its surroundings passed in, for tests; it
// returns the exit code: 0, 1 on a failure, 2 on a bad command line.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, rl *logging.RedisLog) int {
	fs := flag.NewFlagSet("helpdesk-sync-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage); fs.PrintDefaults() }
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
	logLevel := fs.String("log-level", "", "log `level`: debug, info, warn or error")
	logFormat := fs.String("log-format", "", "log `format`: auto, json or console")
	engine := fs.Bool("engine", false, "internal: be the engine process the bench starts (commands on stdin)")
	var ef engineFlags
	fs.DurationVar(&ef.jobPoll, "job-poll", 0, "internal, with --engine: first wait for an update_many job (0: the adapter's 1s)")
	fs.IntVar(&ef.updatePerMinute, "update-ticket-per-minute", 0, "internal, with --engine: Update Ticket budget (0: Zendesk's 100)")
	fs.Float64Var(&ef.budgetSpeedup, "budget-speedup", 1, "internal, with --engine: shorten the windows of the request budgets by this factor")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return 0
		}
		return 2
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "helpdesk-sync-bench:", err)
		return code
	}
	if fs.NArg() > 0 {
		return fail(2, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if *engine {
		ef.cpuProfile = *cpuProfile
		if err := engineProcess(ctx, getenv, stdin, stdout, stderr, rl, ef); err != nil {
			return fail(1, err)
		}
		return 0
	}
	o := bench.Options{
		Seed: *seed, Scenarios: splitList(*scenarios),
		LimitsTarget: *limitTarget, Freshness: *fresh, PollInterval: *poll, WebhookPollInterval: *webhookPoll,
		CPUProfile: *cpuProfile, Out: stdout, RedisServer: *redisServer, RedisURL: getenv("REDIS_URL"),
	}
	largest := simulation.Size{Tickets: *tickets, Bugs: *bugs, Orgs: *orgs}
	o.Backfill = []simulation.Size{scaled(largest, 4), scaled(largest, 2), largest}
	o.Limits = proportional(*limitTickets)
	o.Steady = proportional(*steadyTickets)
	var err error
	if o.Changes, err = intList(*changes); err != nil {
		return fail(2, fmt.Errorf("--changes: %w", err))
	}
	if *quick {
		o.Backfill = []simulation.Size{{Tickets: 500, Bugs: 50, Orgs: 20}, {Tickets: 1000, Bugs: 100, Orgs: 40}}
		o.Limits, o.LimitsTarget = proportional(1000), 3*time.Second
		o.Steady, o.Changes, o.IdleAtOnce = proportional(1000), []int{1, 10, 100}, true
		o.Freshness, o.PollInterval = 3, 200*time.Millisecond
	}
	for _, sc := range o.Scenarios {
		if !slices.Contains(bench.Scenarios, sc) {
			return fail(2, fmt.Errorf("--scenarios: unknown scenario %q (want some of %s)", sc, strings.Join(bench.Scenarios, ", ")))
		}
	}
	if err := measure(ctx, o, *logLevel, *logFormat, stderr, rl); err != nil {
		return fail(1, err)
	}
	return 0
}

// measure runs the scenarios of o, starting each engine process as this
// program with --engine.
func measure(ctx context.Context, o bench.Options, logLevel, logFormat string, stderr io.Writer, rl *logging.RedisLog) error {
	// The bench's log and the engine processes' stderr (copied in by
	// os/exec's goroutines) share one stream.
	locked := &lockedWriter{w: stderr}
	o.Stderr = locked
	log, err := logging.New(logLevel, logFormat, locked)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	rl.To(log)
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find this program to run the engine: %w", err)
	}
	o.Engine = []string{exe, "--engine"}
	if logLevel != "" {
		o.Engine = append(o.Engine, "--log-level", logLevel)
	}
	if o.RedisServer != "" {
		if _, err := exec.LookPath(o.RedisServer); err != nil {
			log.Info("no redis-server to start: using REDIS_URL", zap.String("program", o.RedisServer))
			o.RedisServer = ""
		}
	}
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
	mu sync.Mutex
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

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/webhook"
	"github.com/helpdesk-sync/helpdesk-sync/sync/board"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/metrics"
	"github.com/helpdesk-sync/helpdesk-sync/sync/ops"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/sidebar"
)

func (a *app) runCommand() *ffcli.Command {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	a.globalFlags(fs)
	return &ffcli.Command{
		Name:       "run",
		ShortUsage: "helpdesk-sync run [--config FILE]",
		ShortHelp:  "run the service: poll as the leader, work the shared queue, serve health, metrics and webhooks",
		LongHelp: "Runs until SIGTERM or SIGINT. Every replica works the shared queue; the one holding the\n" +
			"leader lease in Redis also polls both systems every sync.poll_interval and sweeps for stale\n" +
			"bugs. http.listen serves /healthz, /readyz, /metrics (and /debug/pprof with http.pprof), and the\n" +
			"webhooks and board; with http.admin_listen, /metrics, pprof and /readyz's details move there.\n" +
			"On SIGTERM /readyz turns 503 at once, no new leader work starts, the step under way\n" +
			"finishes (cancelled past sync.shutdown_grace: every page and item is a checkpoint), the\n" +
			"lease is released for a standby to take over, and the process exits 0.",
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			return a.run(ctx)
		},
	}
}

// run is the service's life: assemble, serve, work until ctx ends, stop
// in order.
func (a *app) run(ctx context.Context) error {
	cfg, log, err := a.configured()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	r, err := a.assemble(cfg, log)
	if err != nil {
		return err
	}
	defer r.svc.Close()
	if err := r.srv.Start(); err != nil {
		return err
	}
	log.Info("running", zap.String("version", currentBuild().Version), zap.String("listen", cfg.HTTP.Listen),
		zap.String("admin_listen", cfg.HTTP.AdminListen),
		zap.Duration("poll_interval", cfg.Sync.PollInterval), zap.Duration("lease_ttl", cfg.Sync.LeaseTTL),
		zap.Duration("shutdown_grace", cfg.Sync.ShutdownGrace), zap.Duration("readiness_bound", readinessBound(cfg)))
	r.start(min(cfg.Sync.PollInterval, 15*time.Second))

	var failure error
	select {
	case <-ctx.Done():
		log.Info("shutting down: stopping at the next checkpoint", zap.Duration("grace", cfg.Sync.ShutdownGrace))
	case err := <-r.leaseDone:
		// Lease.Run returns only when its context ends, which it has not:
		// the replica must not go on without a lease campaign.
		failure = fmt.Errorf("leader lease campaign stopped: %w", err)
		r.leaseDone <- err // for stop, which waits on it
		log.Error("shutting down", zap.Error(failure))
	}
	return errors.Join(failure, r.stop(cfg.Sync.ShutdownGrace))
}

// replica is one running service: what run assembles, starts and stops.
type replica struct {
	log      *zap.Logger
	svc      *service.Service
	srv      *ops.Server
	metrics  *metrics.Recorder
	progress *ops.Progress
	gate     *stepGate
	webhooks *webhook.Receiver // nil unless webhooks.enabled
	monitor  *board.Monitor

	// The engine and the lease have contexts of their own, not the
	// signal's: stop ends them in order, the engine first, so that the
	// lease is held until the last write under way has returned.
	stopEngine, stopLease, stopClaimant, stopNotices func()
	engineDone, leaseDone, claimantDone              chan error
	noticesDone                                      chan struct{}
}

// assemble builds the replica: metrics on a registry of its own, the
// service with every observer, and the listener with its checks.
func (a *app) assemble(cfg *config.Config, log *zap.Logger) (*replica, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	build := currentBuild()
	m, err := metrics.New(reg, metrics.Options{Version: build.Version, Commit: build.Commit})
	if err != nil {
		return nil, err
	}
	r := &replica{log: log, metrics: m, progress: ops.NewProgress(readinessBound(cfg), nil), gate: &stepGate{},
		// The monitor records sync health in Redis for the board and the
		// status command of any replica, whether or not this one serves the board.
		monitor: board.NewMonitor(board.MonitorOptions{Logger: log.Named("board")})}
	so := service.Options{
		Logger:   log,
		Observer: connectors.Observers{m, r.progress, r.monitor},
		Recorder: m,
		Steps:    stepObservers{m, r.progress, r.gate, r.monitor},
		Latency:  m,

		SlackOutcome: m.SlackNotice,
	}
	if cfg.Webhooks.Enabled {
		// The receiver and the service share one Redis client, which the
		// service then closes.
		if so.Redis, err = dialRedis(cfg); err != nil {
			return nil, err
		}
		if r.webhooks, err = service.NewReceiver(cfg, so.Redis, log, m); err != nil {
			so.Redis.Close()
			return nil, err
		}
		so.Webhooks, so.OwnRedis = r.webhooks, true
	}
	if r.svc, err = service.New(cfg, so); err != nil {
		return nil, err
	}

	// Other parts of the service mount their handlers here, one line each.
	var routes []ops.Route
	if route, ok := r.svc.WebhookRoute(); ok {
		routes = append(routes, route)
	}
	if cfg.Board.Enabled {
		h, err := newBoardHandler(cfg, r.svc, log)
		if err != nil {
			r.svc.Close()
			return nil, err
		}
		for _, p := range board.Patterns {
			routes = append(routes, ops.Route{Pattern: p, Handler: h})
		}
	}

	if cfg.Sidebar.Enabled {
		h, err := r.svc.SidebarHandler(service.SidebarOptions{Logger: log})
		if err != nil {
			r.svc.Close()
			return nil, err
		}
		for _, p := range sidebar.Patterns {
			routes = append(routes, ops.Route{Pattern: p, Handler: h})
		}
	}

	r.srv, err = ops.New(ops.Options{
		Addr: cfg.HTTP.Listen, AdminAddr: cfg.HTTP.AdminListen, Gatherer: reg, Pprof: cfg.HTTP.Pprof, Routes: routes, Logger: log,
		Checks: a.readinessChecks(r.svc, r.progress),
	})
	if err != nil {
		r.svc.Close()
		return nil, err
	}
	return r, nil
}

// start campaigns for the lease, runs the engine, and samples the gauges
// that need a Redis read every sampleEvery.
func (r *replica) start(sampleEvery time.Duration) {
	leaseCtx, stopLease := context.WithCancel(context.Background())
	r.stopLease, r.leaseDone = stopLease, make(chan error, 1)
	go func() {
		r.leaseDone <- r.svc.Lease.Run(leaseCtx, func(lctx context.Context, token int64) error {
			r.metrics.SetLeader(token)
			r.progress.SetLeader(token)
			<-lctx.Done()
			r.metrics.SetLeader(0)
			r.progress.SetLeader(0)
			return nil
		})
	}()
	// The claimant outlives the engine: what the engine did not settle
	// is released when stop deletes its key.
	claimantCtx, stopClaimant := context.WithCancel(context.Background())
	r.stopClaimant, r.claimantDone = stopClaimant, make(chan error, 1)
	go func() { r.claimantDone <- r.svc.Claimant.Run(claimantCtx) }()
	engineCtx, stopEngine := context.WithCancel(context.Background())
	r.stopEngine, r.engineDone = stopEngine, make(chan error, 1)
	r.gate.stop = stopEngine
	go func() { r.engineDone <- r.svc.Engine.Run(engineCtx) }()
	if r.webhooks != nil {
		go func() {
			// Run returns only when its context ends; until then it keeps the
			// wake-up subscription, resubscribing after Redis outages.
			if err := r.webhooks.Run(engineCtx); err != nil && engineCtx.Err() == nil {
				r.log.Error("webhook wake-ups stopped; the queue is still worked every poll", zap.Error(err))
			}
		}()
	}
	if r.svc.Notices != nil {
		// Notices outlive the engine: stop queues what its last step
		// recorded before they end.
		noticesCtx, stopNotices := context.WithCancel(context.Background())
		r.stopNotices, r.noticesDone = stopNotices, make(chan struct{})
		go func() { r.svc.Notices.Run(noticesCtx); close(r.noticesDone) }()
	}
	go sample(engineCtx, r.svc, r.metrics, sampleEvery, r.log)
	go func() {
		if err := r.monitor.Run(engineCtx, r.svc.Store); err != nil && engineCtx.Err() == nil {
			r.log.Warn("sync health recording stopped; the board shows it as stale", zap.Error(err))
		}
	}()
}

// stop winds the replica down in order within grace: readiness off (load
// balancers drain webhooks first); no new leader work, and the engine
// stopped once the step under way has finished (its writes in flight
// return, and what it had not begun stays queued); then the lease released
// (a standby takes over at once) and the listener closed after the
// requests in flight. Past grace, the step under way is cancelled: every
// page and item is a checkpoint, so that too loses nothing, and the exit
// is still 0.
func (r *replica) stop(grace time.Duration) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	r.srv.Drain()
	r.svc.Quiesce()
	r.gate.close()
	select {
	case <-r.engineDone:
		r.log.Info("engine stopped", zap.Duration("took", time.Since(start)))
	case <-ctx.Done():
		r.stopEngine()
		<-r.engineDone
		r.log.Warn("engine stopped: the step under way outlasted sync.shutdown_grace and was cancelled; what it had not finished is retried",
			zap.Duration("grace", grace), zap.Duration("took", time.Since(start)))
	}
	if r.stopNotices != nil {
		r.stopNotices()
		<-r.noticesDone // lets a post under way finish, within its timeout
	}
	r.stopClaimant()
	<-r.claimantDone // deletes the claimant's key with its own timeout
	r.stopLease()
	<-r.leaseDone // Run releases the lease with its own timeout, and returns ctx's error
	// The listener gets what is left of the grace, and a second at least,
	// for the requests in flight.
	sctx, scancel := context.WithTimeout(context.Background(), max(time.Until(start.Add(grace)), time.Second))
	defer scancel()
	if err := r.srv.Shutdown(sctx); err != nil {
		r.log.Error("stopped, not cleanly", zap.Duration("took", time.Since(start)), zap.Error(err))
		return exitWith(exitFailure, fmt.Errorf("http listener: %w", err))
	}
	r.log.Info("stopped", zap.Duration("took", time.Since(start)))
	return nil
}

// stepGate ends the engine's Run between two steps once shutdown begins:
// at once when no step is under way, else as the one under way finishes
// (Run checks its context right after each step).
type stepGate struct {
	mu      sync.Mutex
	stop    func() // cancels Run's context
	inStep  bool
	closing bool
}

func (g *stepGate) StepStarted(string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inStep = true
}

func (g *stepGate) ObserveStep(string, engine.Report, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inStep = false
	if g.closing {
		g.stop()
	}
}

// close lets the step under way finish and no other begin.
func (g *stepGate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closing = true
	if !g.inStep {
		g.stop()
	}
}

// readinessBound is how long a replica may go without progress before it
// is unready: three poll periods (the longest, while webhooks pace the
// polls) and the shutdown grace, which a step may spend finishing.
func readinessBound(cfg *config.Config) time.Duration {
	poll := cfg.Sync.PollInterval
	if cfg.Webhooks.Enabled {
		poll = max(poll, cfg.Sync.WebhookPollInterval)
	}
	return 3*poll + cfg.Sync.ShutdownGrace
}

// readinessChecks are what /readyz reports: Redis answers, the
// configuration (validated before anything started), the engine makes
// progress, and, without affecting readiness, the writes the blast-radius
// guard holds.
func (a *app) readinessChecks(svc *service.Service, progress *ops.Progress) []ops.Check {
	source := "the environment alone"
	if a.configPath != "" {
		source = a.configPath + " and the environment"
	}
	return []ops.Check{
		{Name: "redis", Run: func(ctx context.Context) (string, error) {
			start := time.Now()
			if err := svc.Ping(ctx); err != nil {
				return "", err
			}
			return "answered in " + time.Since(start).Round(time.Microsecond).String(), nil
		}},
		{Name: "config", Run: func(context.Context) (string, error) {
			return "valid: " + source + ", checked at start", nil
		}},
		{Name: "sync", Run: progress.Check},
		{Name: "guard", Advisory: true, Run: func(ctx context.Context) (string, error) {
			held, err := svc.Store.Guards(ctx)
			if err != nil {
				return "", err
			}
			return guardState(held)
		}},
	}
}

// guardState describes what the guard holds; holding is an error, shown
// but not making the replica unready (the writes wait for an operator).
func guardState(held []engine.GuardState) (string, error) {
	if len(held) == 0 {
		return "holding no writes", nil
	}
	var errs []error
	for _, g := range held {
		errs = append(errs, fmt.Errorf("holding %s (limit %d) since %s",
			plural(g.Planned, g.Kind+" write", g.Kind+" writes"), g.Limit, g.Since.UTC().Format(time.RFC3339)))
	}
	return "confirm with 'helpdesk-sync once --confirm-large-change' or raise the policy.max_* limit", errors.Join(errs...)
}

// sample sets the gauges that need a Redis read: queue depth and held
// writes, every period until ctx ends.
func sample(ctx context.Context, svc *service.Service, m *metrics.Recorder, every time.Duration, log *zap.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	failing := false
	for {
		backlog, err := svc.Engine.Backlog(ctx)
		if err == nil {
			m.SetBacklog(backlog)
			var held []engine.GuardState
			if held, err = svc.Store.Guards(ctx); err == nil {
				m.SetGuards(held)
			}
		}
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			log.Warn("cannot sample queue depth and guard for metrics", zap.Error(err))
			failing = true
		case err == nil && failing:
			log.Info("sampling queue depth and guard again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// stepObservers fans the engine's step reports out.
type stepObservers []engine.StepObserver

func (s stepObservers) StepStarted(step string) {
	for _, o := range s {
		o.StepStarted(step)
	}
}

func (s stepObservers) ObserveStep(step string, rep engine.Report, err error) {
	for _, o := range s {
		o.ObserveStep(step, rep, err)
	}
}

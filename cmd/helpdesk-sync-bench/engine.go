package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/helpdesk-sync-bench/internal/bench"
	"github.com/helpdesk-sync/helpdesk-sync/cmd/internal/logging"
	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/sync/ops"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

// engineFlags are the engine process's internal flags, which the bench sets.
type engineFlags struct {
	jobPoll         time.Duration
	updatePerMinute int
	budgetSpeedup   float64
	cpuProfile      string
}

// engineProcess is the engine process of a bench: the service assembled
// from the configuration the bench put in its environment, serving the
// commands it reads on stdin. With webhooks.enabled it also serves the
// webhook receiver on http.listen, wired to the engine as run wires it.
func engineProcess(ctx context.Context, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, rl *logging.RedisLog, f engineFlags) (err error) {
	cfg, err := config.Load("", getenv)
	if err != nil {
		return fmt.Errorf("the configuration the bench gave: %w", err)
	}
	log, err := logging.New(cfg.Log.Level, cfg.Log.Format, stderr, cfg.Secrets()...)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	rl.To(log)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	stop, err := startCPUProfile(f.cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	ro, err := cfg.Redis.UniversalOptions()
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	rdb := redis.NewUniversalClient(ro)
	defer rdb.Close()
	trips := &state.RoundTrips{}
	rdb.AddHook(trips)
	// A backfill is a large change by definition: the blast-radius guard
	// would hold it for an operator.
	e := bench.Engine{RoundTrips: trips, Steps: &bench.Steps{}}
	so := service.Options{Logger: log, Redis: rdb, NoLease: true, ConfirmLargeChange: true, Steps: e.Steps}
	if cfg.Webhooks.Enabled {
		e.Deliveries = &bench.Deliveries{}
		if so.Webhooks, err = service.NewReceiver(cfg, rdb, log, e.Deliveries); err != nil {
			return err
		}
	}
	svc, err := service.New(cfg, so, servicetest.WithJobPoll(f.jobPoll),
		servicetest.WithUpdateTicketBudget(f.updatePerMinute), servicetest.WithBudgetSpeedup(f.budgetSpeedup))
	if err != nil {
		return err
	}
	defer svc.Close()
	if err := svc.Ping(ctx); err != nil {
		return err
	}
	e.Engine, e.Requests = svc.Engine, svc.Requests
	if route, ok := svc.WebhookRoute(); ok {
		addr, stopWebhooks, err := serveWebhooks(ctx, cfg, svc, route, log)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, stopWebhooks()) }()
		e.Listen = addr
	}
	return e.Serve(ctx, stdin, stdout)
}

// serveWebhooks serves route on http.listen and runs the receiver's
// wake-ups, as run does, until stop. addr is where it listens (http.listen
// may say port 0).
func serveWebhooks(ctx context.Context, cfg *config.Config, svc *service.Service, route ops.Route, log *zap.Logger) (addr string, stop func() error, err error) {
	srv, err := ops.New(ops.Options{Addr: cfg.HTTP.Listen, Routes: []ops.Route{route}, Logger: log})
	if err != nil {
		return "", nil, err
	}
	if err := srv.Start(); err != nil {
		return "", nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	// Run returns only when its context ends; until then it feeds the
	// engine's wake-ups.
	go func() { done <- svc.Webhooks.Run(rctx) }()
	return srv.Addr().String(), func() error {
		cancel()
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		if err := errors.Join(srv.Shutdown(sctx), <-done); err != nil {
			return fmt.Errorf("bench: webhook listener: %w", err)
		}
		return nil
	}, nil
}

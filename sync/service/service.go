// Package service assembles helpdesk-sync from its configuration: the Redis
// client, the shared transports with their rate budgets, the two adapters,
// the state store, the leader lease and the engine. Every subcommand that
// talks to the vendors (run, once, resync, validate --online, demo, bench)
// builds the same thing here, so what the tests and the demo exercise is what
// production runs.
package service

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/webhook"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/lease"
	"github.com/helpdesk-sync/helpdesk-sync/sync/notice"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/internal/tuning"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

// Options are what the configuration does not say: the process's
// collaborators and the operator's flags.
type Options struct {
	Logger *zap.Logger
	// Observer sees every HTTP attempt to either vendor (metrics); the
	// service always adds its own Counter.
	Observer connectors.Observer
	// Recorder sees every engine event (metrics, the demo's narration).
	Recorder engine.Recorder
	// Steps hears every finished cycle, drain and resync (metrics,
	// readiness).
	Steps engine.StepObserver
	// Latency sees the time from a webhook delivery to the write it
	// caused (metrics).
	Latency engine.LatencyObserver
	// Webhooks is the receiver of NewReceiver, nil without webhooks: its
	// deliveries wake the engine's Run to drain the queue at once, and
	// polling slows to the backstop interval while both vendors deliver.
	Webhooks           *webhook.Receiver
	DryRun             bool
	ConfirmLargeChange bool
	// Redis, when set, is used instead of dialling cfg.Redis (the demo's
	// embedded server); the service closes it only with OwnRedis.
	Redis    redis.UniversalClient
	OwnRedis bool
	// NoLease runs without leader election (once, resync, demo): the caller
	// is the only writer by construction.
	NoLease bool
	// SlackOutcome hears the outcome of each Slack notice (sent, retried,
	// failed, uncertain, dropped): metrics.
	SlackOutcome func(outcome string)
	// LocalBudgets keeps the request budgets in this process instead of
	// Redis, so that the vendors answer while Redis does not: for
	// validate --online, whose few requests need no sharing.
	LocalBudgets bool
}

// Option changes the assembly for the demo, the tests and the benchmarks
// (a simulated clock, loopback transports, sped-up budgets); package
// servicetest makes them. Production passes none.
type Option func(*tuning.Tuning)

// Service is helpdesk-sync assembled. Close it when done.
type Service struct {
	Config   *config.Config
	Redis    redis.UniversalClient
	Store    *state.Store
	Helpdesk *zendesk.Client
	Tracker  *jira.Client
	Engine   *engine.Engine
	// Lease is nil with Options.NoLease.
	Lease *lease.Lease
	// Claimant holds this replica's claims on the shared queue: Start it
	// before the engine works, stop it after, so that the claims of a
	// replica that dies return to the queue within sync.lease_ttl.
	Claimant *lease.Claimant
	// Requests counts every HTTP attempt by vendor route.
	Requests *connectors.Counter
	// Webhooks is Options.Webhooks.
	Webhooks *webhook.Receiver
	// Notices posts Slack notices; nil unless a Slack webhook is
	// configured. Run it beside the engine (see notice.Notices.Run).
	Notices *notice.Notices

	fence    fence
	ownRedis bool
	clients  []*http.Client // the vendors' clients, whose connections Close releases
	drains   sync.WaitGroup // the sidebar's background drains, which Close waits for
}

// New builds the service; it makes no network request beyond dialling
// Redis lazily (go-redis connects on first use).
func New(cfg *config.Config, o Options, opts ...Option) (*Service, error) {
	var tune tuning.Tuning
	for _, opt := range opts {
		opt(&tune)
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	s := &Service{Config: cfg, Redis: o.Redis, Requests: &connectors.Counter{}, Webhooks: o.Webhooks, ownRedis: o.OwnRedis}
	if s.Redis == nil {
		ro, err := cfg.Redis.UniversalOptions()
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		s.Redis = redis.NewUniversalClient(ro)
		s.ownRedis = true
	}
	observer := connectors.Observers{s.Requests}
	if o.Observer != nil {
		observer = append(observer, o.Observer)
	}
	prefix := cfg.Redis.KeyPrefix
	limiter := RedisLimiters(s.Redis)
	if o.LocalBudgets {
		limiter = LocalLimiters
	}

	zdHTTP := &http.Client{Transport: connectors.NewTransport(connectors.Options{
		Vendor: "zendesk", Base: tune.Base,
		Limits:   ZendeskLimits(limiter, prefix, cfg.Zendesk, cmp.Or(tune.UpdateTicketPerMinute, ZendeskUpdateTicketPerMinute), tune.BudgetSpeedup),
		Observer: observer, Logger: o.Logger,
	})}
	var now func() time.Time
	if tune.Clock != nil {
		now = tune.Clock.Now
	}
	zo := ZendeskOptions(cfg.Zendesk, zdHTTP, o.Logger, now)
	zo.JobPoll = tune.JobPoll
	zo.RevenueField = cfg.Revenue.Field
	hd, err := zendesk.New(zo)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("zendesk: %w", err)
	}
	jiraHTTP := &http.Client{Transport: connectors.NewTransport(connectors.Options{
		Vendor: "jira", Base: tune.Base, Limits: JiraLimits(limiter, prefix, cfg.Jira, tune.BudgetSpeedup),
		Observer: observer, Logger: o.Logger,
	})}
	jo := JiraOptions(cfg.Jira, jiraHTTP, o.Logger, now)
	jo.RevenueField = cfg.Revenue.JiraField
	tr, err := jira.New(jo)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("jira: %w", err)
	}
	s.Helpdesk, s.Tracker = hd, tr
	s.clients = []*http.Client{zdHTTP, jiraHTTP}
	s.Store = state.New(s.Redis, prefix, cfg.Sync.CacheTTL)

	if s.Notices, err = newNotices(cfg, s, o, tune); err != nil {
		s.Close()
		return nil, err
	}
	var recorder engine.Recorder = o.Recorder
	if s.Notices != nil {
		recorder = recorders{s.Notices}
		if o.Recorder != nil {
			recorder = recorders{o.Recorder, s.Notices}
		}
	}
	eo := engine.Options{
		Helpdesk: hd, Tracker: tr, Store: s.Store, Policy: Policy(cfg),
		Logger: o.Logger, Clock: tune.Clock, Recorder: recorder, Steps: o.Steps, Latency: o.Latency,
		DryRun: o.DryRun || cfg.Policy.DryRun, ConfirmLargeChange: o.ConfirmLargeChange,
		Workers: cfg.Sync.Workers, Lease: tune.ClaimLease, PollInterval: cfg.Sync.PollInterval, SweepInterval: cfg.Sync.SweepInterval,
		ReleaseCheck: cfg.Sync.ReleaseCheckInterval, OrganizationCheck: cfg.Sync.OrganizationCheckInterval,
	}
	if o.Webhooks != nil {
		eo.Wake, eo.Pacer = o.Webhooks.Wake(), o.Webhooks
	}
	if !o.NoLease {
		s.Lease = lease.New(s.Redis, prefix+"leader", cfg.Sync.LeaseTTL, o.Logger)
		s.fence.lease = s.Lease
		eo.Elected = s.Lease.Acquired()
	}
	eo.Fence = &s.fence
	s.Claimant = lease.NewClaimant(s.Redis, prefix+state.ClaimantPrefix, cfg.Sync.LeaseTTL, o.Logger)
	eo.Claimant = s.Claimant
	if s.Engine, err = engine.New(eo); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Ping checks that Redis answers.
func (s *Service) Ping(ctx context.Context) error {
	if err := s.Redis.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// Close releases the vendors' idle HTTP connections and the Redis client
// the service dialled.
func (s *Service) Close() error {
	s.drains.Wait()
	for _, c := range s.clients {
		c.CloseIdleConnections()
	}
	if s.ownRedis && s.Redis != nil {
		return s.Redis.Close()
	}
	return nil
}

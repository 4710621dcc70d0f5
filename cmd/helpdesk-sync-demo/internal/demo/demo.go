// Package demo runs helpdesk-sync's real worker against the built-in
// Zendesk and Jira simulators, seeded with a generated account, with its
// Slack notices posted to a local stand-in of Slack's webhooks, and tells
// what it does in six short stories: the backfill, an agent linking
// tickets, an engineer fixing a bug, a bug going stale, an idle cycle, and
// a mass change met by the dry run and the blast-radius guard.
//
// Nothing it prints is canned: counts come from the engine's reports and
// events, what the vendors hold (priorities, counts, notes, comments,
// labels, request logs) is read back from the simulators, and the Slack
// notices are the messages the stand-in accepted.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack/slacktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// Options configure Run.
type Options struct {
	Dataset simulation.Dataset
	Out     io.Writer
	// Verbose lists every engine event of each step.
	Verbose bool
	Logger  *zap.Logger
	// RedisURL is the Redis tried first (REDIS_URL); "" is
	// redis://127.0.0.1:6379/0. When none answers, an embedded one is used.
	RedisURL string
	// Redis and KeyPrefix, when set, are used instead (tests). The demo's
	// keys are deleted at the end either way.
	Redis     redis.UniversalClient
	KeyPrefix string
}

// Result is what a run left behind, for tests: the simulators and the
// Slack stand-in (stopped, their state still readable) and the facts the
// stories printed.
type Result struct {
	Stack *simulation.Stack
	Slack *slacktest.Server
	Steps []Step
	Facts Facts
}

// Run runs the demo to its end and prints it on o.Out.
func Run(ctx context.Context, o Options) (_ *Result, err error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	started := time.Now()
	out := &printer{w: o.Out}
	out.f("helpdesk-sync-demo: the real worker against simulated Zendesk and Jira accounts (seed %d)\n", o.Dataset.Seed)

	rdb, where, closeRedis, err := connectRedis(ctx, o)
	if err != nil {
		return nil, err
	}
	defer closeRedis()
	prefix := o.KeyPrefix
	if prefix == "" {
		prefix = demoPrefix + randomHex(4) + ":"
		stopAlive, err := keepAlive(ctx, rdb, prefix)
		if err != nil {
			return nil, err
		}
		defer stopAlive()
		if n, err := sweepAbandoned(ctx, rdb, demoPrefix); err != nil {
			return nil, err
		} else if n > 0 {
			out.f("Redis: deleted %s that stopped demos left behind.\n", plural(n, "key", "keys"))
		}
	}
	defer func() {
		n, cerr := deletePrefix(context.WithoutCancel(ctx), rdb, prefix)
		if cerr != nil {
			err = errors.Join(err, fmt.Errorf("demo: delete the keys under %s: %w", prefix, cerr))
			return
		}
		if err == nil {
			out.f("\nRedis: deleted the demo's %s under %s. Done in %s.\n", plural(n, "key", "keys"), prefix, time.Since(started).Round(100*time.Millisecond))
		}
	}()
	out.f("Redis: %s, keys under %s (deleted at the end)\n", where, prefix)

	clock := clocktest.NewShifted(time.Now().UTC().Truncate(time.Second))
	st, err := simulation.Start(ctx, o.Dataset, simulation.StackOptions{Clock: clock.Now, Logger: o.Logger.Named("simulation")})
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	out.f("Simulators: Zendesk at %s, Jira at %s, seeded with\n  %s.\n", st.Settings.ZendeskURL, st.Settings.JiraURL, st.Summary)
	sl, err := slacktest.Listen("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer sl.Close()

	cfg, err := demoConfig(st.Settings, sl.WebhookURL(), prefix)
	if err != nil {
		return nil, err
	}
	d := &run{o: o, out: out, clock: clock, st: st, rec: &servicetest.Recorder{}, cfg: cfg, rdb: rdb,
		policy: service.Policy(cfg), tiers: tiersOf(o.Dataset), slack: sl}
	if d.svc, err = d.service(cfg, service.Options{}); err != nil {
		return nil, err
	}
	defer d.svc.Close()
	out.f("Policy:  %s\n", d.describePolicy())

	res := &Result{Stack: st, Slack: sl}
	err = d.stories(ctx)
	res.Steps, res.Facts = d.steps, d.facts
	if err != nil {
		return res, err
	}
	d.summary()
	return res, d.out.err
}

// service assembles the real service on the demo's Redis, clock and
// recorder, with o's flags (dry run, confirmation). The simulator finishes
// update_many jobs at once and enforces no Update Ticket budget: waiting
// for either would only slow the story.
func (d *run) service(cfg *config.Config, o service.Options) (*service.Service, error) {
	o.Logger, o.Recorder, o.Redis, o.NoLease = d.o.Logger, d.rec, d.rdb, true
	svc, err := service.New(cfg, o, servicetest.WithClock(d.clock),
		servicetest.WithJobPoll(10*time.Millisecond), servicetest.WithUpdateTicketBudget(60000))
	if err != nil {
		return nil, fmt.Errorf("demo: assemble the service: %w", err)
	}
	return svc, nil
}

// demoConfig is the service's configuration for the stack: the stack's
// settings plus the example configuration's policy and Slack notices to
// webhook, loaded and validated the way the service loads its own. The
// simulators enforce no budgets, so the client-side ones are set high
// enough not to pace the demo.
func demoConfig(s simulation.Settings, webhook, prefix string) (*config.Config, error) {
	env := map[string]string{}
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for k, v := range map[string]string{
		"REDIS_KEY_PREFIX":                   prefix,
		"ZENDESK_REQUESTS_PER_MINUTE":        "60000",
		"ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "60000",
		"JIRA_REQUESTS_PER_SECOND":           "1000",
		"POLICY_TIER_WEIGHTS":                "enterprise=5,pro=2,free=1",
		"POLICY_COUNT_LABELS":                "10=customers-10plus,50=customers-50plus",
		"POLICY_PRIORITY_LOCKED_LABEL":       simulation.LockedLabel,
		"POLICY_STALE_EXEMPT_LABELS":         simulation.OnHoldLabel,
		// The simulated organizations' revenue field holds euros.
		"REVENUE_FIELD":    simulation.RevenueField,
		"REVENUE_CURRENCY": simulation.RevenueCurrency,
		// Every notice to the stand-in; the digest is left out, as
		// nothing in the story waits for its hour.
		"SLACK_WEBHOOK_URL": webhook,
		"SLACK_DIGEST_HOUR": "-1",
	} {
		env[config.EnvPrefix+k] = v
	}
	cfg, err := config.Load("", func(k string) string { return env[k] })
	if err != nil {
		return nil, fmt.Errorf("demo: configuration: %w", err)
	}
	return cfg, nil
}

func (d *run) describePolicy() string {
	p := d.policy
	var th []string
	for _, t := range p.Thresholds {
		th = append(th, fmt.Sprintf("%s at %s", t.Priority, formatCount(t.Customers)))
	}
	var w []string
	for _, tier := range []string{simulation.TierEnterprise, simulation.TierPro, simulation.TierFree} {
		w = append(w, fmt.Sprintf("%s %s", tier, formatCount(p.Weight(tier))))
	}
	return fmt.Sprintf("customers weigh %s; priority raised to %s (weighted count); stale after %s at High; revenue waiting counted from %s in %s",
		strings.Join(w, ", "), strings.Join(th, ", "), days(p.Window("High")), d.cfg.Revenue.Field, p.Revenue.Currency)
}

func tiersOf(ds simulation.Dataset) map[int64]string {
	out := make(map[int64]string, ds.Size.Orgs)
	for o := range ds.Orgs() {
		out[o.ID] = o.Tier
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

package service

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/notice"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/internal/tuning"
)

// slackTimeout bounds one post to a webhook. Slack answers in well under
// a second; a post that takes longer is given up and retried from the
// outbox, on the notices' goroutine, never the engine's.
const slackTimeout = 10 * time.Second

// newNotices assembles the Slack notices of cfg.Slack, nil when no
// webhook is configured.
//
// Each client makes one attempt per post: retries (5xx, 429 after its
// Retry-After) go through the outbox, which keeps them across restarts
// and holds no post open while it waits. The shared vendor transport
// (connectors.Transport) is not used: it does not retry a POST on a 5xx
// unless told it is idempotent, its budgets and request metrics are
// per-vendor API, and its log lines name a request's route, which for a
// webhook is the secret.
func newNotices(cfg *config.Config, s *Service, o Options, tune tuning.Tuning) (*notice.Notices, error) {
	hooks := cfg.Slack.Hooks()
	if len(hooks) == 0 {
		return nil, nil
	}
	log := o.Logger.Named("slack")
	posters := map[string]slack.Poster{}
	for name, url := range hooks {
		hc := &http.Client{Timeout: slackTimeout, Transport: tune.Base}
		c, err := slack.NewClient(url.Value(), slack.ClientOptions{Name: name, HTTP: hc, Clock: tune.Clock, Logger: log, MaxAttempts: 1})
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		posters[name] = c
		s.clients = append(s.clients, hc)
	}
	interrupted := slack.ResendInterrupted
	if cfg.Slack.OnInterrupted == "drop" {
		interrupted = slack.DropInterrupted
	}
	policy := Policy(cfg)
	n, err := notice.New(notice.Options{
		Redis: s.Redis, Prefix: cfg.Redis.KeyPrefix, Store: s.Store, Webhooks: posters,
		Rules: rules(cfg.Slack.Rules), Priorities: slices.Clone(cfg.Jira.Priorities),
		Revenue: policy.Revenue, Thresholds: policy.Thresholds,
		Location: cfg.Slack.Location(), DigestHour: cfg.Slack.DigestHour, DigestTop: cfg.Slack.DigestTop,
		Interrupted: interrupted, MaxPending: cfg.Slack.MaxPending, Clock: tune.Clock, Logger: o.Logger,
		Outcome: o.SlackOutcome,
	})
	if err != nil {
		return nil, err
	}
	log.Info("slack notices on", zap.Strings("webhooks", slices.Sorted(maps.Keys(hooks))), zap.Int("rules", len(cfg.Slack.Rules)))
	return n, nil
}

// rules translates the configured rules; config validated them.
func rules(in config.SlackRules) slack.Rules {
	out := make(slack.Rules, 0, len(in))
	for _, r := range in {
		rule := slack.Rule{Webhook: r.Webhook, Projects: r.Projects, Priorities: r.Priorities, MinCustomers: r.MinCustomers, MinRevenue: r.MinRevenue}
		for _, e := range r.Events {
			rule.Events = append(rule.Events, slack.Kind(e))
		}
		out = append(out, rule)
	}
	return out
}

// recorders hands each event to every recorder in turn.
type recorders []engine.Recorder

func (rs recorders) Record(ev engine.Event) {
	for _, r := range rs {
		r.Record(ev)
	}
}

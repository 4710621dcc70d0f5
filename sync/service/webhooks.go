package service

import (
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/webhook"
	"github.com/helpdesk-sync/helpdesk-sync/sync/ops"
)

// WebhookPattern is where the receiver's endpoints are mounted:
// POST /webhooks/zendesk and POST /webhooks/jira.
const WebhookPattern = "/webhooks/"

// NewReceiver is the webhook receiver of the configuration: it verifies
// and dedupes deliveries, queues what they name, and wakes whichever
// replica works the queue. rdb is the service's Redis client (pass it as
// Options.Redis too), and the receiver goes to Options.Webhooks; serve
// WebhookRoute and Run the receiver beside the engine's Run. obs counts
// deliveries (metrics); nil counts nothing.
func NewReceiver(cfg *config.Config, rdb redis.UniversalClient, log *zap.Logger, obs webhook.Observer) (*webhook.Receiver, error) {
	w := cfg.Webhooks
	return webhook.New(webhook.Options{
		Redis: rdb, Prefix: cfg.Redis.KeyPrefix,
		ZendeskSecret: w.ZendeskSecret.Value(), JiraSecret: w.JiraSecret.Value(),
		Tolerance: w.Tolerance, MaxBodyBytes: w.MaxBodyBytes,
		Backstop: cfg.Sync.WebhookPollInterval,
		Logger:   log.Named("webhook"), Observer: obs,
	})
}

// WebhookRoute serves the receiver of Options.Webhooks, queuing on the
// service's engine; ok is false without webhooks.
func (s *Service) WebhookRoute() (r ops.Route, ok bool) {
	if s.Webhooks == nil {
		return ops.Route{}, false
	}
	return ops.Route{Pattern: WebhookPattern, Handler: s.Webhooks.Handler(s.Engine)}, true
}

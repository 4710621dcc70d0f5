package main

import (
	"fmt"
	"net/http"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/helpdesk-sync/internal/service"
	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/webhook"
	"github.com/helpdesk-sync/helpdesk-sync/sync/board"
	"github.com/helpdesk-sync/helpdesk-sync/sync/metrics"
)

// dialRedis is the Redis client of the configuration.
func dialRedis(cfg *config.Config) (redis.UniversalClient, error) {
	ro, err := cfg.Redis.UniversalOptions()
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	return redis.NewUniversalClient(ro), nil
}

// newReceiver is the webhook receiver of the configuration: it verifies
// and dedupes deliveries, queues what they name, and wakes whichever
// replica works the queue.
func newReceiver(cfg *config.Config, rdb redis.UniversalClient, log *zap.Logger, m *metrics.Recorder) (*webhook.Receiver, error) {
	w := cfg.Webhooks
	return webhook.New(webhook.Options{
		Redis: rdb, Prefix: cfg.Redis.KeyPrefix,
		ZendeskSecret: w.ZendeskSecret.Value(), JiraSecret: w.JiraSecret.Value(),
		Tolerance: w.Tolerance, MaxBodyBytes: w.MaxBodyBytes,
		Backstop: cfg.Sync.WebhookPollInterval,
		Logger:   log.Named("webhook"), Observer: m,
	})
}

// newBoardHandler serves the impact board and its JSON API from the
// service's state, behind the configured bearer token or basic auth.
func newBoardHandler(cfg *config.Config, svc *service.Service, log *zap.Logger) (http.Handler, error) {
	b := cfg.Board
	return board.NewHandler(board.NewModel(svc.Store, boardOptions(cfg, log)), board.HandlerOptions{
		Token: b.Token.Value(), BasicUser: b.BasicUser, BasicPassword: b.BasicPassword.Value(),
		Logger: log.Named("board"),
	})
}

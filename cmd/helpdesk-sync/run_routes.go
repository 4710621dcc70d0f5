package main

import (
	"fmt"
	"net/http"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/sync/board"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
)

// dialRedis is the Redis client of the configuration.
func dialRedis(cfg *config.Config) (redis.UniversalClient, error) {
	ro, err := cfg.Redis.UniversalOptions()
	if err != nil {
		return nil, exitWith(exitConfig, fmt.Errorf("redis: %w", err))
	}
	return redis.NewUniversalClient(ro), nil
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

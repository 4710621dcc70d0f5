package logging

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// RedisLog receives go-redis's own log lines, which it would otherwise print
// raw on stderr (redis.SetLogger takes it), and hands them to the logger
// named by To, as logger "redis": JSON in production like every other line.
// Before To it drops them. Safe for concurrent use: go-redis logs from its
// pool's goroutines.
type RedisLog struct {
	to atomic.Pointer[zap.Logger]
}

// To routes the lines to l from now on.
func (r *RedisLog) To(l *zap.Logger) {
	r.to.Store(l.Named("redis").WithOptions(zap.WithCaller(false)))
}

// maxRedisLine bounds one line of go-redis's, which quotes addresses and
// errors.
const maxRedisLine = 500

// Printf is go-redis's logging interface (internal.Logging).
func (r *RedisLog) Printf(_ context.Context, format string, v ...any) {
	l := r.to.Load()
	if l == nil {
		return
	}
	msg := strings.TrimSpace(fmt.Sprintf(format, v...))
	msg = strings.TrimPrefix(msg, "redis: ")
	if len(msg) > maxRedisLine {
		msg = msg[:maxRedisLine] + "…"
	}
	l.Log(redisLevel(msg), msg)
}

// redisLevel is how much a line of go-redis's matters. A failed dial also
// fails the command that needed the connection, and the service reports
// that failure in its own words, once, at its own level: go-redis's line,
// one per attempt, is detail. Sentinel's failovers are news; anything else
// is a warning.
func redisLevel(msg string) zapcore.Level {
	switch {
	case strings.Contains(msg, "failed to dial"), strings.Contains(msg, "failed to get a usable connection"):
		return zapcore.DebugLevel
	case strings.HasPrefix(msg, "sentinel: new master"), strings.HasPrefix(msg, "sentinel: discovered new sentinel"):
		return zapcore.InfoLevel
	}
	return zapcore.WarnLevel
}

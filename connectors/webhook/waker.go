package webhook

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Run listens, until ctx ends, for deliveries accepted on any replica and
// feeds Wake. Every (re)subscription wakes too: a notice published while
// the subscription was down is lost, the queued work is not. Run returns
// nil when ctx ends.
func (r *Receiver) Run(ctx context.Context) error {
	ps := r.opts.Redis.Subscribe(ctx, r.channel)
	// A blocked receive does not watch ctx; closing the subscription ends it.
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer func() {
		if stop() {
			_ = ps.Close()
		}
	}()
	down := false
	for {
		// A receive that times out checks the connection with a ping, so
		// a silently dead one is found and replaced.
		msg, err := ps.ReceiveTimeout(ctx, 30*time.Second)
		if ctx.Err() != nil {
			return nil
		}
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			if err := ps.Ping(ctx); err != nil && !down {
				down = true
				r.log.Warn("webhook wake-up channel lost; queue workers fall back to their period until it is back", zap.Error(err))
			}
			continue
		case err != nil:
			if !down {
				down = true
				r.log.Warn("webhook wake-up channel lost; queue workers fall back to their period until it is back", zap.Error(err))
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		switch msg.(type) {
		case *redis.Subscription:
			if down {
				r.log.Info("webhook wake-up channel back")
			}
			down = false
			r.signal()
		case *redis.Message:
			r.signal()
		}
	}
}

// notify tells every replica's Run that work was queued.
func (r *Receiver) notify(ctx context.Context, p redis.Pipeliner) {
	p.Publish(ctx, r.channel, "")
}

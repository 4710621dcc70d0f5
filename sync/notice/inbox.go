package notice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// wire is an inbox event: what of an engine.Event a notice needs.
type wire struct {
	Kind  engine.EventKind `json:"k"`
	Bug   string           `json:"b"`
	Key   string           `json:"key"`
	Seq   int              `json:"s"`
	State engine.BugState  `json:"st,omitempty"`
	From  string           `json:"f,omitempty"`
	To    string           `json:"t,omitempty"`
}

// pushScript pushes ARGV[1] unless ARGV[2] events already wait.
var pushScript = redis.NewScript(`
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
return redis.call('LPUSH', KEYS[1], ARGV[1])`)

// recordTimeout bounds Record's Redis call: the engine waits on it.
const recordTimeout = 2 * time.Second

// Record implements engine.Recorder. It keeps the events that may make a
// notice in the inbox, in one Redis call; it never talks to Slack.
func (n *Notices) Record(ev engine.Event) {
	if ev.DryRun || ev.BugID == "" {
		return
	}
	switch {
	case ev.Kind == engine.EventPriorityChanged, ev.Kind == engine.EventStaleFlagged:
	case ev.Kind == engine.EventTransition && (ev.State == engine.StateDone || ev.State == engine.StateReleased):
	default:
		return
	}
	b, _ := json.Marshal(wire{Kind: ev.Kind, Bug: ev.BugID, Key: ev.BugKey, Seq: ev.Seq, State: ev.State, From: ev.From, To: ev.To})
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	pushed, err := pushScript.Run(ctx, n.rdb, []string{n.inbox}, b, n.opt.MaxPending).Int()
	switch {
	case err != nil:
		n.outcome(Dropped)
		n.log.Error("slack notice dropped: Redis did not take it", zap.String("event", string(ev.Kind)),
			zap.String("bug", ev.BugKey), zap.Error(err))
	case pushed == 0:
		n.outcome(Dropped)
		n.log.Error("slack notice dropped: the inbox is full (is the service's Run stopped?)", zap.String("event", string(ev.Kind)),
			zap.String("bug", ev.BugKey), zap.Int("max_pending", n.opt.MaxPending))
	}
}

// popScript removes the oldest inbox event if it is still ARGV[1]: two
// replicas flushing at once each process it (the outbox keeps one) and
// neither removes an event the other has not processed.
var popScript = redis.NewScript(`
if redis.call('LINDEX', KEYS[1], -1) == ARGV[1] then redis.call('RPOP', KEYS[1]) end
return 1`)

// Flush moves every inbox event to the outbox as notices, oldest first.
// An event is removed only once its notices are enqueued, so a crash
// anywhere leaves it to be processed again, to the same notice ids.
func (n *Notices) Flush(ctx context.Context) error {
	for ctx.Err() == nil {
		raw, err := n.rdb.LIndex(ctx, n.inbox, -1).Result()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("notice: read the inbox: %w", err)
		}
		var w wire
		if err := json.Unmarshal([]byte(raw), &w); err != nil {
			n.log.Error("slack notice dropped: unreadable inbox entry", zap.Error(err))
			n.outcome(Dropped)
		} else if err := n.process(ctx, w); err != nil {
			return err
		}
		if err := popScript.Run(ctx, n.rdb, []string{n.inbox}, raw).Err(); err != nil {
			return fmt.Errorf("notice: pop the inbox: %w", err)
		}
	}
	return ctx.Err()
}

// Package notice turns what the engine did into Slack notices and posts
// them, once each, without ever holding up a sync.
//
// The path of a notice:
//
//  1. Record (the engine's Recorder) keeps the events that may make a
//     notice — a priority change, a stale flag, a transition to fixed or
//     released — by pushing them on a bounded Redis list, the inbox: one
//     Redis call on the engine's goroutine, never a Slack call, and the
//     event survives a kill -9 from then on. Dry-run events are ignored:
//     only writes that were made are announced.
//  2. Flush (a goroutine of Run) takes inbox events oldest first, reads the
//     bug as the store knows it, decides whether the event is worth a
//     notice (a raise, not a lowering; a fix customers wait on), builds
//     the Block Kit message, routes it by the rules and enqueues it in the
//     slack.Outbox once per webhook. A notice's id is made of the bug id,
//     the kind and the change's Seq (record Seq, stale episode, priority
//     comment Seq) as the engine numbered it, never of a time: the same
//     change seen again — after a restart, on another replica — makes the
//     same id, which the outbox takes only once.
//  3. The slack.Sender (another goroutine of Run) posts what is due,
//     honouring 429 Retry-After and retrying 5xx through the outbox.
//
// The daily digest is built by every replica at the configured hour in
// the configured time zone and enqueued under the day's date, so that one
// post goes out however many replicas run.
package notice

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

// Store is what notices read of the engine's state.
type Store interface {
	Bugs(ctx context.Context, ids []string) (map[string]engine.BugRecord, error)
	BugMemories(ctx context.Context, ids []string) (map[string]engine.BugMemory, map[string]engine.Standing, error)
	RankedBugs(ctx context.Context) ([]state.Ranked, error)
}

// Outcomes, as Options.Outcome hears them.
const (
	Sent      = "sent"      // Slack took the post
	Retried   = "retried"   // a post failed and is due again later
	Failed    = "failed"    // given up: a permanent error, or too many attempts
	Uncertain = "uncertain" // dropped after an interrupted post (on_interrupted: drop)
	Dropped   = "dropped"   // never queued: the inbox or the outbox was full, or Redis failed
)

// Options configure Notices. Redis, Store and Webhooks are required.
type Options struct {
	Redis  redis.UniversalClient
	Prefix string // the service's key prefix
	Store  Store
	// Webhooks are the destinations by configured name.
	Webhooks map[string]slack.Poster
	// Rules route notices; empty sends every notice to every webhook.
	Rules slack.Rules
	// Priorities are the tracker's priorities, highest first: a change
	// up this list is a raise.
	Priorities []string
	// Revenue is how the engine counts revenue. When Enabled, notices and
	// the digest show the revenue waiting in its Currency, and rules may
	// route by it (MinRevenue); off, nothing about revenue is shown.
	Revenue engine.RevenuePolicy
	// Thresholds are the engine's priority thresholds: a raise notice
	// names the revenue waiting when a revenue threshold of the new
	// priority is reached.
	Thresholds []engine.Threshold
	Location   *time.Location // of DigestHour; nil is UTC
	DigestHour int            // -1: no digest
	DigestTop  int
	// Interrupted is what to do with a post a crash cut off.
	Interrupted slack.Interrupted
	// MaxPending bounds the inbox and the outbox each; 0 is 10000.
	MaxPending int
	Clock      clock.Clock
	Logger     *zap.Logger
	// Outcome hears each notice's outcome (the constants above): metrics.
	Outcome func(outcome string)
}

// Notices is the engine's Recorder for Slack, and the goroutines that
// post. Safe for concurrent use.
type Notices struct {
	opt    Options
	rdb    redis.UniversalClient
	box    *slack.Outbox
	sender *slack.Sender
	inbox  string // list of wire events, newest first
	logs   string // prefix of the digest's logs (sorted sets)
	clock  clock.Clock
	log    *zap.Logger
}

// New assembles Notices; it makes no network request.
func New(o Options) (*Notices, error) {
	if o.Redis == nil || o.Store == nil || len(o.Webhooks) == 0 {
		return nil, errors.New("notice: Redis, Store and at least one webhook are required")
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 10000
	}
	if len(o.Rules) == 0 {
		for name := range o.Webhooks {
			o.Rules = append(o.Rules, slack.Rule{Webhook: name})
		}
	}
	names := make([]string, 0, len(o.Webhooks))
	for name := range o.Webhooks {
		names = append(names, name)
	}
	if err := o.Rules.Validate(names); err != nil {
		return nil, fmt.Errorf("notice: %w", err)
	}
	for i, r := range o.Rules {
		if r.MinRevenue > 0 && !o.Revenue.Enabled {
			return nil, fmt.Errorf("notice: slack.rules[%d].min_revenue: set, but revenue is not counted (set revenue.field and revenue.currency)", i)
		}
	}
	n := &Notices{opt: o, rdb: o.Redis, clock: o.Clock, log: o.Logger.Named("slack"),
		inbox: o.Prefix + "{slack}:inbox", logs: o.Prefix + "{slack}:log:"}
	n.box = slack.NewOutbox(o.Redis, o.Prefix, o.Clock, 0).Limit(o.MaxPending)
	n.sender = slack.NewSender(n.box, slack.SenderOptions{Webhooks: o.Webhooks, Clock: o.Clock, Logger: n.log,
		Interrupted: o.Interrupted, Outcome: n.outcome, Budget: postBudget})
	return n, nil
}

func (n *Notices) outcome(o string) {
	if n.opt.Outcome != nil {
		n.opt.Outcome(o)
	}
}

// postBudget bounds one post (the clients make one attempt each, with a
// shorter timeout), so a shutdown waits at most this long for Slack.
const postBudget = 15 * time.Second

// poll is how often Run looks at the inbox: a notice waits at most this
// long before it is queued for Slack.
const poll = 2 * time.Second

// Run works the inbox, posts what is due and posts the daily digest,
// until ctx ends; then it moves what the inbox holds to the outbox, so a
// graceful stop leaves nothing in memory (nothing is ever only there).
func (n *Notices) Run(ctx context.Context) {
	done := make(chan struct{}, 2)
	go func() { n.sender.Run(ctx); done <- struct{}{} }()
	go func() { n.RunDigests(ctx); done <- struct{}{} }()
	for ctx.Err() == nil {
		if err := n.Flush(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("slack notices: inbox", zap.Error(err))
		}
		select {
		case <-ctx.Done():
		case <-n.clock.After(poll):
		}
	}
	final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := n.Flush(final); err != nil {
		n.log.Warn("slack notices: inbox at shutdown; what is left is queued at the next start", zap.Error(err))
	}
	<-done
	<-done
}

// Send posts every notice due now, one after the other, and returns when
// none is left: for a one-off command and for tests.
func (n *Notices) Send(ctx context.Context) error {
	for {
		err := n.sender.Next(ctx)
		var posting *slack.Error
		switch {
		case errors.Is(err, slack.ErrNothingDue):
			return nil
		case err == nil, errors.As(err, &posting) && ctx.Err() == nil:
			// A failed post is recorded in the outbox; go on.
		default:
			return err
		}
	}
}

// Status is what the outbox knows of notice id (as Enqueue named it).
func (n *Notices) Status(ctx context.Context, id string) (slack.Status, error) {
	return n.box.Status(ctx, id)
}

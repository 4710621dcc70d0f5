// Package webhook receives Zendesk and Jira webhooks. A delivery is
// refused from its headers when it cannot be authentic, read within a
// budget shared by all requests, authenticated (HMAC, constant-time
// compare, a timestamp window for Zendesk), bounded in size, deduplicated
// by what its signature covers, and then only names the changed ticket or
// issue on the engine's shared queue; any replica's queue worker reads it
// afresh and reconciles. Deliveries are answered in a few Redis round
// trips.
//
// A Receiver also wakes the queue worker of every replica when a delivery
// lands on any of them (Redis pub/sub), and paces polling: while both
// vendors deliver, polling is only the backstop.
package webhook

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"golang.org/x/sync/semaphore"
)

// Sources, as metrics and logs name them.
const (
	SourceZendesk = "zendesk"
	SourceJira    = "jira"
)

// Enqueuer queues ticket ids and bug refs (keys or issue ids) to be read
// afresh; sync.Engine implements it. An error wrapping sync.ErrPermanent
// means the names were refused; any other error is transient.
type Enqueuer interface {
	Enqueue(ctx context.Context, ticketIDs []int64, bugRefs []string) error
}

// ReleaseEnqueuer is an Enqueuer that also tracks releases: it queues the
// ids of versions Jira says were released, so that the fixed bugs waiting
// on them are looked at by the next pass rather than at the end of the
// release check interval. An engine.ErrPermanent error means the ids were
// refused.
type ReleaseEnqueuer interface {
	EnqueueReleases(ctx context.Context, versionIDs []string) error
}

// Observer counts deliveries by source and result (see the Result
// constants); metrics implement it. It must be safe for concurrent use.
type Observer interface {
	Delivery(source, result string)
}

// Results of a delivery.
const (
	ResultAccepted     = "accepted"      // 202: names queued
	ResultDuplicate    = "duplicate"     // 200: seen before, nothing queued
	ResultIgnored      = "ignored"       // 200: authentic, but names nothing the service follows
	ResultUnauthorized = "unauthorized"  // 401: signature missing or wrong, or no secret configured
	ResultBadTimestamp = "bad_timestamp" // 401: signed too long ago or in the future
	ResultTooLarge     = "too_large"     // 413: body over MaxBodyBytes
	ResultMalformed    = "malformed"     // 400: authentic, but not a body the service understands
	ResultMethod       = "method"        // 405: not a POST
	ResultBusy         = "busy"          // 503: too many bodies being read at once; the vendor retries
	ResultFailed       = "failed"        // 503: Redis failed; the vendor retries
)

// Options configure a Receiver.
type Options struct {
	Redis redis.UniversalClient
	// Prefix is the service's Redis key prefix; the receiver's keys and
	// channel live under it.
	Prefix string
	// ZendeskSecret and JiraSecret are the webhooks' signing secrets; a
	// source without one refuses every delivery.
	ZendeskSecret, JiraSecret string
	// Tolerance is how far a Zendesk signature timestamp may lie from now,
	// either side (default 5m). Deliveries are remembered for twice as
	// long, so a replay inside the window is a duplicate.
	Tolerance time.Duration
	// MaxBodyBytes bounds a body (default 1 MiB).
	MaxBodyBytes int64
	// ReadBudget bounds the bytes of the bodies being read and checked at
	// once, over all requests (default 8 × MaxBodyBytes, and never less
	// than MaxBodyBytes): a body takes its Content-Length of it, or
	// MaxBodyBytes when it has none. A request that does not get its share
	// within ReadWait (default 1s) is answered 503 with Retry-After, unread.
	ReadBudget int64
	ReadWait   time.Duration
	// Backstop is the poll interval while both vendors deliver (see
	// PollInterval); 0 never slows polling.
	Backstop time.Duration
	Logger   *zap.Logger      // nil logs nothing
	Observer Observer         // nil counts nothing
	Clock    func() time.Time // nil is the wall clock; checks timestamps
}

// Receiver serves the webhook endpoints and wakes queue workers.
type Receiver struct {
	opts    Options
	log     *zap.Logger
	now     func() time.Time
	channel string
	wake    chan struct{}
	reads   *semaphore.Weighted
}

// New checks the options and returns a receiver.
func New(o Options) (*Receiver, error) {
	if o.Redis == nil {
		return nil, errors.New("webhook: Options.Redis is required")
	}
	if o.ZendeskSecret == "" && o.JiraSecret == "" {
		return nil, errors.New("webhook: neither a Zendesk nor a Jira secret is set, so every delivery would be refused")
	}
	if o.Tolerance <= 0 {
		o.Tolerance = 5 * time.Minute
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.ReadBudget <= 0 {
		o.ReadBudget = 8 * o.MaxBodyBytes
	}
	o.ReadBudget = max(o.ReadBudget, o.MaxBodyBytes)
	if o.ReadWait <= 0 {
		o.ReadWait = time.Second
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return &Receiver{
		opts: o, log: o.Logger, now: o.Clock,
		channel: o.Prefix + "webhooks:wake",
		wake:    make(chan struct{}, 1),
		reads:   semaphore.NewWeighted(o.ReadBudget),
	}, nil
}

// Handler serves POST /webhooks/zendesk and POST /webhooks/jira, queuing
// what deliveries name on q. Mount it at "/webhooks/".
func (r *Receiver) Handler(q Enqueuer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/webhooks/zendesk", r.endpoint(zendesk(r.opts.ZendeskSecret, r.opts.Tolerance), q))
	mux.Handle("/webhooks/jira", r.endpoint(jira(r.opts.JiraSecret), q))
	return mux
}

// Wake receives once after deliveries accepted on any replica (several
// collapse into one); give it to sync.Options.Wake. Run feeds it.
func (r *Receiver) Wake() <-chan struct{} { return r.wake }

func (r *Receiver) signal() {
	select {
	case r.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// healthKey holds the time of the last accepted delivery of source; it
// expires after Backstop.
func (r *Receiver) healthKey(source string) string {
	return r.opts.Prefix + "webhooks:last:" + source
}

// PollInterval implements sync.Pacer: Backstop while both vendors have
// delivered within it (a missed delivery is then repaired by the next
// poll), else 0, which keeps the engine's own interval. A vendor without a
// secret is not delivering, so its changes need the regular polls.
func (r *Receiver) PollInterval(ctx context.Context) time.Duration {
	if r.opts.Backstop <= 0 || r.opts.ZendeskSecret == "" || r.opts.JiraSecret == "" {
		return 0
	}
	n, err := r.opts.Redis.Exists(ctx, r.healthKey(SourceZendesk), r.healthKey(SourceJira)).Result()
	if err != nil {
		r.log.Warn("webhook health unknown; polling at the regular interval", zap.Error(err))
		return 0
	}
	if n < 2 {
		return 0
	}
	return r.opts.Backstop
}

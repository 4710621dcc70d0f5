package slack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
)

// Event is one notice to post: ID makes it once-only (e.g.
// "raised:PROJ-1:High"), Webhook names the destination.
type Event struct {
	ID      string
	Webhook string
	Message Message
}

// Outbox is the Redis outbox. Keys live under prefix, in one hash slot
// ({slack}) so the scripts work on Redis Cluster too:
//
//	<prefix>{slack}:due       sorted set: event id → when it may next be claimed (unix ms)
//	<prefix>{slack}:ev:<id>   hash: payload, webhook, state, attempts, token, last_error
//
// State goes pending → claimed → posting → done, or back to pending to
// retry, or failed / uncertain. A finished event's hash is kept for
// Retention, so enqueueing its id again is a no-op that long.
type Outbox struct {
	rdb       redis.UniversalClient
	due       string
	evPrefix  string
	clock     clock.Clock
	retention time.Duration
	limit     int // most events waiting; 0 is no limit
}

// NewOutbox returns an outbox under prefix. retention (default 30 days)
// is how long a finished event is remembered.
func NewOutbox(rdb redis.UniversalClient, prefix string, clk clock.Clock, retention time.Duration) *Outbox {
	if clk == nil {
		clk = clock.Real{}
	}
	if retention <= 0 {
		retention = 30 * 24 * time.Hour
	}
	return &Outbox{rdb: rdb, due: prefix + "{slack}:due", evPrefix: prefix + "{slack}:ev:", clock: clk, retention: retention}
}

// Limit bounds the events waiting to be sent to n (0: no bound): past
// it Enqueue refuses new events with ErrFull, so a long Slack outage
// cannot fill Redis. It returns o.
func (o *Outbox) Limit(n int) *Outbox {
	o.limit = max(n, 0)
	return o
}

// ErrFull is Enqueue refusing an event because Limit events wait.
var ErrFull = errors.New("the outbox is full")

// maxID bounds event ids: they become key names.
const maxID = 512

var enqueueScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if tonumber(ARGV[5]) > 0 and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return -1 end
redis.call('HSET', KEYS[1], 'payload', ARGV[2], 'webhook', ARGV[3], 'state', 'pending', 'attempts', 0)
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1`)

// Enqueue adds e unless its id was seen before, in one Redis call; it
// reports whether e was new. It never talks to Slack. With Limit events
// waiting, a new event is refused with ErrFull.
func (o *Outbox) Enqueue(ctx context.Context, e Event) (bool, error) {
	if e.ID == "" || len(e.ID) > maxID {
		return false, fmt.Errorf("slack outbox: enqueue event %.40q: the id must be 1 to %d bytes", e.ID, maxID)
	}
	if e.Webhook == "" {
		return false, fmt.Errorf("slack outbox: enqueue event %q: no webhook named", e.ID)
	}
	payload, err := json.Marshal(e.Message)
	if err != nil {
		return false, fmt.Errorf("slack outbox: enqueue event %q: %w", e.ID, err)
	}
	n, err := enqueueScript.Run(ctx, o.rdb, []string{o.evPrefix + e.ID, o.due},
		e.ID, payload, e.Webhook, o.clock.Now().UnixMilli(), o.limit).Int()
	if err != nil {
		return false, fmt.Errorf("slack outbox: enqueue event %q: %w", e.ID, err)
	}
	if n < 0 {
		return false, fmt.Errorf("slack outbox: enqueue event %q: %w (%d waiting)", e.ID, ErrFull, o.limit)
	}
	return n == 1, nil
}

// claim is an event a sender holds until its lease ends.
type claim struct {
	id, webhook, token string
	message            Message
	attempts           int
	interrupted        bool // the previous holder died while posting it
}

// The claim takes the earliest due event and pushes its due time to the
// lease's end, so no other sender takes it meanwhile; when the holder dies
// the event comes due again. prev tells whether the holder was posting.
var claimScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
if #ids == 0 then return false end
local id = ids[1]
local k = ARGV[4] .. id
local f = redis.call('HMGET', k, 'payload', 'webhook', 'attempts', 'state')
if not f[1] then
  redis.call('ZREM', KEYS[1], id)
  return {id, '', '', '0', 'missing'}
end
redis.call('HSET', k, 'state', 'claimed', 'token', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], id)
return {id, f[1], f[2], f[3], f[4]}`)

// ErrNothingDue is Sender.Next finding no event due.
var ErrNothingDue = errors.New("nothing due")

func (o *Outbox) claim(ctx context.Context, lease time.Duration) (claim, error) {
	now := o.clock.Now()
	token := randomToken()
	res, err := claimScript.Run(ctx, o.rdb, []string{o.due},
		now.UnixMilli(), now.Add(lease).UnixMilli(), token, o.evPrefix).StringSlice()
	if errors.Is(err, redis.Nil) {
		return claim{}, ErrNothingDue
	}
	if err != nil {
		return claim{}, fmt.Errorf("slack outbox: claim: %w", err)
	}
	c := claim{id: res[0], webhook: res[2], token: token, interrupted: res[4] == "posting"}
	if res[4] == "missing" {
		return claim{}, fmt.Errorf("slack outbox: event %q was due but its record is gone; dropped it", c.id)
	}
	c.attempts, _ = strconv.Atoi(res[3])
	if err := json.Unmarshal([]byte(res[1]), &c.message); err != nil {
		return c, fmt.Errorf("slack outbox: event %q: decode the message: %w", c.id, err)
	}
	return c, nil
}

// The steps after the claim are fenced by its token: a sender whose lease
// ran out and whose event another sender took changes nothing.
var beginScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'posting')
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1`)

var doneScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'last_error', ARGV[4])
redis.call('HDEL', KEYS[1], 'token', 'payload')
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`)

var retryScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'pending', 'attempts', ARGV[4], 'last_error', ARGV[5])
redis.call('HDEL', KEYS[1], 'token')
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return 1`)

// errLeaseLost: another sender holds the event now.
var errLeaseLost = errors.New("the claim's lease ran out and another sender took the event")

// begin records that c is about to be posted and extends its lease to
// cover the post.
func (o *Outbox) begin(ctx context.Context, c claim, lease time.Duration) error {
	until := o.clock.Now().Add(lease).UnixMilli()
	return o.fenced(ctx, "begin", c, beginScript, c.token, until, c.id)
}

// finish ends c in state (done, failed or uncertain), remembering why.
func (o *Outbox) finish(ctx context.Context, c claim, state, why string) error {
	return o.fenced(ctx, state, c, doneScript, c.token, c.id, state, why, o.retention.Milliseconds())
}

// retry puts c back, due at the given time.
func (o *Outbox) retry(ctx context.Context, c claim, at time.Time, why string) error {
	return o.fenced(ctx, "retry", c, retryScript, c.token, c.id, at.UnixMilli(), c.attempts+1, why)
}

func (o *Outbox) fenced(ctx context.Context, step string, c claim, s *redis.Script, args ...any) error {
	n, err := s.Run(ctx, o.rdb, []string{o.evPrefix + c.id, o.due}, args...).Int()
	if err != nil {
		return fmt.Errorf("slack outbox: %s event %q: %w", step, c.id, err)
	}
	if n == 0 {
		return fmt.Errorf("slack outbox: %s event %q: %w", step, c.id, errLeaseLost)
	}
	return nil
}

// Status is what the outbox knows of one event.
type Status struct {
	State     string // pending, claimed, posting, done, failed, uncertain; "" when unknown
	Attempts  int
	LastError string
}

// Status returns the state of event id.
func (o *Outbox) Status(ctx context.Context, id string) (Status, error) {
	v, err := o.rdb.HMGet(ctx, o.evPrefix+id, "state", "attempts", "last_error").Result()
	if err != nil {
		return Status{}, fmt.Errorf("slack outbox: status of event %q: %w", id, err)
	}
	var s Status
	s.State, _ = v[0].(string)
	a, _ := v[1].(string)
	s.Attempts, _ = strconv.Atoi(a)
	s.LastError, _ = v[2].(string)
	return s, nil
}

func randomToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

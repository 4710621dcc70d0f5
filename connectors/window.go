package connectors

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// windowLog is a budget of limit requests per window kept in Redis, shared
// by every replica: a sorted set of the requests whose score is the latest
// moment (Redis's clock, µs) at which each may have reached the vendor.
//
// The vendor counts a request when it arrives, which is somewhere between
// its grant here and its answer there. So a request is entered at its
// grant with the latest moment it can still arrive (grant + flight, the
// bound the caller gives) and, once its answer is back, with the moment it
// was reported back (see answered); a request granted at t needs fewer
// than limit entries at or after t − window. Then no window of the vendor's
// holds more than limit arrivals, however late a request goes out or
// however long it takes on the way: of the requests that arrived in one,
// the last granted was granted at t before the window's end, and every
// other arrived, so came back, after its start, at or after t − window, so
// was counted when t was granted. A request that is never reported back
// (its process died) counts until its bound, then for one window more.
//
// The price is that a slot is busy for the request's round trip as well as
// the window: a budget of limit per window serves limit per (window +
// round trip) while it binds.
type windowLog struct {
	rdb    redis.UniversalClient
	key    string
	limit  int
	window int64 // µs, rounded up: a shorter window could be overrun
	// id and seq make each grant's member unique across replicas.
	id  string
	seq atomic.Uint64
}

func newWindowLog(rdb redis.UniversalClient, key string, limit int, window time.Duration) *windowLog {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	us := (window + time.Microsecond - 1) / time.Microsecond
	return &windowLog{rdb: rdb, key: key, limit: limit, window: int64(us), id: hex.EncodeToString(b)}
}

// takeScript grants one request (returns {1, 0}) or says in how many µs a
// slot may be free ({0, µs}). Times are Redis's, so replicas' clocks do not
// matter; they are formatted whole because a number handed to redis.call
// may be printed with fewer digits than 16. When the entry that must leave
// first is still in flight, its answer is at least now away, so a slot is
// at least a window away.
var takeScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit, window, flight = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%.0f', now - window))
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], string.format('%.0f', now + flight), ARGV[4])
  local ttl = math.ceil((flight + window) / 1000) + 1
  if redis.call('PTTL', KEYS[1]) < ttl then
    redis.call('PEXPIRE', KEYS[1], ttl)
  end
  return {1, 0}
end
local first = tonumber(redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')[2])
if first > now then
  return {0, window}
end
return {0, first + window + 1 - now}
`)

// answeredScript records that a request's answer is back: it arrived, if
// at all, before now. Its entry counts for a window from now (re-entered
// if it had already left, which only a request slower than its bound
// does).
var answeredScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[1])
local ttl = math.ceil(tonumber(ARGV[2]) / 1000) + 1
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
`)

// take grants a request if fewer than limit entries count, entering it as
// in flight until flight from now; or says how long until a slot may be
// free. member names the grant ("" when refused).
func (w *windowLog) take(ctx context.Context, flight time.Duration) (member string, retryAfter time.Duration, err error) {
	m := w.id + ":" + strconv.FormatUint(w.seq.Add(1), 36)
	res, err := takeScript.Run(ctx, w.rdb, []string{w.key}, w.limit, w.window, flight.Microseconds(), m).Int64Slice()
	if err != nil {
		return "", 0, err
	}
	if len(res) != 2 {
		return "", 0, fmt.Errorf("window log %q answered %v", w.key, res)
	}
	if res[0] == 1 {
		return m, 0, nil
	}
	return "", time.Duration(res[1]) * time.Microsecond, nil
}

// answered records that member's request has its answer back.
func (w *windowLog) answered(ctx context.Context, member string) error {
	return answeredScript.Run(ctx, w.rdb, []string{w.key}, member, w.window).Err()
}

// unsent frees member's slot: its request was never handed to the network.
func (w *windowLog) unsent(ctx context.Context, member string) error {
	return w.rdb.ZRem(ctx, w.key, member).Err()
}

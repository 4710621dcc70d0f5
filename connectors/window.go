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

// windowSlack widens a vendor's window of length per. The vendor counts a
// request when it arrives, and two requests a window apart here arrive
// less than a window apart there when the first is held up on its way
// more than the second: by the network (a hundredth of a second's window
// is 10 ms) or by a thread that waits for a CPU. Those waits are what a
// process's timers show as lateness, so late is the recent worst of it:
// on an idle machine 2 ms of slack drew no 429 in 9,268 requests at 15×,
// 0.7 ms drew 4; with the CPUs busy, a fixed slack drew several.
func windowSlack(per, late time.Duration) time.Duration {
	return min(per/100+2*time.Millisecond+late, per)
}

// windowLog is a sliding-window log in Redis: a sorted set of the times
// (Redis's clock, µs) at which requests were granted in the last window.
// A request is granted while the set holds fewer than limit; else the
// caller learns when the oldest one that matters leaves the window.
//
// The vendors count requests per window ("400 a minute", "10 a second");
// a log is the budget that says exactly that, so it never overruns a
// window and never leaves one unused: a request that went late does not
// move later ones (as it does with an evenly paced budget, whose slot it
// missed is lost), and requests that wait on nothing go at once. GCRA
// (go-redis/redis_rate) can burst only by letting a window hold more than
// its rate; no library keeps a shared log, hence the script.
type windowLog struct {
	rdb   redis.UniversalClient
	key   string
	limit int
	// keep is the longest window a caller asks about: grants older are
	// dropped.
	keep time.Duration
	// id and seq make each grant's member unique across replicas.
	id  string
	seq atomic.Uint64
}

func newWindowLog(rdb redis.UniversalClient, key string, limit int, keep time.Duration) *windowLog {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &windowLog{rdb: rdb, key: key, limit: limit, keep: keep, id: hex.EncodeToString(b)}
}

// takeScript grants one request (returns {1, 0}) or says in how many µs
// the next one may go ({0, µs}), counting the grants of the caller's
// window (ARGV[2]): each replica widens it by its own slack. Times are
// Redis's, so replicas' clocks do not matter; they are formatted whole
// because a number handed to redis.call may be printed with fewer digits
// than 16.
var takeScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit, window, keep = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - keep))
local since = '(' .. string.format('%.0f', now - window)
local n = redis.call('ZCOUNT', KEYS[1], since, '+inf')
if n < limit then
  redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(keep / 1000))
  return {1, 0}
end
local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], since, '+inf', 'WITHSCORES', 'LIMIT', n - limit, 1)
return {0, tonumber(oldest[2]) + window - now}
`)

// take grants a request if fewer than limit were granted in the last
// window (at most keep), or says how long until one may go.
func (w *windowLog) take(ctx context.Context, window time.Duration) (int, time.Duration, error) {
	member := w.id + ":" + strconv.FormatUint(w.seq.Add(1), 36)
	window = min(window, w.keep)
	res, err := takeScript.Run(ctx, w.rdb, []string{w.key}, w.limit, window.Microseconds(), w.keep.Microseconds(), member).Int64Slice()
	if err != nil {
		return 0, 0, err
	}
	if len(res) != 2 {
		return 0, 0, fmt.Errorf("window log %q answered %v", w.key, res)
	}
	return int(res[0]), time.Duration(res[1]) * time.Microsecond, nil
}

// Package state keeps the engine's memory in Redis: cursors, compact
// snapshots of tickets and bugs, the many-to-many link index, note and
// comment markers, the work queue shared by replicas, the organization cache
// and the blast-radius guard. It implements engine.Store.
//
// Every key lives under one prefix. Multi-key changes run as Lua scripts, so
// each is atomic, and reads are pipelined per batch. On Redis Cluster, give
// the prefix a hash tag ("{helpdesk-sync}:") so that all keys share a slot,
// as the scripts require.
//
// Times are the engine's clock, passed in, never Redis's: queue due times and
// cache expiry follow the clock the engine (or a test) runs on.
package state

import (
	"context"
	"embed"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Store is the Redis-backed engine.Store.
type Store struct {
	c      redis.UniversalClient
	prefix string
	orgTTL time.Duration
}

var _ engine.Store = (*Store)(nil)

// DefaultOrgTTL is how long organizations stay cached unless set otherwise.
const DefaultOrgTTL = time.Hour

// New returns a store keeping its keys under prefix (e.g. "helpdesk-sync:").
// Organizations stay cached for orgTTL (DefaultOrgTTL when zero).
func New(c redis.UniversalClient, prefix string, orgTTL time.Duration) *Store {
	if orgTTL <= 0 {
		orgTTL = DefaultOrgTTL
	}
	return &Store{c: c, prefix: prefix, orgTTL: orgTTL}
}

func (s *Store) key(parts ...string) string {
	k := s.prefix
	for _, p := range parts {
		k += p
	}
	return k
}

//go:embed lua/*.lua
var luaFiles embed.FS

// Each script is the shared library followed by its body, so that every
// script sees the same link and queue primitives.
var (
	ticketPageScript  = script("ticket_page.lua")
	bugPageScript     = script("bug_page.lua")
	putRecordsScript  = script("put_records.lua")
	setMemoryScript   = script("set_memory.lua")
	setMarksScript    = script("set_marks.lua")
	setActsScript     = script("set_acts.lua")
	healthScript      = script("health.lua")
	dropBugScript     = script("drop_bug.lua")
	resolveKeysScript = script("resolve_keys.lua")
	claimScript       = script("claim.lua")
	ackScript         = script("ack.lua")
	rescheduleScript  = script("reschedule.lua")
	orgPageScript     = script("org_page.lua")
)

func script(name string) *redis.Script {
	lib, err := luaFiles.ReadFile("lua/lib.lua")
	if err != nil {
		panic(err)
	}
	body, err := luaFiles.ReadFile("lua/" + name)
	if err != nil {
		panic(err)
	}
	return redis.NewScript(string(lib) + "\n" + string(body))
}

// run runs a script with the prefix and now as its first arguments. Its one
// key only routes the call on Redis Cluster (to the prefix's slot).
func (s *Store) run(ctx context.Context, sc *redis.Script, now time.Time, args ...any) *redis.Cmd {
	return sc.Run(ctx, s.c, []string{s.key("epoch")}, append([]any{s.prefix, ms(now)}, args...)...)
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func formatID(id int64) string { return strconv.FormatInt(id, 10) }

func parseTicketID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("state: ticket id %q: %w", s, err)
	}
	return id, nil
}

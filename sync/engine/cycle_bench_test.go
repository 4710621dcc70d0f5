package engine_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine/enginetest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// redisCalls counts commands and pipelines sent to Redis.
type redisCalls struct {
	mu sync.Mutex
	n  int
}

func (r *redisCalls) add() { r.mu.Lock(); r.n++; r.mu.Unlock() }

func (r *redisCalls) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *redisCalls) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.add(); return next(ctx, cmd) }
}

func (r *redisCalls) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.add(); return next(ctx, cmds) }
}

// BenchmarkIdleCycle is the steady state: nothing changed anywhere. It
// costs one read per vendor (asserted by the scenario tests) and the Redis
// round trips reported here.
func BenchmarkIdleCycle(b *testing.B) {
	clock := clocktest.NewManual(start)
	c, prefix := redistest.Client(b)
	calls := &redisCalls{}
	c.AddHook(calls)
	hd, tr := enginetest.NewHelpdesk(clock.Now, zdBase), enginetest.NewTracker(clock.Now, jiraBase)
	for i := range 200 {
		id := 1000 + i
		tr.Put(engine.Bug{ID: itoa(id), Key: "PROJ-" + itoa(id), Status: "To Do", StatusCategory: engine.CategoryToDo, Priority: "Low"})
		for j := range 5 {
			hd.Put(engine.Ticket{ID: int64(i*5 + j + 1), Status: engine.StatusOpen, RequesterID: int64(i*5 + j), OrganizationID: int64(j), KeysField: "PROJ-" + itoa(id)})
		}
	}
	e, err := engine.New(engine.Options{Helpdesk: hd, Tracker: tr, Store: state.New(c, prefix, time.Hour), Policy: policy(), Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for range 3 { // backfill, then the echoes
		clock.Advance(time.Minute)
		if _, err := e.Cycle(ctx); err != nil {
			b.Fatal(err)
		}
	}
	calls.n = 0
	b.ResetTimer()
	for b.Loop() {
		clock.Advance(time.Minute)
		rep, err := e.Cycle(ctx)
		if err != nil || rep.Writes() != 0 {
			b.Fatalf("idle cycle: %v %+v", err, rep)
		}
	}
	b.ReportMetric(float64(calls.n)/float64(b.N), "redis-roundtrips/cycle")
}

func itoa(i int) string { return strconv.Itoa(i) }

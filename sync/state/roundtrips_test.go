package state

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

func TestRoundTripsCountsPipelinesOnce(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	trips := &RoundTrips{}
	rdb.AddHook(trips)
	ctx := context.Background()
	ops := func() {
		t.Helper()
		if err := rdb.Set(ctx, prefix+"a", 1, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Incr(ctx, prefix+"a")
			p.Incr(ctx, prefix+"a")
			p.Get(ctx, prefix+"a")
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	ops() // dials: a connection's handshake is round trips too
	before := trips.Count()
	ops()
	if got := trips.Count() - before; got != 2 {
		t.Fatalf("%d round trips, want 2 (one command, one pipeline)", got)
	}
}

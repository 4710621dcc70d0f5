package demo

import (
	"context"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// A demo that was killed leaves its keys; the next demo deletes them once
// the killed one's "alive" key has expired, and leaves a running demo's
// keys alone.
func TestStoppedDemosKeysAreDeleted(t *testing.T) {
	ctx := context.Background()
	c, test := redistest.Client(t)
	base := test + demoPrefix
	killed, running := base+"dead01:", base+"live01:"
	for _, k := range []string{killed + "t:1", killed + "b:10", running + "t:1"} {
		if err := c.Set(ctx, k, "x", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	stop, err := keepAlive(ctx, c, running)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	n, err := sweepAbandoned(ctx, c, base)
	if err != nil || n != 2 {
		t.Fatalf("deleted %d keys (%v), want the killed demo's 2", n, err)
	}
	if left, _ := c.Keys(ctx, killed+"*").Result(); len(left) != 0 {
		t.Errorf("the killed demo's keys are left: %v", left)
	}
	if left, _ := c.Keys(ctx, running+"*").Result(); len(left) != 2 {
		t.Errorf("the running demo keeps %v, want its key and its alive mark", left)
	}
}

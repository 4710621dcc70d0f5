package lease

import (
	"context"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// A claimant's key lives while it runs and goes when it stops; a key that
// expired under it is never renewed: it takes a new token.
func TestClaimantKeepsItsKeyAndNeverRevivesAnExpiredOne(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	const ttl = time.Second
	c := NewClaimant(rdb, prefix+"claimant:", ttl, logger(t))
	if c.Token() != "" || c.Holds("") {
		t.Fatal("a token before registering")
	}
	stop, err := c.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := c.Token()
	if first == "" || !c.Holds(first) || c.Holds("other") {
		t.Fatalf("token %q after Start", first)
	}
	// Renewed past its TTL.
	time.Sleep(5 * ttl / 2)
	if n := rdb.Exists(ctx, prefix+"claimant:"+first).Val(); n != 1 || c.Token() != first {
		t.Fatalf("key exists %d, token %q after 2.5 TTLs; want %q kept alive", n, c.Token(), first)
	}
	// The key expires behind its back (Redis was out of reach): a new token.
	rdb.Del(ctx, prefix+"claimant:"+first)
	deadline := time.Now().Add(patience)
	for c.Token() == first || c.Token() == "" {
		if time.Now().After(deadline) {
			t.Fatalf("still token %q after the key expired", c.Token())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if c.Holds(first) {
		t.Fatal("holds the token whose key expired")
	}
	if n := rdb.Exists(ctx, prefix+"claimant:"+first).Val(); n != 0 {
		t.Fatal("the expired key was revived")
	}
	second := c.Token()
	stop()
	if n := rdb.Exists(ctx, prefix+"claimant:"+second).Val(); n != 0 || c.Token() != "" {
		t.Fatalf("after stop: key exists %d, token %q", n, c.Token())
	}
}

// Run registers at once and deletes the key when its context ends.
func TestClaimantRun(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	c := NewClaimant(rdb, prefix+"claimant:", time.Minute, logger(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	deadline := time.Now().Add(patience)
	for c.Token() == "" {
		if time.Now().After(deadline) {
			t.Fatal("Run registered no token")
		}
		time.Sleep(5 * time.Millisecond)
	}
	token := c.Token()
	if ttl := rdb.PTTL(context.Background(), prefix+"claimant:"+token).Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("key TTL %s", ttl)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run returned %v", err)
	}
	if n := rdb.Exists(context.Background(), prefix+"claimant:"+token).Val(); n != 0 {
		t.Fatal("key left after Run returned")
	}
}

package state

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// A claim for a claimant lasts while the claimant's key lives: once it is
// gone, the next claim of anyone releases the items, due at once. Until
// then only the holder settles them; a late ack of a lapsed claimant does
// not disturb the new holder's claim.
func TestClaimsLiveWithTheirClaimant(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	q := engine.TicketQueue
	alive := func(token string) {
		t.Helper()
		if err := c.Set(ctx, s.key(ClaimantPrefix, token), "1", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	die := func(token string) {
		t.Helper()
		if err := c.Del(ctx, s.key(ClaimantPrefix, token)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	alive("a")
	alive("b")
	if err := s.Enqueue(ctx, q, []string{"1", "2"}, t0); err != nil {
		t.Fatal(err)
	}
	lease := t0.Add(5 * time.Minute)
	byA, err := s.Claim(ctx, q, t0, 10, lease, "a")
	if err != nil || len(byA) != 2 || byA[0].Claimant != "a" {
		t.Fatalf("a claimed %+v, %v", byA, err)
	}
	if got, _ := s.Claim(ctx, q, t0.Add(time.Minute), 10, lease, "b"); len(got) != 0 {
		t.Fatalf("b claimed a live claimant's items: %+v", got)
	}

	die("a")
	byB, err := s.Claim(ctx, q, t0.Add(time.Minute), 10, lease, "b")
	if err != nil || len(byB) != 2 {
		t.Fatalf("b claimed %+v after a died, %v; want both at once", byB, err)
	}
	// a was only stalled: its late settling leaves b's claims alone.
	if err := s.Ack(ctx, q, byA, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Reschedule(ctx, q, byA[:1], t0.Add(2*time.Minute), true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Claim(ctx, q, t0.Add(3*time.Minute), 10, lease, "c"); len(got) != 0 {
		t.Fatalf("a lapsed claimant's ack or reschedule freed b's claims: %+v", got)
	}
	if err := s.SetNoteMarksFor(ctx, map[int64]map[string]engine.NoteMark{1: {"9": {Seq: 1, Sending: 2}}}, nil, "a"); !errors.Is(err, engine.ErrClaimLost) {
		t.Fatalf("a lapsed claimant marked a note in flight: %v", err)
	}
	if err := s.SetNoteMarksFor(ctx, map[int64]map[string]engine.NoteMark{1: {"9": {Seq: 1, Sending: 2}}}, nil, "b"); err != nil {
		t.Fatalf("the holder's mark: %v", err)
	}
	// b settles its claims: item 1 done, item 2 due again later.
	if err := s.Ack(ctx, q, byB[:1], t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Reschedule(ctx, q, byB[1:], t0.Add(4*time.Minute), false); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.Due(ctx, q, t0.Add(4*time.Minute), 0, 10); !slices.Equal(ids, []string{"2"}) {
		t.Fatalf("due after b settled: %v, want 2", ids)
	}
	// A claimant that dies after settling leaves nothing behind.
	die("b")
	if got, _ := s.Claim(ctx, q, t0.Add(4*time.Minute), 10, lease, ""); len(got) != 1 || got[0].ID != "2" {
		t.Fatalf("claimed %+v, want item 2 only", got)
	}
	if n, _ := c.Exists(ctx, s.key("q:", string(q), ":o:b"), s.key("q:", string(q), ":o:a")).Result(); n != 0 {
		t.Errorf("%d claimant sets left behind", n)
	}
}

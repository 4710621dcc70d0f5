package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/lease"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

func TestFenceQuiesces(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rdb, prefix := redistest.Client(t)
	l := lease.New(rdb, prefix+"leader", 3*time.Second, nil)
	s := &Service{}
	s.fence.lease = l
	if err := s.fence.Check(ctx); !errors.Is(err, lease.ErrNotLeader) {
		t.Fatalf("before leading: %v", err)
	}
	leading := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- l.Run(ctx, func(lctx context.Context, _ int64) error {
			close(leading)
			<-lctx.Done()
			return nil
		})
	}()
	<-leading
	if err := s.fence.Check(ctx); err != nil {
		t.Fatalf("leading: %v", err)
	}
	s.Quiesce()
	if err := s.fence.Check(ctx); !errors.Is(err, errQuiesced) {
		t.Fatalf("quiesced leader: %v", err)
	}
	// Quiescing refuses leader work; the lease itself is still held.
	if !l.Leading() {
		t.Fatal("quiescing released the lease")
	}
	cancel()
	<-done

	free := &Service{}
	if err := free.fence.Check(ctx); err != nil {
		t.Fatalf("without a lease: %v", err)
	}
	free.Quiesce()
	if err := free.fence.Check(ctx); !errors.Is(err, errQuiesced) {
		t.Fatalf("quiesced without a lease: %v", err)
	}
}

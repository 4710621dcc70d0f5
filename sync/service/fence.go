package service

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/lease"
)

// errQuiesced is the fence's answer once the replica is shutting down; the
// engine ends the step under way as a clean stop.
var errQuiesced = fmt.Errorf("%w: no new leader work", engine.ErrStopping)

// fence guards the engine's leader work: the lease says whether this
// replica leads, and Quiesce refuses everything from shutdown on.
type fence struct {
	lease    *lease.Lease // nil without a lease: always leading
	quiesced atomic.Bool
}

func (f *fence) Check(ctx context.Context) error {
	if f.quiesced.Load() {
		return errQuiesced
	}
	if f.lease == nil {
		return nil
	}
	return f.lease.Check(ctx)
}

// Quiesce stops the engine from starting leader work: from now on its fence
// refuses, so a cycle under way stops before its next page commit or write
// batch, leaving the page to be read again and what it claimed queued, and
// Run starts no cycle. The lease stays held until Lease.Run returns, so no
// other replica writes while this one finishes what it had in flight.
func (s *Service) Quiesce() { s.fence.quiesced.Store(true) }

package engine

import (
	"context"
	"slices"
	"time"

	"go.uber.org/zap"
)

// sweep queues, once per SweepInterval (shared by replicas through the
// store), the bugs that time alone may have made stale, so that their
// reconcile judges them: a bug is stale when customers wait on it (an open
// linked ticket), it is not done or exempt, and no person touched it for
// longer than its priority's window (see Policy.judgeStale). A reconcile
// judges every bug it works on anyway, the first cycle's included; the
// sweep finds the bugs nothing else made dirty. It reads no vendor.
func (e *Engine) sweep(ctx context.Context, _ *tally) error {
	if e.policy.Stale.Label == "" {
		return nil
	}
	now := e.now()
	last, err := e.st.SweptAt(ctx)
	if err != nil {
		return err
	}
	if now.Sub(last) < e.opts.SweepInterval {
		return nil
	}
	queued := 0
	cursor := uint64(0)
	for {
		ids, next, err := e.st.LinkedBugs(ctx, cursor, 500)
		if err != nil {
			return err
		}
		due, err := e.sweepBugs(ctx, ids, now)
		if err != nil {
			return err
		}
		queued += len(due)
		if !e.opts.DryRun {
			if err := e.st.Enqueue(ctx, BugQueue, due, now); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	if e.opts.DryRun {
		return nil
	}
	e.log.Info("stale sweep done", zap.Int("queued", queued))
	return e.st.SetSweptAt(ctx, now)
}

// sweepBugs returns the bugs among ids to reconcile: those that may be
// stale by now, and those flagged whose label is still missing.
func (e *Engine) sweepBugs(ctx context.Context, ids []string, now time.Time) (due []string, err error) {
	recs, err := e.st.Bugs(ctx, ids)
	if err != nil {
		return nil, err
	}
	mems, _, err := e.st.BugMemories(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		r, ok := recs[id]
		switch {
		case !ok:
		case r.Stale.Flagged && !slices.Contains(r.Labels, e.policy.Stale.Label):
			due = append(due, id)
		case e.mayBeStale(r, mems[id], now):
			due = append(due, id)
		}
	}
	return due, nil
}

// mayBeStale is judgeStale on what the last reconcile left (its open
// tickets), without asking the tracker: whether the bug's reconcile may
// flag it now.
func (e *Engine) mayBeStale(r BugRecord, m BugMemory, now time.Time) bool {
	flag, ask := e.policy.judgeStale(r, m.OpenTickets, r.Priority, now)
	return flag != nil || !ask.IsZero()
}

package sync

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"
)

// sweep flags stale bugs, once per SweepInterval (shared by replicas through
// the store). A bug is stale when customers wait on it (an open linked
// ticket), it is not done or exempt, and nobody but this service touched it
// for longer than its priority's window. Flagging marks the bug dirty; its
// reconcile adds the label and the episode's one comment.
func (e *Engine) sweep(ctx context.Context, t *tally) error {
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
	flagged := 0
	cursor := uint64(0)
	for {
		ids, next, err := e.st.LinkedBugs(ctx, cursor, 500)
		if err != nil {
			return err
		}
		due, n, err := e.sweepBugs(ctx, ids, now, t)
		if err != nil {
			return err
		}
		flagged += n
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
	e.log.Info("stale sweep done", zap.Int("flagged", flagged))
	return e.st.SetSweptAt(ctx, now)
}

// sweepBugs flags the stale bugs among ids and returns the bugs to queue:
// those flagged now, and those flagged earlier whose label is still missing
// (a sweep cut short between flagging and queueing).
func (e *Engine) sweepBugs(ctx context.Context, ids []string, now time.Time, t *tally) (due []string, flagged int, err error) {
	recs, err := e.st.Bugs(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	mems, err := e.st.BugMemories(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	for _, id := range ids {
		r, ok := recs[id]
		if ok && r.Stale.Flagged && !slices.Contains(r.Labels, e.policy.Stale.Label) {
			due = append(due, id)
			continue
		}
		if !ok || !e.staleCandidate(r, mems[id], now) {
			continue
		}
		window := e.policy.Window(r.Priority)
		// The engine wrote to the bug since the last activity it saw, so
		// the update time cannot tell whether someone else did too.
		if mems[id].WroteAt.After(r.LastActivity) {
			touched, err := e.tr.TouchedByOthers(ctx, id, now.Add(-window))
			if err != nil {
				return nil, 0, fmt.Errorf("sync: check activity on bug %s: %w", r.Key, err)
			}
			if touched {
				continue
			}
		}
		r.Stale = StaleFlag{Flagged: true, Episode: r.Stale.Episode + 1, Since: now, Idle: now.Sub(r.LastActivity)}
		if !e.opts.DryRun {
			ok, err := e.st.PutBug(ctx, r)
			if err != nil {
				return nil, 0, err
			}
			if !ok {
				continue // observed meanwhile; the next sweep decides again
			}
		}
		due, flagged = append(due, id), flagged+1
		t.add(func(rep *Report) { rep.StaleFlagged++ })
		e.event(Event{Kind: EventStaleFlagged, BugID: id, BugKey: r.Key, Detail: staleDetail(mems[id].OpenTickets, r.Stale.Idle, window, r.Priority)})
	}
	return due, flagged, nil
}

func (e *Engine) staleCandidate(r BugRecord, m BugMemory, now time.Time) bool {
	return !r.Stale.Flagged && m.OpenTickets > 0 && r.State != StateDone && r.State != StateWontFix &&
		!e.policy.StaleExempt(r.Bug) && now.Sub(r.LastActivity) > e.policy.Window(r.Priority)
}

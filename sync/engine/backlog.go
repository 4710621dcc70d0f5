package engine

import (
	"context"
	"fmt"
	"time"
)

// ReleaseReads names, in Backlog, the projects whose versions are due to
// be read for release tracking. It is no queue of the store: the leader
// derives the reads from the awaiting set and each project's last read,
// and Backlog counts them so that a stalled release check shows beside
// the queues.
const ReleaseReads Queue = "releases"

// BacklogSource is what counting the backlog reads; *state.Store
// implements it.
type BacklogSource interface {
	DueCount(ctx context.Context, q Queue, until time.Time) (int64, error)
	AwaitingRelease(ctx context.Context) ([]Awaiting, error)
	ReleaseChecks(ctx context.Context) (map[string]time.Time, error)
}

// DueReleaseReads counts the projects whose versions are due to be read
// at now, as the leader's pass decides (every is Options.ReleaseCheck):
// every project a fixed bug waits on once a version webhook is queued,
// else those last read every ago. A project no pass has seen yet is not
// due: the pass that first sees it starts its interval without a read.
func DueReleaseReads(ctx context.Context, src BacklogSource, every time.Duration, now time.Time) (int64, error) {
	waiting, err := src.AwaitingRelease(ctx)
	if err != nil || len(waiting) == 0 {
		return 0, err
	}
	named, err := src.DueCount(ctx, ReleaseReadQueue, now)
	if err != nil {
		return 0, fmt.Errorf("engine: count the queued version webhooks: %w", err)
	}
	checked, err := src.ReleaseChecks(ctx)
	if err != nil {
		return 0, err
	}
	due := map[string]bool{}
	for _, a := range waiting {
		last, seen := checked[a.Project]
		due[a.Project] = named > 0 || (seen && releaseReadDue(last, every, now))
	}
	var n int64
	for _, d := range due {
		if d {
			n++
		}
	}
	return n, nil
}

// releaseReadDue reports whether a project last read at last is read
// again at now.
func releaseReadDue(last time.Time, every time.Duration, now time.Time) bool {
	return !now.Before(last.Add(every))
}

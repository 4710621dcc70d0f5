package state

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// AwaitingRelease lists the bugs waiting on a release (the awaiting hash,
// written with each bug's memory), sorted by bug id. The hash holds one
// short entry per fixed bug with open tickets, so it is read whole.
func (s *Store) AwaitingRelease(ctx context.Context) ([]engine.Awaiting, error) {
	all, err := s.c.HGetAll(ctx, s.key("awaiting")).Result()
	if err != nil {
		return nil, fmt.Errorf("state: read the bugs awaiting a release: %w", err)
	}
	out := make([]engine.Awaiting, 0, len(all))
	for id, blob := range all {
		var w awaitingWire
		if err := json.Unmarshal([]byte(blob), &w); err != nil {
			return nil, fmt.Errorf("state: decode the release bug %s awaits: %w", id, err)
		}
		out = append(out, engine.Awaiting{BugID: id, Project: w.Project, Versions: w.Versions})
	}
	// Issue ids are numbers without leading zeros: the shorter is the
	// smaller, and text orders those of one length.
	slices.SortFunc(out, func(a, b engine.Awaiting) int {
		return cmp.Or(cmp.Compare(len(a.BugID), len(b.BugID)), strings.Compare(a.BugID, b.BugID))
	})
	return out, nil
}

// ReleaseChecks are the times each project's versions were last read.
func (s *Store) ReleaseChecks(ctx context.Context) (map[string]time.Time, error) {
	all, err := s.c.HGetAll(ctx, s.key("release-checks")).Result()
	if err != nil {
		return nil, fmt.Errorf("state: read release checks: %w", err)
	}
	out := make(map[string]time.Time, len(all))
	for project, v := range all {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("state: release check of project %s: %q: %w", project, v, err)
		}
		out[project] = fromNanos(n)
	}
	return out, nil
}

// SetReleaseCheck records that project's versions were read at at.
func (s *Store) SetReleaseCheck(ctx context.Context, project string, at time.Time) error {
	if err := s.c.HSet(ctx, s.key("release-checks"), project, strconv.FormatInt(nanos(at), 10)).Err(); err != nil {
		return fmt.Errorf("state: record release check of project %s: %w", project, err)
	}
	return nil
}

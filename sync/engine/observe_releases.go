package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.uber.org/zap"
)

// Releasing a version in Jira edits no issue: the bugs fixed in it keep
// their update time, so the bug poll never sees them again. Release
// tracking reads versions instead, and only where an answer is awaited:
// a project's versions are read while a fixed bug of it, with an open
// ticket, waits on an unreleased fix version (the awaiting set, kept with
// each bug's standing), at most once per Options.ReleaseCheck, or at once
// when a version webhook arrives. An idle system reads no versions. The
// bugs of a version found released are queued to be read afresh, exactly
// as if a webhook had named them: the read records their new state
// (StateReleased bumps Seq) and the ticket notes it makes due go through
// the blast-radius guard and the budgets like any other change.

// ReleaseReadQueue holds the version ids version webhooks named; any
// replica's next pass reads the versions of the projects bugs wait on.
const ReleaseReadQueue Queue = "release-read"

// EnqueueReleases is the webhook entry of jira:version_released: the
// next pass of any replica checks every project a fixed bug waits on.
func (e *Engine) EnqueueReleases(ctx context.Context, versionIDs []string) error {
	var ids []string
	for _, id := range versionIDs {
		if !isIssueID(id) { // version ids are numeric as issue ids are
			return fmt.Errorf("engine: version id %q is not a number: %w", id, ErrPermanent)
		}
		ids = append(ids, id)
	}
	return e.st.Enqueue(ctx, ReleaseReadQueue, ids, e.now())
}

// checkReleases is the leader's periodic check: the projects whose last
// read is ReleaseCheck old.
func (e *Engine) checkReleases(ctx context.Context, t *tally) error {
	return e.releases(ctx, false, t)
}

// readReleases checks every awaited project at once when version
// webhooks have named versions since the last pass.
func (e *Engine) readReleases(ctx context.Context, t *tally) error {
	claims, err := e.st.Claim(ctx, ReleaseReadQueue, e.now(), int64(e.opts.Batch), e.now().Add(e.opts.Lease), e.claimant())
	if err != nil || len(claims) == 0 {
		return err
	}
	sctx, cancel := settling(ctx)
	defer cancel()
	if err := e.releases(ctx, true, t); err != nil {
		return errors.Join(err, e.retryLater(sctx, ReleaseReadQueue, claims))
	}
	return e.st.Ack(sctx, ReleaseReadQueue, claims, e.now())
}

// releases reads the versions of each project fixed bugs wait on (all
// of them when force, else those read ReleaseCheck ago; a project never
// read starts its interval now) and
// queues the bugs of the versions found released to be read afresh. A
// project's check is recorded after its bugs are queued, so a crash
// between the two reads the versions again.
func (e *Engine) releases(ctx context.Context, force bool, t *tally) error {
	waiting, err := e.st.AwaitingRelease(ctx)
	if err != nil || len(waiting) == 0 {
		return err
	}
	byProject := map[string][]Awaiting{}
	for _, a := range waiting {
		byProject[a.Project] = append(byProject[a.Project], a)
	}
	checked, err := e.st.ReleaseChecks(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, project := range slices.Sorted(maps.Keys(byProject)) {
		now := e.now()
		last, ok := checked[project]
		if !ok && !force {
			// The bugs that began the wait were just read, released
			// flags and all: the interval starts now.
			if err := e.st.SetReleaseCheck(ctx, project, now); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if !force && !releaseReadDue(last, e.opts.ReleaseCheck, now) {
			continue
		}
		if err := e.checkProject(ctx, project, byProject[project], now, t); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) checkProject(ctx context.Context, project string, waiting []Awaiting, now time.Time, t *tally) error {
	versions, err := e.tr.Versions(ctx, project)
	t.add(func(r *Report) { r.VersionReads++ })
	if err != nil {
		return fmt.Errorf("engine: read the versions of project %s (%s wait on them): %w",
			project, plural(len(waiting), "fixed bug", "fixed bugs"), err)
	}
	released := map[string]Version{}
	for _, v := range versions {
		if v.Released {
			released[v.Name] = v
		}
	}
	var ids []string
	shipped := map[string]int{} // version name → bugs waiting on it
	for _, a := range waiting {
		hit := false
		for _, name := range a.Versions {
			if _, ok := released[name]; ok {
				shipped[name]++
				hit = true
			}
		}
		if hit {
			ids = append(ids, a.BugID)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(shipped)) {
		v := released[name]
		e.event(Event{Kind: EventVersionReleased, Detail: fmt.Sprintf("%s %s released; %s to read again",
			project, name, plural(shipped[name], "bug", "bugs"))},
			zap.String("project", project), zap.String("version", name), zap.Time("release_date", v.ReleaseDate))
	}
	t.add(func(r *Report) { r.VersionsReleased += len(shipped) })
	if len(ids) > 0 {
		if err := e.st.Enqueue(ctx, BugReadQueue, ids, e.dueNow()); err != nil {
			return err
		}
	}
	return e.st.SetReleaseCheck(ctx, project, now)
}

package engine

import (
	"context"
	"fmt"
	"time"
)

// Whose a bug's last change was decides its stale flag: these tell the
// engine's own updates from others' on the tracker's clock, and ask the
// tracker (changelog and comments) only where that cannot tell and the
// flag depends on it.

// mover is whose a move of a bug's update time was.
type mover int

const (
	byOthers  mover = iota // someone else's: a person
	byEngine               // the engine's own write, and nothing after it
	byUnknown              // the engine wrote since it last saw the bug, at a time it does not know
)

// whoMoved tells whose the move of the bug's update time from prev's to
// b's was. explained is whether every field the engine reads is as the
// record, with the engine's own expected edit applied, says: a field
// changed otherwise is someone else's change. The engine's writes of known
// time (comments) leave Echo; those of unknown time (edits and links:
// Jira answers an edit without a time) leave Seen at the update time they
// followed. Both are on the tracker's clock. What the update time cannot
// show is not seen: a comment, or a change to a field the engine does not
// read, made between the poll that read prev and the engine's own write
// is taken for the engine's, until anyone's next change.
func whoMoved(prev BugRecord, b Bug, mem BugMemory, explained bool) mover {
	switch {
	case !explained:
		return byOthers
	case !mem.Echo.IsZero() && !b.Updated.After(mem.Echo):
		return byEngine
	case !mem.Seen.IsZero() && !mem.Seen.Before(prev.Updated):
		return byUnknown
	}
	return byOthers
}

// liftStale lifts the stale flag of a bug someone else touched after it
// was flagged. When the update may be the engine's own write of unknown
// time, the tracker's changelog and comments tell; when it surely is the
// engine's, nobody is asked.
func (e *Engine) liftStale(ctx context.Context, rec *BugRecord, who mover, t *tally) error {
	switch who {
	case byEngine:
		return nil
	case byUnknown:
		at, err := e.tr.ActivityByOthers(ctx, rec.ID, rec.Stale.Since)
		if err != nil {
			return fmt.Errorf("engine: check activity on stale bug %s: %w", rec.Key, err)
		}
		if at.IsZero() {
			return nil
		}
		rec.LastActivity, rec.Unattributed = at, time.Time{}
	}
	rec.Stale.Flagged = false
	t.add(func(r *Report) { r.StaleUnflagged++ })
	e.event(Event{Kind: EventStaleUnflagged, BugID: rec.ID, BugKey: rec.Key, Detail: "bug was updated; stale flag lifted"})
	return nil
}

// planStale plans the bug, first asking the tracker whose its unattributed
// updates were when its staleness depends on it, and records what it
// learns and a new stale flag before any write: the flag must outlive a
// crash between the label and its comment. kept is false when the record
// changed meanwhile (observed by another pass).
func (e *Engine) planStale(ctx context.Context, v *bugView, t *tally) (plan bugPlan, kept bool, err error) {
	plan = e.policy.planBug(*v)
	rec, changed := v.Bug, false
	if !plan.AskSince.IsZero() {
		at, err := e.tr.ActivityByOthers(ctx, rec.ID, plan.AskSince)
		if err != nil {
			return plan, false, fmt.Errorf("engine: check activity on bug %s: %w", rec.Key, err)
		}
		if at.IsZero() {
			// Nobody but the service since: the last person's change is
			// at the latest then.
			rec.Unattributed = plan.AskSince
		} else {
			rec.LastActivity, rec.Unattributed = at, time.Time{}
		}
		v.Bug, changed = rec, true
		plan = e.policy.planBug(*v)
	}
	if plan.Flag != nil {
		rec.Stale, changed = *plan.Flag, true
	}
	if changed && !e.opts.DryRun {
		ok, err := e.st.PutBug(ctx, rec)
		if err != nil || !ok {
			return plan, false, err
		}
		rec.Version++
	}
	v.Bug = rec
	if plan.Flag != nil {
		priority := rec.Priority
		if plan.changesPriority() {
			priority = plan.Edit.Priority
		}
		t.add(func(r *Report) { r.StaleFlagged++ })
		e.event(Event{Kind: EventStaleFlagged, BugID: rec.ID, BugKey: rec.Key, Seq: plan.Flag.Episode, Detail: staleDetail(plan.OpenTickets, plan.Flag.Idle, e.policy.Window(priority), priority)})
	}
	return plan, true, nil
}

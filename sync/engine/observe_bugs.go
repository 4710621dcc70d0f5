package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

// observeBugs reads the tracker from its watermark, page by page; each page
// is committed with the watermark it reached. The last page moves the
// watermark on to the search's Through as well, when the search read any
// bug: in a quiet account the newest update seen stays where it is, and
// searching back from it would read the same bugs every cycle.
func (e *Engine) observeBugs(ctx context.Context, t *tally) error {
	since, err := e.st.BugWatermark(ctx)
	if err != nil {
		return err
	}
	pages, read := 0, 0
	mark := since
	err = e.tr.ChangedBugs(ctx, since, func(ctx context.Context, page BugPage) error {
		pages++
		read += len(page.Bugs)
		reached := mark
		for _, b := range page.Bugs {
			if b.Updated.After(reached) {
				reached = b.Updated
			}
		}
		if read > 0 && page.Through.After(reached) {
			reached = page.Through
		}
		var watermark time.Time // zero: the page does not move it
		if reached.After(mark) {
			watermark = reached
		}
		if err := e.recordBugs(ctx, page.Bugs, watermark, true, t); err != nil {
			return err
		}
		mark = reached
		if pages%10 == 0 {
			e.log.Info("observing bugs", zap.Int("pages", pages), zap.Int("bugs", t.report().BugsObserved))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("engine: observe bugs since %s: %w", since.Format("2006-01-02T15:04:05Z07:00"), err)
	}
	t.add(func(r *Report) { r.TrackerRead = true })
	return nil
}

// recordBugs turns observed bugs into records and commits them in one atomic
// store write, with watermark unless it is zero.
func (e *Engine) recordBugs(ctx context.Context, bugs []Bug, watermark time.Time, fenced bool, t *tally) error {
	now := e.dueNow()
	ids := make([]string, len(bugs))
	for i, b := range bugs {
		ids[i] = b.ID
	}
	old, err := e.st.Bugs(ctx, ids)
	if err != nil {
		return err
	}
	mems, _, err := e.st.BugMemories(ctx, ids)
	if err != nil {
		return err
	}
	commit := BugPageCommit{Aliases: map[string]string{}, Watermark: watermark, Now: now}
	for _, b := range bugs {
		prev, known := old[b.ID]
		ch, ok, err := e.bugChange(ctx, b, prev, known, mems[b.ID], t)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if !known || prev.Key != b.Key {
			commit.Aliases[b.Key] = b.ID
		}
		commit.Bugs = append(commit.Bugs, ch)
	}
	t.add(func(r *Report) { r.BugsObserved += len(bugs) })
	if len(commit.Bugs) == 0 && commit.Watermark.IsZero() {
		return nil
	}
	if fenced {
		if err := e.leading(ctx); err != nil {
			return err
		}
	}
	changes, err := e.st.CommitBugPage(ctx, commit)
	if err != nil {
		return err
	}
	e.reportLinks(changes, t)
	return nil
}

// bugChange is what one observed bug changes. ok is false when there is
// nothing to record: a bug seen again unchanged (the poll's overlap), or a
// bug nothing links to.
func (e *Engine) bugChange(ctx context.Context, b Bug, prev BugRecord, known bool, mem BugMemory, t *tally) (BugChange, bool, error) {
	moved := !known || b.Updated.After(prev.Updated)
	same := known && sameBug(prev.Bug, b)
	// An edit the engine sent but did not get to record explains the
	// difference: the echo is the engine's own, not someone's activity.
	echo := known && !same && mem.Expect.ID == b.ID && sameBug(applyEdit(prev, mem.Expect).Bug, b)
	if known && !moved && same {
		return BugChange{}, false, nil
	}
	ch := BugChange{}
	if e.policy.TrackerLinks && moved {
		tickets, err := e.trackerLinks(ctx, b.ID)
		if err != nil {
			return ch, false, err
		}
		ch.TrackerTickets, ch.TrackerLinksRead = tickets, true
	}
	if !known {
		if len(ch.TrackerTickets) == 0 {
			return ch, false, nil
		}
		ch.Record, ch.Dirty = e.newBugRecord(b), true
		return ch, true, nil
	}

	rec := prev
	rec.Bug = b
	if st := e.policy.StateOf(b); st != prev.State {
		rec.State, rec.Seq = st, prev.Seq+1
		t.add(func(r *Report) { r.Transitions++ })
		e.event(Event{Kind: EventTransition, BugID: b.ID, BugKey: b.Key, Seq: rec.Seq, State: st,
			Detail: fmt.Sprintf("bug moved from %s to %s (status %s)", prev.State, st, describeStatus(b))})
	}
	if moved {
		who := whoMoved(prev, b, mem, same || echo)
		switch who {
		case byOthers:
			rec.LastActivity, rec.Unattributed = b.Updated, time.Time{}
		case byUnknown:
			rec.Unattributed = b.Updated
		}
		if prev.Stale.Flagged {
			if err := e.liftStale(ctx, &rec, who, t); err != nil {
				return ch, false, err
			}
		}
	}
	ch.Record = rec
	ch.Dirty = !same || rec.Seq != prev.Seq || rec.Stale != prev.Stale
	ch.TicketsDirty = prev.Key != b.Key || prev.Status != b.Status || rec.State != prev.State ||
		prev.Resolution != b.Resolution || !slices.Equal(prev.FixVersions, b.FixVersions) || !sameVersions(prev.Released, b.Released)
	return ch, true, nil
}

// trackerLinks are the tickets the bug's people-made remote links point at.
func (e *Engine) trackerLinks(ctx context.Context, bugID string) ([]int64, error) {
	links, err := e.tr.RemoteLinks(ctx, bugID)
	if err != nil {
		return nil, fmt.Errorf("engine: read remote links of bug %s: %w", bugID, err)
	}
	var out []int64
	for _, l := range links {
		if strings.HasPrefix(l.GlobalID, remoteLinkPrefix) {
			continue
		}
		if id, ok := e.hd.TicketRef(l.URL); ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

// sameBug compares what the engine reads of a bug, ignoring its update time.
func sameBug(a, b Bug) bool {
	return a.Key == b.Key && a.Project == b.Project && a.Summary == b.Summary && a.Status == b.Status &&
		a.StatusCategory == b.StatusCategory && a.Resolution == b.Resolution && a.Priority == b.Priority &&
		slices.Equal(a.FixVersions, b.FixVersions) && sameVersions(a.Released, b.Released) && sameSet(a.Labels, b.Labels) &&
		sameCount(a.CustomerCount, b.CustomerCount) && sameCount(a.Revenue, b.Revenue)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func sameCount(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return round2(*a) == round2(*b)
}

func describeStatus(b Bug) string {
	s := b.Status
	if b.Resolution != "" {
		s += ", " + b.Resolution
	}
	if len(b.FixVersions) > 0 {
		s += ", fix version " + strings.Join(b.FixVersions, ", ")
	}
	return s
}

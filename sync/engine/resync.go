package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Resync rebuilds the state from the vendors: the full ticket export from
// the beginning, every linked bug read again, and the remote links the
// engine wrote read back so that equal ones are not written again. Markers
// in the state are kept. When the state was lost, a new epoch makes old
// markers unmatchable, and nothing already said is said again: notes follow
// only the bug changes seen from here on (or the status tag a ticket shows),
// and a stale label already on a bug is adopted without a new comment.
func (e *Engine) Resync(ctx context.Context) (Report, error) {
	start := e.begin("resync")
	t := &tally{rep: Report{DryRun: e.opts.DryRun}}
	return e.finish(t, start, "resync", e.resync(ctx, t))
}

func (e *Engine) resync(ctx context.Context, t *tally) error {
	if err := e.leading(ctx); err != nil {
		return err
	}
	start := e.now()
	epoch, err := e.st.Epoch(ctx)
	if err != nil {
		return err
	}
	e.log.Info("resync: reading every ticket from the beginning")
	if err := e.st.SetTicketCursor(ctx, ""); err != nil {
		return err
	}
	read, err := e.exportRereading(ctx, t)
	if err != nil {
		return err
	}
	e.log.Info("resync: reading every other linked bug and its remote links",
		zap.Int("tickets", t.report().TicketsObserved), zap.Int("bugs_read_during_export", len(read)))
	if err := e.rereadLinkedBugs(ctx, t, read); err != nil {
		return err
	}
	if err := e.st.SetBugWatermark(ctx, start); err != nil {
		return err
	}
	if epoch == "" {
		// Last: a resync cut short starts over on the next start.
		return e.st.SetEpoch(ctx, newEpoch())
	}
	return nil
}

// exportRereading reads the whole ticket export and, while it goes on, the
// bugs each page names with their remote links, resolving first the keys
// the page left waiting: the tracker's budget would otherwise idle through
// the export. It returns the bugs read.
func (e *Engine) exportRereading(ctx context.Context, t *tally) (map[string]bool, error) {
	read := map[string]bool{} // the reader's until it is done
	pages := make(chan recorded, 8)
	done := make(chan error, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		var err error
		cache := newKeyCache()
		for rec := range pages {
			if err != nil { // what waits is left to the reconcile
				if len(rec.unresolved) > 0 {
					e.keysWaiting.Store(true)
				}
				continue
			}
			ids := rec.bugs
			var found []string
			if found, err = e.resolveTickets(rctx, rec.unresolved, cache, e.dueNow(), t); err != nil {
				e.keysWaiting.Store(true)
				continue
			}
			ids = append(ids, found...)
			slices.Sort(ids)
			fresh := slices.DeleteFunc(slices.Compact(ids), func(id string) bool { return read[id] })
			for _, id := range fresh {
				read[id] = true
			}
			if len(fresh) > 0 {
				err = e.rereadBugs(rctx, fresh, t)
			}
		}
		done <- err
	}()
	err := e.exportTickets(ctx, t, func(rec recorded) {
		select {
		case pages <- rec: // blocks while the reader is a few pages behind
		case <-ctx.Done():
			if len(rec.unresolved) > 0 {
				e.keysWaiting.Store(true)
			}
		}
	})
	if err != nil {
		cancel() // the export failed: the pages queued need not be read
	}
	close(pages)
	if err := errors.Join(err, <-done); err != nil {
		return nil, err
	}
	return read, nil
}

// rereadLinkedBugs reads every linked bug not in skip by id, a batch at a
// time, and the remote links of each.
func (e *Engine) rereadLinkedBugs(ctx context.Context, t *tally, skip map[string]bool) error {
	cursor := uint64(0)
	for {
		ids, next, err := e.st.LinkedBugs(ctx, cursor, int64(e.opts.Batch))
		if err != nil {
			return err
		}
		ids = slices.DeleteFunc(ids, func(id string) bool { return skip[id] })
		if err := e.rereadBugs(ctx, ids, t); err != nil {
			return err
		}
		if cursor = next; cursor == 0 {
			t.add(func(r *Report) { r.TrackerRead = true })
			return nil
		}
	}
}

func (e *Engine) rereadBugs(ctx context.Context, ids []string, t *tally) error {
	if len(ids) == 0 {
		return nil
	}
	found, missing, err := e.tr.BugsByID(ctx, ids)
	if err != nil {
		return fmt.Errorf("engine: read %s by id: %w", plural(len(ids), "bug", "bugs"), err)
	}
	if err := e.recordBugs(ctx, found, time.Time{}, true, t); err != nil {
		return err
	}
	recs, err := e.st.Bugs(ctx, missing)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := e.dropBug(ctx, r, t); err != nil {
			return err
		}
	}
	ids = make([]string, len(found))
	for i, b := range found {
		ids[i] = b.ID
	}
	written, err := e.st.WrittenLinks(ctx, ids)
	if err != nil {
		return err
	}
	// A request each: as many at once as bugs are reconciled at once.
	errs := make([]error, len(found)+1)
	var wg sync.WaitGroup
	for i, b := range found {
		if !e.goInBugSlot(ctx, &wg, func() { errs[i] = e.recoverWrittenLinks(ctx, b, written[b.ID]) }) {
			errs[len(found)] = ctx.Err()
			break
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// recoverWrittenLinks reads back the remote links the engine wrote on a bug,
// so that the next reconcile rewrites only those that differ.
func (e *Engine) recoverWrittenLinks(ctx context.Context, b Bug, written map[int64]WrittenLink) error {
	links, err := e.tr.RemoteLinks(ctx, b.ID)
	if err != nil {
		return fmt.Errorf("engine: read remote links of bug %s: %w", b.Key, err)
	}
	set := map[int64]WrittenLink{}
	for _, l := range links {
		if !strings.HasPrefix(l.GlobalID, remoteLinkPrefix) {
			continue
		}
		if id, ok := e.hd.TicketRef(l.URL); ok {
			set[id] = WrittenLink{GlobalID: l.GlobalID, Digest: digest(l)}
		}
	}
	var del []int64
	for id := range written {
		if _, ok := set[id]; !ok {
			del = append(del, id)
		}
	}
	slices.Sort(del)
	// Kept in a dry run too: this is what the tracker holds, read, not a
	// write the run pretends to have made.
	return e.st.SetWrittenLinks(ctx, b.ID, set, del)
}

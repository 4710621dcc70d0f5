package engine

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Observing a ticket reads only the helpdesk: keys the store knows no bug
// for wait in the store, recorded with the ticket (see recordTickets).
// Loading resolves them, first in a reconcile, so that the bugs they link
// are due in the same pass: one tracker lookup per batch of tickets, then
// the links, new bug records and aliases in one store write.

// resolveWaiting resolves the keys waiting in the store, a batch of tickets
// at a time; the bugs they link are due at until, the horizon of the pass
// that follows. It scans only when this engine may have left keys waiting (at
// start, a crash may have), and, on the leader, at least once per
// SweepInterval for what a replica that died left.
func (e *Engine) resolveWaiting(ctx context.Context, until time.Time, leader bool, t *tally) error {
	if leader && e.now().Sub(e.keysScanned) >= e.opts.SweepInterval {
		e.keysWaiting.Store(true)
	}
	if !e.keysWaiting.Swap(false) {
		return nil
	}
	cache := newKeyCache()
	for cursor := uint64(0); ; {
		ts, next, err := e.st.UnresolvedTickets(ctx, cursor, int64(e.opts.Batch))
		if err == nil {
			_, err = e.resolveTickets(ctx, ts, cache, until, t)
		}
		if err != nil {
			e.keysWaiting.Store(true)
			return err
		}
		if cursor = next; cursor == 0 {
			e.keysScanned = e.now()
			return nil
		}
	}
}

// keyCache is what one resolution learned of keys, so that tickets of
// later batches naming the same keys cost no lookup.
type keyCache struct {
	ids     map[string]string // key → bug id
	missing map[string]bool
}

func newKeyCache() *keyCache {
	return &keyCache{ids: map[string]string{}, missing: map[string]bool{}}
}

// resolveTickets looks up in one tracker request the keys the tickets wait
// on that cache does not know, and records what it found: each ticket
// linked to the bugs of all its keys, new bugs, aliases, and missing keys
// (a newly missing key is reported once and not looked up again before
// its re-check time). What it links is due at now. It returns the ids of
// the bugs the tickets now link.
func (e *Engine) resolveTickets(ctx context.Context, ts []UnresolvedTicket, cache *keyCache, now time.Time, t *tally) ([]string, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	var lookup []string
	for _, u := range ts {
		for _, k := range u.Keys {
			if _, ok := cache.ids[k]; !ok && !cache.missing[k] {
				lookup = append(lookup, k)
			}
		}
	}
	slices.Sort(lookup)
	lookup = slices.Compact(lookup)
	res := KeyResolution{Tickets: ts, Links: make(map[int64][]string, len(ts)), Aliases: map[string]string{}, Now: now}
	if len(lookup) > 0 {
		found, missing, err := e.lookupKeys(ctx, lookup)
		if err != nil {
			return nil, err
		}
		for k, b := range found {
			cache.ids[k], res.Aliases[k], res.Aliases[b.Key] = b.ID, b.ID, b.ID
			if !slices.ContainsFunc(res.NewBugs, func(r BugRecord) bool { return r.ID == b.ID }) {
				res.NewBugs = append(res.NewBugs, e.newBugRecord(b))
			}
		}
		if res.Missing, err = e.recordMissing(ctx, missing, now, t); err != nil {
			return nil, err
		}
		for _, k := range missing {
			cache.missing[k] = true
		}
	}
	var bugs []string
	for _, u := range ts {
		linked := slices.Clone(u.Bugs)
		for _, k := range u.Keys {
			if id, ok := cache.ids[k]; ok && !slices.Contains(linked, id) {
				linked = append(linked, id)
			}
		}
		res.Links[u.ID] = linked
		bugs = append(bugs, linked...)
	}
	changes, err := e.st.ResolveTickets(ctx, res)
	if err != nil {
		return nil, err
	}
	e.reportLinks(changes, t)
	slices.Sort(bugs)
	return slices.Compact(bugs), nil
}

// recordMissing is the missing-key records of keys that matched no issue:
// a re-check counted where one was known, a new one reported once.
func (e *Engine) recordMissing(ctx context.Context, keys []string, now time.Time, t *tally) ([]MissingKey, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	known, err := e.st.MissingKeys(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make([]MissingKey, 0, len(keys))
	for _, k := range keys {
		prev, seen := known[k]
		m := MissingKey{Key: k, FirstSeen: now, Checks: prev.Checks + 1}
		if seen {
			m.FirstSeen = prev.FirstSeen
		}
		m.RecheckAt = now.Add(e.missingBackoff(m.Checks))
		out = append(out, m)
		if !seen {
			t.add(func(r *Report) { r.KeysMissing++ })
			e.event(Event{Kind: EventKeyMissing, BugKey: k, Detail: "bug key matches no issue; not retried before " + m.RecheckAt.Format(time.RFC3339)})
		}
	}
	return out, nil
}

// lookupKeys asks the tracker for keys in one call. A key that moved comes
// back under its new key, so keys the answer does not name are asked one by
// one to learn which bug each became.
func (e *Engine) lookupKeys(ctx context.Context, keys []string) (map[string]Bug, []string, error) {
	bugs, missing, err := e.tr.BugsByKey(ctx, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("engine: look up %s: %w", plural(len(keys), "bug key", "bug keys"), err)
	}
	found := make(map[string]Bug, len(keys))
	for _, b := range bugs {
		found[b.Key] = b
	}
	for _, k := range keys {
		if _, ok := found[k]; ok || slices.Contains(missing, k) {
			continue
		}
		one, gone, err := e.tr.BugsByKey(ctx, []string{k})
		if err != nil {
			return nil, nil, fmt.Errorf("engine: look up moved bug key %s: %w", k, err)
		}
		switch {
		case len(one) == 1:
			found[k] = one[0]
		case len(gone) > 0 || len(one) == 0:
			missing = append(missing, k)
		}
	}
	for k := range found {
		if !slices.Contains(keys, k) {
			delete(found, k)
		}
	}
	return found, missing, nil
}

// missingBackoff spaces the re-checks of a missing key: MissingRecheck,
// doubling, at most a week.
func (e *Engine) missingBackoff(checks int) time.Duration {
	d := e.opts.MissingRecheck
	for i := 1; i < checks && d < 7*24*time.Hour; i++ {
		d *= 2
	}
	return min(d, 7*24*time.Hour)
}

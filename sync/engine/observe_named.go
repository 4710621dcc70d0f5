package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Webhooks name the tickets and bugs that changed. A delivery carries only
// an id, and the helpdesk's export lags a minute, so each named item is read
// afresh from its vendor and applied exactly as a poll applies it. Enqueue
// only queues the names; whichever replica drains next reads everything
// queued in one request per Batch, so a flood of deliveries about one item
// costs one read and one reconcile.
const (
	TicketReadQueue Queue = "ticket-read" // ticket ids to read afresh
	BugReadQueue    Queue = "bug-read"    // bug keys or issue ids to read afresh
)

// LatencyObserver sees, for each item a webhook named, the time from the
// first delivery naming it to the end of the pass that wrote what it
// changed (kind is "ticket" or "bug"). It must be safe for concurrent use.
type LatencyObserver interface {
	ObserveEventToWrite(kind string, d time.Duration)
}

// Pacer sets the time between poll cycles; while webhooks deliver, polling
// is only the backstop and may be slower.
type Pacer interface {
	PollInterval(ctx context.Context) time.Duration
}

// Enqueue is the webhook entry: it queues the tickets and bugs named to be
// read afresh by the next drain on any replica, and returns. Bug refs are
// keys of configured projects or issue ids; anything else is refused
// before it is stored, so nothing unvalidated reaches the tracker; such
// refusals wrap ErrPermanent, other errors are the store's.
func (e *Engine) Enqueue(ctx context.Context, ticketIDs []int64, bugRefs []string) error {
	var errs []error
	tickets := make([]string, 0, len(ticketIDs))
	for _, id := range ticketIDs {
		if id <= 0 {
			errs = append(errs, fmt.Errorf("engine: ticket id %d: %w", id, ErrPermanent))
			continue
		}
		tickets = append(tickets, strconv.FormatInt(id, 10))
	}
	bugs := make([]string, 0, len(bugRefs))
	for _, ref := range bugRefs {
		switch key := strings.ToUpper(ref); {
		case e.policy.ValidKey(key):
			bugs = append(bugs, key)
		case isIssueID(ref):
			bugs = append(bugs, ref)
		default:
			errs = append(errs, fmt.Errorf("engine: %q is neither a bug key of a configured project nor an issue id: %w", ref, ErrPermanent))
		}
	}
	now := e.now()
	errs = append(errs, e.st.Enqueue(ctx, TicketReadQueue, tickets, now), e.st.Enqueue(ctx, BugReadQueue, bugs, now))
	return errors.Join(errs...)
}

// Backlog counts, per queue, the items due now: work waiting for a worker
// (items being worked on or waiting for a retry are not counted), and, as
// ReleaseReads, the projects whose versions are due to be read.
func (e *Engine) Backlog(ctx context.Context) (map[Queue]int64, error) {
	now := e.now()
	out := make(map[Queue]int64, 5)
	for _, q := range []Queue{TicketReadQueue, BugReadQueue, BugQueue, TicketQueue} {
		n, err := e.st.DueCount(ctx, q, now)
		if err != nil {
			return nil, err
		}
		out[q] = n
	}
	n, err := DueReleaseReads(ctx, e.st, e.opts.ReleaseCheck, now)
	if err != nil {
		return nil, err
	}
	out[ReleaseReads] = n
	return out, nil
}

// named is a read-queue item read and applied, for the latency it reports
// once the pass has written what it changed.
type named struct {
	kind string
	due  time.Time
}

// readNamed reads afresh what webhooks named until now, a batch at a time,
// and applies it, marking what changed dirty for the reconcile that
// follows. Names queued meanwhile wait for the next pass, so a sustained
// flood cannot starve the reconcile.
func (e *Engine) readNamed(ctx context.Context, t *tally) ([]named, error) {
	until := e.now()
	var done []named
	var errs []error
	for _, q := range []Queue{TicketReadQueue, BugReadQueue} {
		read, kind := e.readTickets, "ticket"
		if q == BugReadQueue {
			read, kind = e.readBugs, "bug"
		}
		for ctx.Err() == nil {
			claims, err := e.st.Claim(ctx, q, until, int64(e.opts.Batch), e.now().Add(e.opts.Lease), e.claimant())
			if err != nil {
				errs = append(errs, err)
				break
			}
			if len(claims) == 0 {
				break
			}
			refs := make([]string, len(claims))
			for i, c := range claims {
				refs[i] = c.ID
			}
			sctx, cancel := settling(ctx)
			err = read(ctx, refs, t)
			if err != nil {
				errs = append(errs, err, e.retryLater(sctx, q, claims))
				cancel()
				continue
			}
			// Acked in a dry run too: what was read is applied to the state
			// either way, and the writes it calls for stay queued.
			err = e.st.Ack(sctx, q, claims, e.now())
			cancel()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, c := range claims {
				if c.Attempts == 0 { // a retry's due time is its backoff, not a delivery
					done = append(done, named{kind: kind, due: c.Due})
				}
			}
		}
	}
	return done, errors.Join(errs...)
}

// readTickets reads tickets by id; those the helpdesk no longer has are
// forgotten.
func (e *Engine) readTickets(ctx context.Context, refs []string, t *tally) error {
	ids := parseTicketIDs(refs)
	if len(ids) == 0 {
		return nil
	}
	return e.rereadTickets(ctx, ids, t)
}

// readBugs reads bugs by immutable id where the store knows them (a key is
// resolved through its alias), and drops those the tracker no longer has.
// A bug the store does not know matters only when its own remote links may
// link it (tracker links), and only in a configured project; otherwise
// reading it would spend a request on an issue no ticket links to.
func (e *Engine) readBugs(ctx context.Context, refs []string, t *tally) error {
	var keys, ids []string
	for _, r := range refs {
		switch {
		case isIssueID(r):
			ids = append(ids, r)
		case e.policy.ValidKey(r):
			keys = append(keys, r)
		}
	}
	aliases, err := e.st.Aliases(ctx, keys)
	if err != nil {
		return err
	}
	var unknownKeys []string
	for _, k := range keys {
		if id, ok := aliases[k]; ok {
			ids = append(ids, id)
		} else {
			unknownKeys = append(unknownKeys, k)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	known, err := e.st.Bugs(ctx, ids)
	if err != nil {
		return err
	}
	if !e.policy.TrackerLinks {
		ids = slices.DeleteFunc(ids, func(id string) bool { _, ok := known[id]; return !ok })
		unknownKeys = nil
	}
	var bugs []Bug
	var missing []string
	if len(ids) > 0 {
		if bugs, missing, err = e.tr.BugsByID(ctx, ids); err != nil {
			return fmt.Errorf("engine: read %s by id: %w", plural(len(ids), "bug", "bugs"), err)
		}
	}
	if len(unknownKeys) > 0 {
		byKey, _, err := e.tr.BugsByKey(ctx, unknownKeys)
		if err != nil {
			return fmt.Errorf("engine: read bugs %v: %w", unknownKeys, err)
		}
		for _, b := range byKey {
			if !slices.ContainsFunc(bugs, func(o Bug) bool { return o.ID == b.ID }) {
				bugs = append(bugs, b)
			}
		}
	}
	bugs = slices.DeleteFunc(bugs, func(b Bug) bool { _, ok := known[b.ID]; return !ok && !e.policy.HasProject(b.Project) })
	if len(bugs) > 0 {
		if err := e.recordBugs(ctx, bugs, time.Time{}, false, t); err != nil {
			return err
		}
	}
	for _, id := range missing {
		if r, ok := known[id]; ok {
			if err := e.dropBug(ctx, r, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// settled reports the latency of the named items a pass has finished.
func (e *Engine) settled(items []named) {
	if len(items) == 0 {
		return
	}
	now := e.now()
	var worst time.Duration
	for _, it := range items {
		d := max(now.Sub(it.due), 0)
		worst = max(worst, d)
		if e.opts.Latency != nil {
			e.opts.Latency.ObserveEventToWrite(it.kind, d)
		}
	}
	e.log.Debug("named items settled", zap.Int("items", len(items)), zap.Duration("slowest", worst))
}

func isIssueID(s string) bool {
	n, err := strconv.ParseUint(s, 10, 63)
	return err == nil && n > 0 && len(s) <= 19
}

package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/semaphore"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
)

// Fence tells whether this replica may act as the leader (poll, sweep, and
// write what the cycle planned); the leader lease implements it.
type Fence interface {
	Check(ctx context.Context) error
}

// Claimant names this replica's claims on the shared queue. A claim made
// for a claimant is held only while the claimant lives, so that the work
// of a replica that dies, leader or not, is taken up by the next claim of
// another at once; sync/lease.Claimant implements it.
type Claimant interface {
	// Token is the claimant's current token, "" while it has none (its
	// claims are then held for Options.Lease, as without a claimant).
	Token() string
	// Holds reports whether token is still this replica's and surely
	// alive: the engine marks a note or comment in flight only then.
	Holds(token string) bool
}

// ErrClaimLost: the claim of an item is no longer this replica's (its
// claimant lapsed, or the claim timed out and another replica took it), so
// nothing may be said about the item now.
var ErrClaimLost = errors.New("claim lost")

// ErrStopping is what a Fence's error wraps once the replica is shutting
// down: leader work stops at its next checkpoint, and the step ends as a
// clean stop (Report.Stopped), as it does when its context is cancelled.
var ErrStopping = errors.New("shutting down")

// Options are the engine's dependencies and operating knobs.
type Options struct {
	Helpdesk Helpdesk
	Tracker  Tracker
	Store    Store
	Policy   Policy
	Logger   *zap.Logger     // nil logs nothing
	Clock    clock.Clock     // nil is the wall clock; it also paces Run
	Recorder Recorder        // nil records nothing
	Fence    Fence           // nil: this replica always leads
	Claimant Claimant        // nil: claims are held for Lease
	Latency  LatencyObserver // nil observes nothing
	Steps    StepObserver    // nil observes nothing
	// Pacer, when set, sets the time between poll cycles (see Run); nil
	// polls every PollInterval.
	Pacer Pacer
	// Wake, when set, makes Run drain the queue at once on each receive,
	// between its periodic steps: webhook deliveries accepted on any
	// replica arrive here.
	Wake <-chan struct{}
	// Elected, when set, tells Run that this replica has just become the
	// leader: it polls at once instead of at its next drain.
	Elected <-chan struct{}

	// DryRun computes and logs every vendor write and makes none. Redis
	// state still follows observation, but markers and last-written values
	// do not advance and dirty items stay queued, so a later real run does
	// the work.
	DryRun bool
	// ConfirmLargeChange lets writes over the policy's limits through.
	ConfirmLargeChange bool

	Workers int // bugs reconciled in parallel; default 4
	Batch   int // queue items claimed at once; default 100
	// PollInterval is the time from the start of one poll cycle to the
	// start of the next (at once when a cycle takes longer); default 1m.
	PollInterval time.Duration
	// DrainInterval is how long after each step Run works the shared
	// queue again and checks the lease, between polls (default 5s, never
	// above PollInterval): retried items are picked up without waiting a
	// whole poll interval, and a standby that is not told it was Elected
	// finds out within it.
	DrainInterval time.Duration
	SweepInterval time.Duration // stale sweep period; default 1h
	// ReleaseCheck is how long the leader waits between two reads of a
	// project's versions while fixed bugs wait on one of them (default
	// 15m); a version webhook reads them at once.
	ReleaseCheck time.Duration
	// OrganizationCheck is how long the leader waits between two reads of
	// the helpdesk's organization export while tiers or revenue count
	// (default 15m).
	OrganizationCheck time.Duration
	// Lease is how long a claim hides an item at most; default 5m. A claim
	// of a live Claimant ends with the claimant.
	Lease          time.Duration
	RetryBase      time.Duration // first retry delay of a failed item; default 30s
	RetryMax       time.Duration // longest retry delay; default 1h
	MissingRecheck time.Duration // first re-check of a missing key; default 6h, doubling to a week
}

// Engine is the reconciler. Cycle, Drain, Resync and Run are one loop's
// steps: call one at a time per Engine (replicas each have their own).
// Enqueue and Backlog may be called concurrently with them, from webhook
// handlers and metrics.
type Engine struct {
	opts   Options
	hd     Helpdesk
	tr     Tracker
	st     Store
	policy Policy
	log    *zap.Logger
	clock  clock.Clock
	// dueFloor (unix ns) is the earliest due time of anything marked dirty
	// while a reconcile pass runs: later than the pass's horizon, so that
	// the pass never claims again what it just put back.
	dueFloor atomic.Int64
	// guardsClear is set once the guard board is known to hold nothing.
	guardsClear atomic.Bool
	// keysWaiting is set while keys this engine observed (or, at start,
	// any replica) may wait in the store to be looked up; keysScanned is
	// when a reconcile last scanned for them (see resolveWaiting).
	keysWaiting atomic.Bool
	keysScanned time.Time
	// bugSlots weighs Workers: the bugs being reconciled, across batches,
	// so that one batch's slowest bug does not idle the others.
	bugSlots *semaphore.Weighted
}

// New checks the options and returns an engine.
func New(o Options) (*Engine, error) {
	var errs []error
	if o.Helpdesk == nil {
		errs = append(errs, errors.New("engine: Options.Helpdesk is required"))
	}
	if o.Tracker == nil {
		errs = append(errs, errors.New("engine: Options.Tracker is required"))
	}
	if o.Store == nil {
		errs = append(errs, errors.New("engine: Options.Store is required"))
	}
	if err := o.Policy.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("engine: policy: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	setDefault(&o.Workers, 4)
	setDefault(&o.Batch, 100)
	setDefault(&o.PollInterval, time.Minute)
	setDefault(&o.DrainInterval, 5*time.Second)
	o.DrainInterval = min(o.DrainInterval, o.PollInterval)
	setDefault(&o.SweepInterval, time.Hour)
	setDefault(&o.ReleaseCheck, 15*time.Minute)
	setDefault(&o.OrganizationCheck, 15*time.Minute)
	setDefault(&o.Lease, 5*time.Minute)
	setDefault(&o.RetryBase, 30*time.Second)
	setDefault(&o.RetryMax, time.Hour)
	setDefault(&o.MissingRecheck, 6*time.Hour)
	e := &Engine{
		opts: o, hd: o.Helpdesk, tr: o.Tracker, st: o.Store, policy: o.Policy,
		log: o.Logger, clock: o.Clock, bugSlots: semaphore.NewWeighted(int64(o.Workers)),
	}
	e.keysWaiting.Store(true) // what a crash left waiting
	return e, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

func (e *Engine) now() time.Time { return e.clock.Now().UTC() }

// claimant is the token to claim items for, "" without a claimant.
func (e *Engine) claimant() string {
	if e.opts.Claimant == nil {
		return ""
	}
	return e.opts.Claimant.Token()
}

// holds checks, before something is said once, that the claim it was
// claimed for is still this replica's to act on.
func (e *Engine) holds(what string, token string) error {
	if token == "" || e.opts.Claimant == nil || e.opts.Claimant.Holds(token) {
		return nil
	}
	return fmt.Errorf("engine: %s: %w: this replica's claimant lapsed", what, ErrClaimLost)
}

// dueNow is the due time for items marked dirty now: now, but never within
// the horizon of a running reconcile pass.
func (e *Engine) dueNow() time.Time {
	now := e.now()
	if floor := e.dueFloor.Load(); floor > now.UnixNano() {
		return time.Unix(0, floor).UTC()
	}
	return now
}

// Cycle is one full pass: observe both systems from their cursors, sweep for
// stale bugs when due, read what webhooks named, and reconcile everything
// dirty. An empty state (first start, or Redis lost) is rebuilt by a resync
// first. Errors of one phase do not stop the others; they are joined in the
// result.
func (e *Engine) Cycle(ctx context.Context) (Report, error) {
	start := e.begin("cycle")
	t := &tally{rep: Report{DryRun: e.opts.DryRun}}
	epoch, err := e.st.Epoch(ctx)
	if err != nil {
		return e.finish(t, start, "cycle", err)
	}
	if epoch == "" {
		e.log.Warn("state is empty (first start, or Redis was lost): rebuilding it from both systems")
		if err := e.resync(ctx, t); err != nil {
			return e.finish(t, start, "cycle", err)
		}
		if epoch, err = e.st.Epoch(ctx); err != nil {
			return e.finish(t, start, "cycle", err)
		}
	}
	if err := e.leading(ctx); err != nil {
		return e.finish(t, start, "cycle", err)
	}
	var errs []error
	for _, phase := range []func(context.Context, *tally) error{e.observeTickets, e.observeBugs, e.sweep, e.checkReleases, e.checkOrganizations} {
		if err := phase(ctx, t); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil || errors.Is(err, errNotLeader) {
				return e.finish(t, start, "cycle", errors.Join(errs...))
			}
		}
	}
	errs = append(errs, e.readReleases(ctx, t))
	read, err := e.readNamed(ctx, t)
	errs = append(errs, err, e.reconcile(ctx, epoch, e.now(), true, t))
	e.settled(read)
	// A stopped cycle says so even when the bookkeeping after its last
	// write completed: what it had not begun is still queued.
	return e.finish(t, start, "cycle", errors.Join(append(errs, ctx.Err())...))
}

// Drain reads what webhooks named and reconciles the dirty items that are
// due, without polling: the work of any replica, leader or not.
func (e *Engine) Drain(ctx context.Context) (Report, error) {
	start := e.begin("drain")
	t := &tally{rep: Report{DryRun: e.opts.DryRun}}
	epoch, err := e.st.Epoch(ctx)
	if err != nil || epoch == "" {
		// Nothing to do until the leader has built the state.
		return e.finish(t, start, "drain", err)
	}
	relErr := e.readReleases(ctx, t)
	read, err := e.readNamed(ctx, t)
	err = errors.Join(relErr, err, e.reconcile(ctx, epoch, e.now(), false, t))
	e.settled(read)
	return e.finish(t, start, "drain", err)
}

// Run works until ctx ends. As the leader (the fence allows) it polls:
// at once, then PollInterval after each poll started (the Pacer may space
// polls further apart while webhooks deliver), and at once again whenever
// Elected says this replica has just become the leader. Between polls,
// and on a standby, it drains the shared queue DrainInterval after each
// step, and at once on each receive on Wake. Every page and item is
// checkpointed as it completes, so stopping at any point loses nothing.
func (e *Engine) Run(ctx context.Context) error {
	every := e.opts.PollInterval
	var lastPoll time.Time // when the last poll started; zero: none yet
	leading := false       // the fence passed at its last check
	var poll, drain alarm
	woken := false
	for {
		var err error
		now := e.clock.Now()
		due := !woken && (lastPoll.IsZero() || !now.Before(lastPoll.Add(every)))
		if due {
			leading = e.leading(ctx) == nil
		}
		if due && leading {
			lastPoll = now
			_, err = e.Cycle(ctx)
			if d := e.pollInterval(ctx); d != every {
				e.log.Info("poll interval changed", zap.Duration("from", every), zap.Duration("to", d))
				every = d
			}
		} else {
			_, err = e.Drain(ctx)
		}
		if ctx.Err() != nil {
			e.log.Info("stopped")
			return nil
		}
		if err != nil && !onlyStopped(err) {
			e.log.Error("cycle failed; retrying next period", zap.Error(err))
		}
		if leading {
			poll.set(e.clock, lastPoll.Add(every))
		} else {
			poll = alarm{}
		}
		drain.set(e.clock, e.clock.Now().Add(e.opts.DrainInterval))
		woken = false
		select {
		case <-ctx.Done():
			e.log.Info("stopped")
			return nil
		case <-poll.c:
			poll = alarm{}
		case <-drain.c:
			drain = alarm{}
		case <-e.opts.Wake: // nil without webhooks: never ready
			woken = true
		case <-e.opts.Elected: // nil without a lease: never ready
			lastPoll = time.Time{}
		}
	}
}

// alarm is a channel that receives at a time on a clock; set arms a new
// timer only when the time changes.
type alarm struct {
	at time.Time
	c  <-chan time.Time
}

func (a *alarm) set(c clock.Clock, at time.Time) {
	if a.c != nil && a.at.Equal(at) {
		return
	}
	a.at, a.c = at, c.After(at.Sub(c.Now()))
}

// pollInterval is the time until the next poll cycle: the Pacer's when it
// has one, never shorter than PollInterval.
func (e *Engine) pollInterval(ctx context.Context) time.Duration {
	if e.opts.Pacer == nil {
		return e.opts.PollInterval
	}
	return max(e.opts.Pacer.PollInterval(ctx), e.opts.PollInterval)
}

var errNotLeader = errors.New("not the leader")

// leading checks the fence: a replica that lost the lease stops writing.
func (e *Engine) leading(ctx context.Context) error {
	if e.opts.Fence == nil {
		return nil
	}
	if err := e.opts.Fence.Check(ctx); err != nil {
		return fmt.Errorf("engine: %w: %w", errNotLeader, err)
	}
	return nil
}

// begin tells the step observer that step starts, and returns the time.
func (e *Engine) begin(step string) time.Time {
	if e.opts.Steps != nil {
		e.opts.Steps.StepStarted(step)
	}
	return e.now()
}

func (e *Engine) finish(t *tally, start time.Time, what string, err error) (Report, error) {
	stopped := onlyStopped(err)
	t.add(func(r *Report) {
		r.Duration = e.now().Sub(start)
		r.Stopped = stopped
		if err != nil && !stopped && r.Errors == 0 {
			r.Errors = 1
		}
	})
	rep := t.report()
	if e.opts.Steps != nil {
		// A clean stop is not a failure for metrics, readiness or the board.
		observed := err
		if stopped {
			observed = nil
		}
		e.opts.Steps.ObserveStep(what, rep, observed)
	}
	fields := []zap.Field{
		zap.Bool("dry_run", rep.DryRun), zap.Duration("took", rep.Duration),
		zap.Int("tickets_observed", rep.TicketsObserved), zap.Int("bugs_observed", rep.BugsObserved),
		zap.Int("links_added", rep.LinksAdded), zap.Int("links_removed", rep.LinksRemoved),
		zap.Int("bug_edits", rep.BugEdits), zap.Int("priority_changes", rep.PriorityChanges),
		zap.Int("comments", rep.Comments), zap.Int("remote_links_upserted", rep.RemoteLinksUpserted),
		zap.Int("remote_links_deleted", rep.RemoteLinksDeleted), zap.Int("ticket_updates", rep.TicketUpdates),
		zap.Int("notes", rep.Notes), zap.Int("stale_flagged", rep.StaleFlagged), zap.Int("stale_unflagged", rep.StaleUnflagged),
		zap.Int("errors", rep.Errors), zap.Int("held", len(rep.Held)),
	}
	switch {
	case stopped:
		e.log.Info(what+" stopped for shutdown before it finished; what it had not done stays queued", fields...)
	case err != nil:
		e.log.Error(what+" finished with errors", append(fields, zap.Error(err))...)
	case what == "drain" && rep.TicketsObserved+rep.BugsObserved+rep.Writes() == 0:
		// Webhooks wake a drain per delivery; one that found nothing is
		// not worth a line.
		e.log.Debug(what+" finished", fields...)
	default:
		e.log.Info(what+" finished", fields...)
	}
	return rep, err
}

// onlyStopped reports whether err says nothing but that the step was
// stopped: every error it joins is a cancelled context or ErrStopping (a
// stopping fence's error comes wrapped with errNotLeader).
func onlyStopped(err error) bool {
	switch u := err.(type) {
	case nil:
		return false
	case interface{ Unwrap() []error }:
		some := false
		for _, e := range u.Unwrap() {
			if e == nil || e == errNotLeader {
				continue
			}
			if !onlyStopped(e) {
				return false
			}
			some = true
		}
		return some
	case interface{ Unwrap() error }:
		if inner := u.Unwrap(); inner != nil {
			return onlyStopped(inner)
		}
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, ErrStopping)
}

// newEpoch is a short random id for a new state generation.
func newEpoch() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// retryAt is when a failed item is tried again: exponential from RetryBase,
// at most RetryMax.
func (e *Engine) retryAt(now time.Time, attempts int) time.Time {
	d := e.opts.RetryBase
	for i := 0; i < attempts && d < e.opts.RetryMax; i++ {
		d *= 2
	}
	return now.Add(min(d, e.opts.RetryMax))
}

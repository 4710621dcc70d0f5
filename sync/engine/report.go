package engine

import (
	"sync"
	"time"

	"go.uber.org/zap"
)

// Report counts what one cycle (or resync) observed and wrote. In a dry run
// the write counts are the writes it would have made.
type Report struct {
	TicketsObserved     int
	BugsObserved        int
	LinksAdded          int
	LinksRemoved        int
	KeysIgnored         int // candidates of unknown projects or malformed
	KeysMissing         int // keys reported as matching no issue
	Transitions         int // bug status-state changes observed
	BugEdits            int
	PriorityChanges     int
	Comments            int
	RemoteLinksUpserted int
	RemoteLinksDeleted  int
	TicketUpdates       int
	Notes               int
	StaleFlagged        int
	StaleUnflagged      int
	// VersionReads counts the project version lists read for release
	// tracking; VersionsReleased the awaited versions found released.
	VersionReads     int
	VersionsReleased int
	// OrganizationsRead counts the organizations the organization export
	// handed over; OrganizationBugsQueued the bugs marked due because one
	// they wait on changed tier or revenue.
	OrganizationsRead      int
	OrganizationBugsQueued int
	Errors                 int
	Held                   []GuardState // kinds of writes the blast-radius guard held
	DryRun                 bool
	// Stopped reports that the step was cut short by a shutdown (its
	// context ended, or the fence said the replica is stopping): a clean
	// stop, not a failure; what it had not done stays queued.
	Stopped  bool
	Duration time.Duration

	// HelpdeskRead and TrackerRead report that the step read that system's
	// changes up to the present without an error: when each vendor last
	// answered a whole poll, for the impact board's health.
	HelpdeskRead bool
	TrackerRead  bool
}

// Writes is the number of vendor writes the report counts.
func (r Report) Writes() int {
	return r.BugEdits + r.Comments + r.RemoteLinksUpserted + r.RemoteLinksDeleted + r.TicketUpdates
}

// EventKind names something the engine did or found.
type EventKind string

const (
	EventLinkAdded          EventKind = "link_added"
	EventLinkRemoved        EventKind = "link_removed"
	EventKeyIgnored         EventKind = "key_ignored"
	EventKeyMissing         EventKind = "key_missing"
	EventTransition         EventKind = "bug_transition"
	EventBugGone            EventKind = "bug_gone"
	EventTicketGone         EventKind = "ticket_gone"
	EventBugEdited          EventKind = "bug_edited"
	EventPriorityChanged    EventKind = "priority_changed"
	EventCountChanged       EventKind = "count_changed"
	EventCommented          EventKind = "bug_commented"
	EventRemoteLinkUpserted EventKind = "remote_link_upserted"
	EventRemoteLinkDeleted  EventKind = "remote_link_deleted"
	EventTicketUpdated      EventKind = "ticket_updated"
	EventNotePosted         EventKind = "note_posted"
	EventStaleFlagged       EventKind = "stale_flagged"
	EventStaleUnflagged     EventKind = "stale_unflagged"
	EventVersionReleased    EventKind = "version_released"
	EventGuardHeld          EventKind = "guard_held"
	EventWriteFailed        EventKind = "write_failed"
)

// Event is one thing the engine did or found, for metrics and for people
// watching (the demo prints them). Detail is a short human sentence, at
// most maxDetail runes.
type Event struct {
	Kind     EventKind
	BugID    string
	BugKey   string
	TicketID int64
	Detail   string
	DryRun   bool // the write was only planned
	// Seq numbers the change per bug, so that a consumer that must act
	// once per change (a chat notice) can name it across restarts: the
	// record's Seq for EventTransition, the stale episode for
	// EventStaleFlagged, the priority comment's Seq for
	// EventPriorityChanged; 0 for other kinds.
	Seq int
	// State is the bug's new state, for EventTransition.
	State BugState
	// From and To are the priorities of EventPriorityChanged.
	From, To string
}

// Recorder receives events; it must be safe for concurrent use.
type Recorder interface {
	Record(Event)
}

// StepObserver hears when each step of the engine, named "cycle", "drain"
// or "resync", starts and when it finishes, with its report and error:
// metrics and health checks need to know when work last succeeded, and a
// graceful shutdown whether a step is under way. It is called on the step's
// goroutine, so it must be quick and safe for concurrent use.
type StepObserver interface {
	StepStarted(step string)
	ObserveStep(step string, rep Report, err error)
}

// tally is a cycle's report under construction, shared by workers.
type tally struct {
	mu  sync.Mutex
	rep Report
}

func (t *tally) add(f func(r *Report)) {
	t.mu.Lock()
	f(&t.rep)
	t.mu.Unlock()
}

func (t *tally) report() Report {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rep
}

// maxDetail bounds an event's detail, in runes.
const maxDetail = 500

// event logs one line for ev and hands it to the recorder.
func (e *Engine) event(ev Event, fields ...zap.Field) {
	ev.DryRun = e.opts.DryRun
	// Details quote what people typed (statuses, versions, keys); a line
	// stays bounded whatever they typed.
	ev.Detail = truncate(ev.Detail, maxDetail)
	fs := make([]zap.Field, 0, len(fields)+5)
	fs = append(fs, zap.String("event", string(ev.Kind)))
	if ev.BugKey != "" || ev.BugID != "" {
		fs = append(fs, zap.String("bug", ev.BugKey), zap.String("bug_id", ev.BugID))
	}
	if ev.TicketID != 0 {
		fs = append(fs, zap.Int64("ticket", ev.TicketID))
	}
	if ev.DryRun {
		fs = append(fs, zap.Bool("dry_run", true))
	}
	fs = append(fs, fields...)
	msg := ev.Detail
	if ev.DryRun && isWrite(ev.Kind) {
		msg = "would: " + msg
	}
	switch ev.Kind {
	case EventWriteFailed, EventGuardHeld:
		e.log.Error(msg, fs...)
	case EventKeyMissing, EventBugGone, EventTicketGone:
		e.log.Warn(msg, fs...)
	case EventLinkAdded, EventLinkRemoved:
		// A backfill makes one per ticket; the cycle line counts them.
		e.log.Debug(msg, fs...)
	case EventRemoteLinkUpserted, EventRemoteLinkDeleted:
		// One per linked ticket; the bug's line (logRemoteLinks) names them.
		e.log.Debug(msg, fs...)
	default:
		e.log.Info(msg, fs...)
	}
	if e.opts.Recorder != nil {
		e.opts.Recorder.Record(ev)
	}
}

func isWrite(k EventKind) bool {
	switch k {
	case EventBugEdited, EventPriorityChanged, EventCountChanged, EventCommented, EventRemoteLinkUpserted,
		EventRemoteLinkDeleted, EventTicketUpdated, EventNotePosted, EventStaleFlagged:
		return true
	}
	return false
}

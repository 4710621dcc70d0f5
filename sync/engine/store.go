package engine

import (
	"context"
	"time"
)

// TicketRecord is what the engine remembers of a ticket: the observed fields
// it uses, with its own writes applied once they succeed.
type TicketRecord struct {
	ID             int64
	Status         TicketStatus
	RequesterID    int64
	OrganizationID int64
	Locale         string // the requester's locale; "" for the default language
	Subject        string
	URL            string
	Keys           []string // validated bug keys found on the ticket, sorted
	Rejected       []string // the first rejected candidates, and "+N" for the rest: reported when they change
	Tags           []string // the managed status tags the ticket carries, sorted
	StatusField    string
	AssigneeID     int64
	GroupID        int64
	// Act is what the ticket-status automation last did to the ticket.
	// Observation never changes it; only the ticket's reconciler does,
	// through SetStatusActs.
	Act StatusAct
	// CreatedAt is when the ticket was opened; zero for a record stored
	// before creation times were kept, until the ticket is observed again.
	CreatedAt time.Time
	UpdatedAt time.Time
	// StampStale is set when the engine wrote the ticket after UpdatedAt was
	// observed: a conditional write must re-read the ticket first.
	StampStale bool
	// Version is the store's version of the record, for compare-and-set.
	Version int64
}

// BugRecord is what the engine remembers of a bug: the observed fields, with
// its own writes applied once they succeed, and what observation taught it.
type BugRecord struct {
	Bug
	// Seq counts the changes of State observed since the record began; notes
	// are due per (ticket, bug, Seq).
	Seq   int
	State BugState
	// LastActivity is the last time a person (anyone but this service)
	// is known to have changed the bug; zero when none is known yet.
	// Unattributed is the newest update the engine could not attribute:
	// the service's own write, or someone else's change as well, at or
	// before it; zero when there is none past LastActivity. The last
	// person's change lies between the two, and the tracker's changelog
	// and comments tell which, when the stale policy needs to know.
	LastActivity time.Time
	Unattributed time.Time
	Stale        StaleFlag
	Version      int64
}

// activityBounds are the earliest and latest time the last change by a
// person can have been.
func (r BugRecord) activityBounds() (lo, hi time.Time) {
	return r.LastActivity, latest(r.LastActivity, r.Unattributed)
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// StaleFlag is the stale state of a bug. Episode counts the times it was
// flagged; one comment is due per episode. Idle is how long nobody had
// touched the bug when it was flagged (what its comment says).
type StaleFlag struct {
	Flagged bool
	Episode int
	Since   time.Time
	Idle    time.Duration
}

// Phase tracks a comment or note that must be posted exactly once.
type Phase uint8

const (
	PhaseNone Phase = iota
	// PhasePlanned: the write the comment reports may have been sent.
	PhasePlanned
	// PhaseSending: the comment itself may have been sent; before sending
	// it again, ask the vendor whether it carries the marker.
	PhaseSending
	PhaseDone
)

// Pending is a comment the engine owes a bug: a priority change, or a stale
// episode. Seq numbers them per bug; Target is the priority of a change.
type Pending struct {
	Seq    int
	Target string
	Text   string
	Phase  Phase
}

// BugMemory is what only the reconciler of a bug writes and later decides
// by: the comments it owes, what it wrote last, and how many open tickets
// it saw (which the sweep judges staleness by).
type BugMemory struct {
	Bump      Pending
	StaleNote Pending
	// Expect is an edit that may have been sent and not yet recorded: an
	// observation it explains is the engine's own echo, not someone's
	// activity. Zero when none.
	Expect BugEdit
	// Seen is the bug's update time as observed when the engine last
	// wrote (or was about to write) to it: while the record's Updated is
	// still Seen, the next move of the update time may be the engine's.
	// Both are the tracker's clock, so no clock skew enters the rule.
	Seen time.Time
	// Echo is the update time, on the tracker's clock, that the engine's
	// latest write of known time left on the bug (a comment's creation
	// time): an update time not after it is the engine's own.
	Echo        time.Time
	OpenTickets int // linked open tickets at the last reconcile
}

// Standing is where a bug stands with the customers waiting on it, as of
// its last reconcile: what the read models built around the engine (the
// impact board's ranking, waits per organization, customers per category)
// are made of. No plan depends on it; the engine computes it and hands
// it to the store beside the bug's memory, in the same write, so the read
// models never disagree with the memory.
//
// The engine reads the previous standing back for one reason: an
// organization whose counted tickets' creation is unknown waits since it
// was first seen waiting, which only the previous Waiting remembers (see
// waitingSince).
type Standing struct {
	Category  StatusCategory
	Customers Customers
	// Waiting holds the organizations of the bug's counted tickets, each
	// with since when it waits: the creation of its oldest counted ticket.
	Waiting map[int64]time.Time
	// Release, when set, is the release the bug's open tickets wait on:
	// the store keeps it in the set release tracking polls (see
	// Releases).
	Release *Awaiting
}

// NoteMark records, per (ticket, bug), the bug's Seq the ticket's agent was
// last told about, and the Seq of a note that may be in flight.
type NoteMark struct {
	Seq     int
	Sending int // 0 when no note is in flight
}

// WrittenLink is a remote link the engine last wrote: enough to tell whether
// it changed, and to delete it once its ticket is gone.
type WrittenLink struct {
	GlobalID string
	Digest   string
}

// LinkSource is a bit set of where a link between a ticket and a bug comes
// from.
type LinkSource uint8

const (
	LinkFromTicket  LinkSource = 1 << iota // keys field, link tags, subject
	LinkFromTracker                        // a remote link on the bug to the ticket
)

// LinkChange is one link added to or removed from the index.
type LinkChange struct {
	TicketID int64
	BugID    string
	Source   LinkSource
	Added    bool
}

// MissingKey is a key that matched no issue. It is reported once and looked
// up again only at RecheckAt.
type MissingKey struct {
	Key       string
	FirstSeen time.Time
	RecheckAt time.Time
	Checks    int
}

// TicketChange is what observing one ticket changes.
type TicketChange struct {
	ID     int64
	Record *TicketRecord // nil: the ticket is gone; every link of it is removed
	// Bugs are the ids of the bugs the ticket itself links to (its
	// LinkFromTicket links become exactly these).
	Bugs      []string
	Dirty     bool // the ticket needs reconciling even if no link changed
	BugsDirty bool // every bug linked before or after needs reconciling
	// Unresolved, when not nil, records that the ticket names keys the
	// store knows no bug for: they wait, in the same commit, for the load
	// phase to look them up (see ResolveTickets). Nil clears what waited.
	Unresolved *UnresolvedKeys
}

// UnresolvedKeys are what a ticket's links wait on: the keys to look up,
// and the bugs its other keys named when it was observed.
type UnresolvedKeys struct {
	Keys []string // sorted
	Bugs []string // sorted
}

// UnresolvedTicket is a ticket whose keys wait to be looked up.
type UnresolvedTicket struct {
	ID int64
	UnresolvedKeys
}

// KnownKeys is what the store knows of some keys: the bug each names, and
// those known to name none.
type KnownKeys struct {
	Bugs    map[string]string
	Missing map[string]MissingKey
}

// KeyResolution is what looking up waiting keys found; the store applies it
// atomically. Each ticket's LinkFromTicket links become exactly Links[id],
// and it stops waiting, only while what waits is still Tickets[i] (a newer
// observation of the ticket replaced it otherwise, and waits in its place).
type KeyResolution struct {
	Tickets []UnresolvedTicket
	Links   map[int64][]string
	NewBugs []BugRecord // stored only where the store has no record yet
	Aliases map[string]string
	Missing []MissingKey
	Now     time.Time
}

// TicketPageCommit is everything one helpdesk page changes; the store applies
// it atomically, cursor included, so a crash never moves the cursor past work
// that was not recorded.
type TicketPageCommit struct {
	Tickets       []TicketChange
	NewBugs       []BugRecord       // stored only where the store has no record yet
	Aliases       map[string]string // key → bug id
	Missing       []MissingKey
	Organizations []Organization
	Cursor        string // "" leaves the cursor as is
	Now           time.Time
}

// BugChange is what observing one bug changes.
type BugChange struct {
	Record       BugRecord
	Dirty        bool // the bug needs reconciling
	TicketsDirty bool // every ticket linked to it needs reconciling
	// TrackerTickets, when TrackerLinksRead, are the tickets the bug's own
	// remote links point at: its LinkFromTracker links become exactly these.
	TrackerTickets   []int64
	TrackerLinksRead bool
}

// BugPageCommit is everything one tracker page changes, applied atomically
// with the watermark.
type BugPageCommit struct {
	Bugs      []BugChange
	Aliases   map[string]string
	Watermark time.Time // zero leaves it as is
	Now       time.Time
}

// Queue names a work queue of dirty items.
type Queue string

const (
	BugQueue    Queue = "bug"
	TicketQueue Queue = "ticket"
)

// Claim is an item taken from a queue. Version tells whether it was marked
// dirty again while it was being worked on.
type Claim struct {
	ID       string
	Version  int64
	Attempts int
	// Due is when the item was due; for an item never claimed before, when
	// it was first marked.
	Due time.Time
	// Claimant is the token the item was claimed for ("" for none): the
	// claim lasts while that claimant lives, and writes that say something
	// once are fenced by it.
	Claimant string
}

// GuardState is the blast-radius guard holding writes of one kind.
type GuardState struct {
	Kind    string // "priority", "bug", "ticket"
	Planned int
	Limit   int
	Since   time.Time
}

// Cursors are the observers' positions in the two vendor streams, and the
// generation of the state.
type Cursors interface {
	// Epoch is a short random id of this state's generation; "" when the
	// state is empty (first start, or Redis was lost). It is part of every
	// note and comment marker, so markers of a lost state never match.
	Epoch(ctx context.Context) (string, error)
	SetEpoch(ctx context.Context, epoch string) error
	TicketCursor(ctx context.Context) (string, error)
	SetTicketCursor(ctx context.Context, cursor string) error
	BugWatermark(ctx context.Context) (time.Time, error)
	SetBugWatermark(ctx context.Context, t time.Time) error
	SweptAt(ctx context.Context) (time.Time, error)
	SetSweptAt(ctx context.Context, t time.Time) error
}

// Index holds the observed records and the link index.
type Index interface {
	CommitTicketPage(ctx context.Context, c TicketPageCommit) ([]LinkChange, error)
	CommitBugPage(ctx context.Context, c BugPageCommit) ([]LinkChange, error)
	Tickets(ctx context.Context, ids []int64) (map[int64]TicketRecord, error)
	Bugs(ctx context.Context, ids []string) (map[string]BugRecord, error)
	// PutTickets and PutBug replace records whose Version is still the
	// store's (compare-and-set); ok is false where someone replaced the
	// record first.
	PutTickets(ctx context.Context, rs []TicketRecord) (ok []bool, err error)
	PutBug(ctx context.Context, r BugRecord) (ok bool, err error)
	// DropBug forgets a bug that no longer exists: record, links (its
	// tickets are marked dirty, due at now), memory, and its key, which is
	// recorded as missing.
	DropBug(ctx context.Context, r BugRecord, missing MissingKey, now time.Time) ([]int64, error)
	Aliases(ctx context.Context, keys []string) (map[string]string, error)
	MissingKeys(ctx context.Context, keys []string) (map[string]MissingKey, error)
	// Keys reads the aliases and missing records of keys at once.
	Keys(ctx context.Context, keys []string) (KnownKeys, error)
	// UnresolvedTickets pages through the tickets whose keys wait to be
	// looked up (a ticket may come twice across pages; callers tolerate
	// it). A cursor of 0 starts, and a next of 0 ends, the scan.
	UnresolvedTickets(ctx context.Context, cursor uint64, count int64) (ts []UnresolvedTicket, next uint64, err error)
	ResolveTickets(ctx context.Context, r KeyResolution) ([]LinkChange, error)
	TicketLinks(ctx context.Context, ids []int64) (map[int64]map[string]LinkSource, error)
	BugLinks(ctx context.Context, ids []string) (map[string]map[int64]LinkSource, error)
	// LinkedBugs pages through the ids of bugs with at least one link.
	LinkedBugs(ctx context.Context, cursor uint64, count int64) (ids []string, next uint64, err error)
}

// Memory holds what the engine has said and written, so that it says it once.
type Memory interface {
	// BugMemories reads each bug's memory and the standing written beside
	// it; bugs never written get zero values.
	BugMemories(ctx context.Context, ids []string) (map[string]BugMemory, map[string]Standing, error)
	// SetBugMemory replaces a bug's memory and its standing together.
	SetBugMemory(ctx context.Context, id string, m BugMemory, s Standing) error
	// SetBugMemoryFor is SetBugMemory for claimant holder ("" for none):
	// refused with ErrClaimLost unless holder still holds the bug's claim.
	SetBugMemoryFor(ctx context.Context, id string, m BugMemory, s Standing, holder string) error
	NoteMarks(ctx context.Context, ticketIDs []int64) (map[int64]map[string]NoteMark, error)
	// SetStatusActs replaces the Act of each ticket that still has a
	// record (a ticket deleted meanwhile is not brought back), whatever
	// its Version: only the ticket's reconciler writes it, and an
	// observation committed since must not make it forget what it did.
	SetStatusActs(ctx context.Context, acts map[int64]StatusAct) error
	// SetNoteMarks writes marks and deletes those of drop (bug ids per
	// ticket) in one transaction.
	SetNoteMarks(ctx context.Context, set map[int64]map[string]NoteMark, drop map[int64][]string) error
	// SetNoteMarksFor is SetNoteMarks for claimant holder ("" for none):
	// refused with ErrClaimLost unless holder still holds every ticket's
	// claim.
	SetNoteMarksFor(ctx context.Context, set map[int64]map[string]NoteMark, drop map[int64][]string, holder string) error
	// WrittenLinks are the remote links last written per bug, by ticket id.
	WrittenLinks(ctx context.Context, bugIDs []string) (map[string]map[int64]WrittenLink, error)
	SetWrittenLinks(ctx context.Context, bugID string, set map[int64]WrittenLink, del []int64) error
}

// WorkQueue is the queue of dirty bugs and tickets shared by replicas.
type WorkQueue interface {
	// Enqueue marks ids dirty; an id already queued stays one item.
	Enqueue(ctx context.Context, q Queue, ids []string, now time.Time) error
	// Due lists items due at or before until without claiming them.
	Due(ctx context.Context, q Queue, until time.Time, offset, count int64) ([]string, error)
	DueCount(ctx context.Context, q Queue, until time.Time) (int64, error)
	// Claim takes up to count items due at or before until, hiding them from
	// other claimants until leaseUntil, and, when claimant is not "", only
	// while that claimant lives: the claims of a claimant that died are
	// released, due at once, by the next Claim of any replica.
	Claim(ctx context.Context, q Queue, until time.Time, count int64, leaseUntil time.Time, claimant string) ([]Claim, error)
	// Ack removes claimed items that were not marked dirty again meanwhile;
	// the others become due at now. Items claimed again by another
	// claimant since are left to it.
	Ack(ctx context.Context, q Queue, claims []Claim, now time.Time) error
	// Reschedule makes claimed items due at due, counting a failed attempt
	// when failed is set; items claimed again by another claimant since
	// are left to it.
	Reschedule(ctx context.Context, q Queue, claims []Claim, due time.Time, failed bool) error
}

// OrgCache caches organizations for a while.
type OrgCache interface {
	// Organizations returns the cached organizations among ids that have not
	// expired at now.
	Organizations(ctx context.Context, ids []int64, now time.Time) (map[int64]Organization, error)
	PutOrganizations(ctx context.Context, orgs []Organization, now time.Time) error
	// OrganizationExport is the organization export's position.
	OrganizationExport(ctx context.Context) (OrganizationExport, error)
	// CommitOrganizationPage records the organizations of c that bugs wait
	// on or the store has recorded before (others are left out: no bug
	// counts them), marks due the bugs each waits on whose tier or revenue
	// changed, as a ticket page's organizations do, and moves the export's
	// position, in one atomic write. It returns the number of bugs marked.
	CommitOrganizationPage(ctx context.Context, c OrganizationPageCommit) (int, error)
}

// GuardBoard records the blast-radius guard for readiness and the board.
type GuardBoard interface {
	Guards(ctx context.Context) ([]GuardState, error)
	SetGuard(ctx context.Context, g GuardState) error
	ClearGuard(ctx context.Context, kind string) error
}

// Releases is what release tracking keeps: the fixed bugs whose open
// tickets wait on a release (written with each bug's standing), and when
// each project's versions were last read. Shared by replicas.
type Releases interface {
	// AwaitingRelease lists every bug waiting on a release.
	AwaitingRelease(ctx context.Context) ([]Awaiting, error)
	// ReleaseChecks are the times each project's versions were last read.
	ReleaseChecks(ctx context.Context) (map[string]time.Time, error)
	SetReleaseCheck(ctx context.Context, project string, at time.Time) error
}

// Store is everything the engine keeps between cycles; sync/state implements
// it on Redis.
type Store interface {
	Cursors
	Index
	Memory
	WorkQueue
	OrgCache
	GuardBoard
	Releases
}

package engine

import (
	"errors"
	"time"
)

// TicketStatus is a helpdesk ticket status. Zendesk's values are used as-is;
// StatusDeleted marks a ticket that the incremental export reports as deleted.
type TicketStatus string

const (
	StatusNew     TicketStatus = "new"
	StatusOpen    TicketStatus = "open"
	StatusPending TicketStatus = "pending"
	StatusHold    TicketStatus = "hold"
	StatusSolved  TicketStatus = "solved"
	StatusClosed  TicketStatus = "closed"
	StatusDeleted TicketStatus = "deleted"
)

// Ticket is the engine's view of a helpdesk ticket: only what linking,
// counting and annotating need.
type Ticket struct {
	ID             int64
	Status         TicketStatus
	Subject        string
	RequesterID    int64
	OrganizationID int64 // 0 when the ticket has no organization
	AssigneeID     int64 // the agent the ticket is assigned to; 0 when none
	GroupID        int64 // the group the ticket is assigned to; 0 when none
	// Locale is the requester's locale as the helpdesk writes it (de,
	// pt-BR): the language notes to the ticket's agent are written in. ""
	// when the helpdesk did not say, which reads as the default language.
	Locale string
	Tags   []string
	// KeysField is the raw text of the configured custom field that holds bug
	// keys ("" when empty). Numeric or list values are rendered as text by the
	// adapter.
	KeysField string
	// StatusField is the current value of the configured field the engine
	// writes bug status to ("" when empty).
	StatusField string
	URL         string // the agent URL of the ticket, e.g. https://acme.zendesk.com/agent/tickets/42
	// CreatedAt is when the customer opened the ticket: since when they
	// wait. Zero when the helpdesk did not say.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Organization is a helpdesk organization; Tier is the value of the
// configured tier field ("" when unset), Revenue the value of the
// configured revenue field in the configured currency (0 when unset or not
// a number zero or more: the adapter says so in a warning).
type Organization struct {
	ID      int64
	Name    string
	Tier    string
	Revenue float64
}

// TicketPage is one page of changed tickets from the helpdesk. Cursor is the
// position to persist once every ticket on the page has been processed; Done
// reports that the stream has caught up with the present.
type TicketPage struct {
	Tickets       []Ticket
	Organizations []Organization // sideloaded organizations of the page's tickets
	Cursor        string
	Done          bool
}

// TicketUpdate is one minimal write to a ticket. Zero fields mean "leave as is".
type TicketUpdate struct {
	ID          int64
	StatusField *string // new value of the bug-status field; nil leaves it
	AddTags     []string
	RemoveTags  []string
	// Note is a private (internal) note for the agent; "" posts none.
	Note string
	// Reopen sets a solved ticket back to open (only when the policy allows it).
	Reopen bool
	// Status, when not "", sets the ticket's status; it takes precedence
	// over Reopen.
	Status TicketStatus
	// AssigneeID, when not nil, assigns the ticket to that agent; a
	// pointer to 0 unassigns it (the ticket waits in its group's queue).
	AssigneeID *int64
	// GroupID, when not nil, assigns the ticket to that group.
	GroupID *int64
	// UpdatedStamp, when non-zero, makes the write conditional on the ticket
	// not having changed since that time (Zendesk safe_update); a ticket that
	// changed fails with ErrConflict.
	UpdatedStamp time.Time
}

// TicketResult is the outcome of one ticket in a batch write. Err is nil on
// success; otherwise it wraps one of the sentinel errors below when it is
// one of those kinds.
type TicketResult struct {
	ID  int64
	Err error
}

// StatusCategory is a Jira status category key.
type StatusCategory string

const (
	CategoryToDo       StatusCategory = "new"
	CategoryInProgress StatusCategory = "indeterminate"
	CategoryDone       StatusCategory = "done"
)

// Bug is the engine's view of a tracker issue.
type Bug struct {
	ID             string // immutable issue id, e.g. "10042"; links are stored by it
	Key            string // current key, e.g. "PROJ-12"; changes when the issue moves project
	Project        string // project key of Key
	Summary        string
	Status         string // status name, e.g. "In Progress"
	StatusCategory StatusCategory
	Resolution     string // "" while unresolved
	FixVersions    []string
	// Released are the fix versions that have shipped, in FixVersions'
	// order, with their release dates: a done bug with one is released
	// (StateReleased), and its note names the version.
	Released      []Version
	Priority      string // priority name, "" when the issue has none
	Labels        []string
	CustomerCount *float64 // value of the customer-count field; nil when empty
	Updated       time.Time
	URL           string // browse URL, e.g. https://acme.atlassian.net/browse/PROJ-12
	// Revenue is the value of the revenue-waiting field; nil when empty or
	// when no such field is configured.
	Revenue *float64
}

// BugPage is one page of changed bugs from the tracker. Through, set on
// the last page when the adapter knows it, is a time on the tracker's clock
// at or before the start of the search: every update made before it that
// the search's index could show (the overlap covers the index's lag) has
// been streamed, so the next search need reach back no further than from
// Through, however long ago the last bug changed.
type BugPage struct {
	Bugs    []Bug
	Through time.Time
}

// BugEdit is one minimal edit of a bug, sent as a single request. Zero fields
// mean "leave as is".
type BugEdit struct {
	ID            string
	Key           string // for messages only
	Priority      string
	CustomerCount *float64
	Revenue       *float64 // revenue waiting, in the configured currency
	AddLabels     []string
	RemoveLabels  []string
}

// RemoteLink is a link from a bug to a ticket, upserted by GlobalID so that
// writing it again changes nothing.
type RemoteLink struct {
	GlobalID string
	URL      string
	Title    string
	Summary  string
	Resolved bool // the ticket is solved or closed
}

// Errors adapters wrap so that the engine can decide without knowing HTTP.
var (
	// ErrNotFound: the ticket or issue does not exist (deleted, or no access).
	// Permanent: reported, not retried.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a conditional write lost against a concurrent edit; re-read,
	// recompute and retry.
	ErrConflict = errors.New("conflicting update")
	// ErrPermanent: the vendor refused the request for a reason retrying
	// cannot fix (400 bad field, 403 no permission, 422 closed ticket).
	ErrPermanent = errors.New("permanent failure")
)

package engine

import (
	"context"
	"time"
)

// Helpdesk is the port to the ticketing system (Zendesk).
type Helpdesk interface {
	// ChangedTickets streams tickets changed since cursor ("" starts from the
	// configured start time), calling handle once per page in order. Deleted
	// tickets arrive with Status StatusDeleted. The caller persists
	// page.Cursor only after handle has processed the page; if handle returns
	// an error the stream stops and the error is returned.
	ChangedTickets(ctx context.Context, cursor string, handle func(context.Context, TicketPage) error) error
	// Tickets reads tickets by id (show_many, 100 per request). Ids that do
	// not exist are absent from the result.
	Tickets(ctx context.Context, ids []int64) ([]Ticket, error)
	// Organizations reads organizations by id (show_many, 100 per request).
	Organizations(ctx context.Context, ids []int64) ([]Organization, error)
	// ChangedOrganizations streams the organizations changed since since,
	// calling handle once per page in order; an organization may come
	// again on a later page or call. The caller persists page.Cursor only
	// after handle has recorded the page; if handle returns an error the
	// stream stops and the error is returned.
	ChangedOrganizations(ctx context.Context, since time.Time, handle func(context.Context, OrganizationPage) error) error
	// UpdateTickets writes updates in as few requests as the vendor allows
	// (update_many, 100 per job) and returns one result per update.
	// A non-nil error means the batch as a whole failed and nothing is known
	// to have been written.
	UpdateTickets(ctx context.Context, updates []TicketUpdate) ([]TicketResult, error)
	// HasNote reports whether the ticket already carries a comment containing
	// marker; used to recover exactly-once notes after a crash.
	HasNote(ctx context.Context, ticketID int64, marker string) (bool, error)
	// TicketRef parses a URL pointing at one of this helpdesk's tickets (agent
	// or API URL, as found in a tracker remote link) and returns its id.
	TicketRef(url string) (id int64, ok bool)
}

// Tracker is the port to the issue tracker (Jira).
type Tracker interface {
	// ChangedBugs streams bugs of the configured projects updated at or after
	// since (the adapter subtracts its overlap, which covers the lag of the
	// tracker's search index), oldest first, one page per call of handle.
	ChangedBugs(ctx context.Context, since time.Time, handle func(context.Context, BugPage) error) error
	// BugsByKey resolves keys to bugs. A key of an issue that moved project
	// resolves to the moved issue (with its new Key). Keys that match no issue
	// are returned in missing; they are not an error.
	BugsByKey(ctx context.Context, keys []string) (found []Bug, missing []string, err error)
	// BugsByID reads bugs by immutable id; ids of deleted issues are returned
	// in missing.
	BugsByID(ctx context.Context, ids []string) (found []Bug, missing []string, err error)
	// EditBug sends one edit request carrying every changed field.
	EditBug(ctx context.Context, edit BugEdit) error
	// AddComment posts a comment on the bug and returns its creation time
	// on the tracker's clock, which is the bug's update time it leaves
	// (zero when the tracker did not say).
	AddComment(ctx context.Context, bugID, body string) (time.Time, error)
	// HasComment reports whether the bug already carries a comment containing
	// marker; used to recover exactly-once comments after a crash.
	HasComment(ctx context.Context, bugID, marker string) (bool, error)
	// RemoteLinks lists the bug's remote links.
	RemoteLinks(ctx context.Context, bugID string) ([]RemoteLink, error)
	// UpsertRemoteLink creates or updates the remote link with link.GlobalID.
	UpsertRemoteLink(ctx context.Context, bugID string, link RemoteLink) error
	// DeleteRemoteLink removes the remote link with globalID; absent is not an error.
	DeleteRemoteLink(ctx context.Context, bugID, globalID string) error
	// ActivityByOthers returns the time of the newest change or comment by
	// anyone but this service's own account after since, zero when there
	// is none. It reads the bug's changelog and comments (on Jira two or
	// three requests), so the engine asks only where the update time alone
	// cannot tell whose the last change was and the stale policy depends on
	// it.
	ActivityByOthers(ctx context.Context, bugID string, since time.Time) (time.Time, error)
	// Versions lists a project's versions (Jira fix versions), released
	// or not; release tracking reads it while fixed bugs wait on one.
	Versions(ctx context.Context, project string) ([]Version, error)
}

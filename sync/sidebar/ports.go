package sidebar

import (
	"context"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// State is what the panel reads of the service's state: the records and
// links the engine keeps. *state.Store implements it.
type State interface {
	Tickets(ctx context.Context, ids []int64) (map[int64]engine.TicketRecord, error)
	TicketLinks(ctx context.Context, ids []int64) (map[int64]map[string]engine.LinkSource, error)
	Aliases(ctx context.Context, keys []string) (map[string]string, error)
	MissingKeys(ctx context.Context, keys []string) (map[string]engine.MissingKey, error)
	Bugs(ctx context.Context, ids []string) (map[string]engine.BugRecord, error)
	BugMemories(ctx context.Context, ids []string) (map[string]engine.BugMemory, map[string]engine.Standing, error)
	BugLinks(ctx context.Context, ids []string) (map[string]map[int64]engine.LinkSource, error)
	OrganizationNames(ctx context.Context, ids []int64) (map[int64]engine.Organization, error)
}

// Tracker searches and files bugs. The Jira adapter implements it: its
// search is confined to the synced projects and builds its query only
// from validated keys and plain words.
type Tracker interface {
	FindBugs(ctx context.Context, query string, limit int) ([]engine.Bug, error)
	CreateBug(ctx context.Context, nb engine.NewBug) (string, error)
}

// KeysField rewrites a ticket's keys field. The Zendesk adapter
// implements it with a conditional write, re-reading on a conflict, so
// edit may be called more than once; it returns the text it wrote.
type KeysField interface {
	EditKeysField(ctx context.Context, ticketID int64, edit func(current string) string) (string, error)
}

// Queue has the engine read a ticket and its bugs afresh and reconcile
// them at once rather than at the next poll.
type Queue interface {
	Enqueue(ctx context.Context, ticketIDs []int64, bugRefs []string) error
}

// Filings remembers the bugs filed from the panel by idempotency key, so
// that a double click or a retried request files one bug.
type Filings interface {
	// Reserve claims key for a filing about to be made. When the key was
	// claimed before, reserved is false and filed is the bug key filed
	// for it ("" while that filing is under way or its outcome unknown).
	Reserve(ctx context.Context, key string) (filed string, reserved bool, err error)
	// Filed records the bug filed for a reserved key.
	Filed(ctx context.Context, key, bugKey string) error
	// Release forgets a reservation whose filing surely failed, so the
	// agent may try again.
	Release(ctx context.Context, key string) error
}

// Versions lists a project's versions, to tell whether a bug's fix
// version is released. The service implements it with a short cache in
// front of the Jira adapter, so that panel loads cost Jira little.
type Versions interface {
	Versions(ctx context.Context, project string) ([]engine.Version, error)
}

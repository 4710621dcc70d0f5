// Package engine is the engine of helpdesk-sync: a level-triggered reconciler
// that links helpdesk tickets to tracker bugs, counts the customers waiting on
// each bug, raises priorities, shows bug status on tickets and flags stale
// backlog items.
//
// The engine knows nothing of HTTP, JSON field names or Redis commands. It talks
// to the vendors through two small ports (Helpdesk and Tracker) implemented by
// the adapters in connectors/, and keeps its memory in a Store implemented by
// sync/state. Domain types (Ticket, Bug, Organization, …) live here; adapters
// translate vendor payloads into them.
//
// # One change, from poll to write
//
// The files read in this order follow a change through a step (engine.go:
// Cycle, Drain, Run):
//
//  1. Observe. observe_tickets.go and observe_bugs.go read each vendor
//     from its cursor, observe_named.go reads what webhooks named, and
//     sweep.go queues bugs that time alone may have made stale, and
//     observe_releases.go reads the versions fixed bugs wait on and queues
//     the bugs of a version released to be read afresh.
//     record_tickets.go (and recordBugs in observe_bugs.go) turn what was
//     read into records and links, committed a page at a time with the
//     cursor, and mark what changed dirty on the work queues. Observing
//     reads only its own vendor: ticket keys the store knows no bug for
//     are committed with the page as waiting.
//  2. Reconcile. reconcile.go first resolves the waiting keys
//     (load_keys.go: tracker lookups in batches, then links, so their bugs
//     are due in the same pass), then holds the blast-radius guard and
//     works the dirty bugs and tickets a batch of claims at a time; each
//     item goes through three phases:
//     - load (load_tickets.go, load_bugs.go): every store and vendor read
//     the item needs: records, links, memories, tiers, the fresh stamp a
//     note's conditional write needs, notes that may be in flight;
//     - plan (plan_ticket.go, plan_bug.go, with customers.go, activity.go,
//     text.go and plan_status.go): the pure planners, from what was loaded to the one
//     minimal write;
//     - apply (apply_tickets.go, apply_bugs.go): the writes, in an order that
//     survives a crash at any point, then the bookkeeping (ack, retry,
//     records and memories).
//
// notes.go is the exactly-once protocol of ticket notes, which the load
// and apply phases of tickets drive; bug comments follow the same phases
// through Pending (commentOnce in apply_bugs.go).
package engine

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
package engine

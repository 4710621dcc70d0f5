// Package tuning holds what the demo, the tests and the benchmarks change
// in the assembled service and production never does. It is internal so
// that only package service and its servicetest can name it: an Option
// that sets it is made by servicetest, never by the production binary.
package tuning

import (
	"net/http"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
)

// Tuning is the service's test and benchmark settings; the zero value is
// production.
type Tuning struct {
	// Clock is the time source of the adapters and the engine; nil is the
	// wall clock.
	Clock clock.Clock
	// Base is the transport under the shared ones; nil is a tuned clone
	// of http.DefaultTransport.
	Base http.RoundTripper
	// JobPoll is the Zendesk adapter's first wait for an update_many job;
	// 0 is the adapter's default.
	JobPoll time.Duration
	// UpdateTicketPerMinute replaces Zendesk's Update Ticket budget when
	// above 0.
	UpdateTicketPerMinute int
	// ClaimLease is how long the engine's claim on a queued item hides it
	// while this replica's Claimant holds no token; 0 is the engine's
	// default.
	ClaimLease time.Duration
	// BudgetSpeedup, when above 1, shortens the window of every
	// client-side budget by that factor and keeps its count.
	BudgetSpeedup float64
}

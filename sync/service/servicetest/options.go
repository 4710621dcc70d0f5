package servicetest

import (
	"net/http"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/internal/tuning"
)

// WithClock makes c the time of both adapters and the engine.
func WithClock(c clock.Clock) service.Option {
	return func(t *tuning.Tuning) { t.Clock = c }
}

// WithTransport puts base under the service's shared transports (budgets,
// retries, request counting), e.g. one that sees or fails every request.
func WithTransport(base http.RoundTripper) service.Option {
	return func(t *tuning.Tuning) { t.Base = base }
}

// WithJobPoll sets the Zendesk adapter's first wait for an update_many
// job: the simulator finishes jobs at once, so waiting Zendesk's second
// only slows a test or a demo.
func WithJobPoll(d time.Duration) service.Option {
	return func(t *tuning.Tuning) { t.JobPoll = d }
}

// WithUpdateTicketBudget replaces Zendesk's Update Ticket budget (100 a
// minute) by perMinute, for a simulator that enforces none; 0 keeps it.
func WithUpdateTicketBudget(perMinute int) service.Option {
	return func(t *tuning.Tuning) { t.UpdateTicketPerMinute = perMinute }
}

// WithBudgetSpeedup shortens the window of every client-side request
// budget by factor and keeps its count, matching simulators that count
// the vendors' windows sped up so; 1 or less keeps them.
func WithBudgetSpeedup(factor float64) service.Option {
	return func(t *tuning.Tuning) { t.BudgetSpeedup = factor }
}

// WithClaimLease sets how long a claim on a queued item hides it while the
// service's Claimant is not started (no test starts it): a test that kills
// a cycle and starts again sees the killed cycle's claims lapse within d
// of its clock instead of the engine's five minutes.
func WithClaimLease(d time.Duration) service.Option {
	return func(t *tuning.Tuning) { t.ClaimLease = d }
}

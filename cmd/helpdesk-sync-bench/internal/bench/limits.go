package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
)

// The published budgets the limited backfill runs under (notes.md §4):
// Zendesk Suite Professional's 400 requests a minute per account, the
// incremental export's 10 a minute; Jira Cloud's burst budget, taken as
// the service's default of 10 requests a second.
const (
	zendeskPerMinute = 400
	exportPerMinute  = 10
	// Update Ticket (PUT /tickets/{id}, the conditional writes of notes)
	// has its own 100 a minute (service.ZendeskUpdateTicketPerMinute).
	updateTicketPerMinute = 100
	jiraPerSecond         = 10
)

// budget is one rate limit the limited backfill runs under, with the
// requests the run made that count against it.
type budget struct {
	name     string
	perSec   float64 // real (unscaled) rate
	requests int
}

// bound is the time the requests take at the budget's scaled rate.
func (b budget) bound(scale float64) time.Duration {
	return time.Duration(float64(b.requests) / (b.perSec * scale) * float64(time.Second))
}

func budgetsOf(reqs map[string]int) []budget {
	return []budget{
		{"Zendesk account, 400/min", zendeskPerMinute / 60.0, total(reqs, func(m, r string) bool { return vendorOf(r) == "zendesk" })},
		{"Zendesk export, 10/min", exportPerMinute / 60.0, total(reqs, func(m, r string) bool { return strings.Contains(r, "/incremental/") })},
		{"Jira, 10/s", jiraPerSecond, total(reqs, func(m, r string) bool { return vendorOf(r) == "jira" })},
	}
}

// limits is scenario 2. A first backfill without limits counts the
// requests; the time scale is chosen so that the budgets' lower bound
// takes LimitsTarget; then the same account is backfilled afresh with both
// simulators enforcing the budgets at that scale and the engine configured
// with the same budgets, their windows as short.
func (b *bench) limits(ctx context.Context) error {
	probe, dep, err := b.backfillOnce(ctx, b.o.Limits, deployOptions{budgets: unlimited})
	if dep != nil {
		err = errors.Join(err, b.teardown(ctx, dep))
	}
	if err != nil {
		return err
	}
	var real time.Duration
	for _, bu := range budgetsOf(probe.m.Requests) {
		real = max(real, bu.bound(1))
	}
	scale := math.Max(1, math.Floor(real.Seconds()/b.o.LimitsTarget.Seconds()))
	b.o.Logger.Info("limited backfill", zap.Duration("bound_unscaled", real), zap.Float64("time_scale", scale))

	o := deployOptions{
		budgets: budgets{
			zendeskPerMinute: zendeskPerMinute, exportPerMinute: exportPerMinute,
			updateTicketPerMinute: updateTicketPerMinute, jiraPerSecond: jiraPerSecond, speedup: scale,
		},
		setup: func(st *simulation.Stack) { enforceBudgets(st, scale) },
	}
	r, dep, err := b.backfillOnce(ctx, b.o.Limits, o)
	if dep == nil {
		return err
	}
	if err == nil {
		t := limitsTable(r, scale, dep)
		t.print(b.o.Out)
	}
	return errors.Join(err, b.teardown(ctx, dep))
}

// enforceBudgets makes both simulators answer 429 past the published
// budgets, with their windows shortened by scale.
func enforceBudgets(st *simulation.Stack, scale float64) {
	st.Zendesk.SetRateLimits(zendesktest.RateLimits{Account: zendeskPerMinute, Export: exportPerMinute,
		UpdateTicket: updateTicketPerMinute, TimeScale: scale})
	st.Jira.SetRateLimit(jiratest.RateLimit{Requests: jiraPerSecond, Window: time.Second})
	st.Jira.SetTimeScale(1 / scale)
}

func limitsTable(r backfillRun, scale float64, dep *deployment) *table {
	actual := time.Duration(r.m.Seconds * float64(time.Second))
	t := &table{
		title: fmt.Sprintf("2. Backfill of %d tickets / %d bugs / %d organizations under the vendors' budgets, time scale %.0f×",
			r.size.Tickets, r.size.Bugs, r.size.Orgs, scale),
		head: []string{"budget", "requests", "lower bound (s)", "actual (s)", "actual / bound"},
	}
	var worst time.Duration
	for _, bu := range budgetsOf(r.m.Requests) {
		bound := bu.bound(scale)
		worst = max(worst, bound)
		t.row(bu.name, count(bu.requests), seconds(bound.Seconds()), seconds(actual.Seconds()),
			fmt.Sprintf("%.2f", actual.Seconds()/bound.Seconds()))
	}
	z429, j429 := 0, 0
	for _, req := range dep.stack.Zendesk.Requests() {
		if req.Status == http.StatusTooManyRequests {
			z429++
		}
	}
	for _, req := range dep.stack.Jira.Requests() {
		if req.Status == http.StatusTooManyRequests {
			j429++
		}
	}
	t.row("binding budget", "", seconds(worst.Seconds()), seconds(actual.Seconds()),
		fmt.Sprintf("%.2f (target ≤ 1.10)", actual.Seconds()/worst.Seconds()))
	t.note("429 responses received: Zendesk %d, Jira %d (target 0). Errors: %d. Remote links in Jira %d of %d; tickets showing status %d of %d.",
		z429, j429, r.m.Report.Errors, r.links, r.want, r.shown, r.linked)
	calls := total(r.m.Requests, func(string, string) bool { return true })
	t.note("Redis round trips %s per ticket, %.2f per API call (a budget's slot is taken, and given back, in Redis).",
		perUnit(r.m.RedisRoundTrips, r.tickets), float64(r.m.RedisRoundTrips)/float64(max(calls, 1)))
	t.note("The simulators count fixed windows %.0f× shorter than the vendors'; the engine's budgets are the same ones, their windows as short.", scale)
	t.note("In real time this backfill takes about %s.", (time.Duration(float64(actual) * scale)).Round(time.Minute))
	return t
}

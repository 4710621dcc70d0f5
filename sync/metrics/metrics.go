// Package metrics exposes helpdesk-sync's work as Prometheus metrics: the
// engine's steps and events, every HTTP attempt to the vendors, the
// webhook-to-write latency, and the gauges the run loop sets (leadership,
// queue depth, writes held by the blast-radius guard).
//
// One Recorder implements every observer interface the service offers
// (connectors.Observer, engine.Recorder, engine.StepObserver,
// engine.LatencyObserver, the webhook receiver's Observer) and registers its collectors on the registry it is
// given; there is no global state. Every label takes values from a bounded
// set: vendor names, route templates, status codes, step, event and queue
// names.
package metrics

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Vendor label values. The engine speaks of a helpdesk and a tracker; the
// connectors name them, and metrics use the connectors' names.
const (
	Zendesk = "zendesk"
	Jira    = "jira"
)

// Options are a Recorder's settings.
type Options struct {
	// Version and Commit label helpdesk_sync_build_info.
	Version, Commit string
	// Clock is the time of the last-success gauges; nil is the wall clock.
	Clock func() time.Time
}

// Recorder turns what the service does into metrics. Its methods are safe
// for concurrent use.
type Recorder struct {
	now func() time.Time

	cycles        *prometheus.CounterVec
	running       *prometheus.GaugeVec
	cycleDuration *prometheus.HistogramVec
	lastSuccess   *prometheus.GaugeVec
	observed      *prometheus.CounterVec
	links         *prometheus.CounterVec
	events        *prometheus.CounterVec
	writes        *prometheus.CounterVec
	dryRunWrites  *prometheus.CounterVec
	writeFailures *prometheus.CounterVec
	eventToWrite  *prometheus.HistogramVec
	deliveries    *prometheus.CounterVec
	slackNotices  *prometheus.CounterVec

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	throttled       *prometheus.CounterVec
	retries         *prometheus.CounterVec
	retryAfter      *prometheus.CounterVec
	remaining       *prometheus.GaugeVec
	vendorSuccess   *prometheus.GaugeVec

	queueDepth *prometheus.GaugeVec
	leader     prometheus.Gauge
	token      prometheus.Gauge
	held       *prometheus.GaugeVec
}

// stepBuckets span an idle drain (milliseconds) to a backfill (an hour).
var stepBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// requestBuckets span a loopback answer to a slow export page.
var requestBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// latencyBuckets span a webhook drained at once to one left for the backstop poll.
var latencyBuckets = []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}

// New returns a Recorder whose collectors are registered on reg.
func New(reg prometheus.Registerer, o Options) (*Recorder, error) {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	r := &Recorder{
		now: o.Clock,
		cycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sync_cycles_total",
			Help: "Engine steps finished, by step (cycle: the leader's full pass; drain: queue work on any replica; resync) and result (ok or error).",
		}, []string{"step", "result"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "helpdesk_sync_cycles_in_progress",
			Help: "Engine steps under way, by step (a backfill is one long cycle).",
		}, []string{"step"}),
		cycleDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "helpdesk_sync_cycle_duration_seconds",
			Help:    "Duration of engine steps, by step.",
			Buckets: stepBuckets,
		}, []string{"step"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "helpdesk_sync_last_success_timestamp_seconds",
			Help: "Unix time of the last engine step that finished without error, by step.",
		}, []string{"step"}),
		observed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sync_items_observed_total",
			Help: "Tickets and bugs read from the vendors and applied to the state, by kind (ticket or bug); counted when the step ends.",
		}, []string{"kind"}),
		links: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sync_links_total",
			Help: "Ticket-to-bug links added to or removed from the index, by change (added or removed).",
		}, []string{"change"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sync_events_total",
			Help: "Everything the engine did or found, by event kind (as in the logs' event field).",
		}, []string{"kind"}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sync_writes_total",
			Help: "Writes made to the vendors, by vendor and kind; a note rides on a ticket update.",
		}, []string{"vendor", "kind"}),
		dryRunWrites: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sync_dry_run_writes_total",
			Help: "Writes a dry run planned and did not make, by vendor and kind.",
		}, []string{"vendor", "kind"}),
		writeFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sync_write_failures_total",
			Help: "Writes that failed and were queued for a retry, by vendor.",
		}, []string{"vendor"}),
		eventToWrite: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "helpdesk_sync_event_to_write_seconds",
			Help:    "Time from the first webhook delivery naming an item to the end of the pass that wrote what it changed, by kind (ticket or bug).",
			Buckets: latencyBuckets,
		}, []string{"kind"}),
		slackNotices: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sync_slack_notices_total",
			Help: "Slack notices by outcome: sent, retried (due again later), failed (given up), uncertain (dropped after a post a crash cut off), dropped (never queued: inbox or outbox full, or Redis failed).",
		}, []string{"outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sync_webhook_deliveries_total",
			Help: "Webhook deliveries received, by source (zendesk or jira) and result (accepted, duplicate, ignored, unauthorized, bad_timestamp, too_large, malformed, method, busy, failed).",
		}, []string{"source", "result"}),

		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sync_api_requests_total",
			Help: "HTTP attempts to the vendors, retries included, by vendor, method, route template and status code (error: no response).",
		}, []string{"vendor", "method", "route", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "helpdesk_sync_api_request_duration_seconds",
			Help:    "Duration of HTTP attempts to the vendors, by vendor, method and route template.",
			Buckets: requestBuckets,
		}, []string{"vendor", "method", "route"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sync_api_throttled_total",
			Help: "Responses with status 429 (rate limited), by vendor.",
		}, []string{"vendor"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sync_api_retries_total",
			Help: "HTTP attempts the transport sends again, by vendor and the status code that caused it (error: no response).",
		}, []string{"vendor", "code"}),
		retryAfter: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_sync_api_retry_after_seconds_total",
			Help: "Seconds the vendors asked the service to wait (Retry-After and its relatives), by vendor.",
		}, []string{"vendor"}),
		remaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "helpdesk_sync_api_rate_limit_remaining",
			Help: "Requests left in the vendor's current rate-limit window, as its last response said, by vendor.",
		}, []string{"vendor"}),
		vendorSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "helpdesk_sync_api_last_success_timestamp_seconds",
			Help: "Unix time of the last successful (2xx) response from each vendor.",
		}, []string{"vendor"}),

		queueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "helpdesk_sync_queue_depth",
			Help: "Items due in the shared work queues, by queue (ticket-read and bug-read: named by webhooks; bug and ticket: to reconcile; releases: projects whose versions are due to be read).",
		}, []string{"queue"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "helpdesk_sync_leader",
			Help: "1 while this replica holds the leader lease (polls and sweeps), 0 while it stands by.",
		}),
		token: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "helpdesk_sync_leader_fencing_token",
			Help: "Fencing token of this replica's leadership (grows with every new leader), 0 while it stands by.",
		}),
		held: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "helpdesk_sync_guard_held_writes",
			Help: "Writes the blast-radius guard holds until an operator confirms, by kind (priority, bug or ticket).",
		}, []string{"kind"}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "helpdesk_sync_build_info",
		Help:        "Always 1; labels name the running build.",
		ConstLabels: prometheus.Labels{"version": o.Version, "commit": o.Commit},
	})
	build.Set(1)
	var errs []error
	for _, c := range []prometheus.Collector{
		r.cycles, r.running, r.cycleDuration, r.lastSuccess, r.observed, r.links, r.events, r.writes, r.dryRunWrites,
		r.writeFailures, r.eventToWrite, r.deliveries, r.slackNotices, r.requests, r.requestDuration, r.throttled, r.retries, r.retryAfter,
		r.remaining, r.vendorSuccess, r.queueDepth, r.leader, r.token, r.held, build,
	} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// StepStarted implements engine.StepObserver.
func (r *Recorder) StepStarted(step string) {
	r.running.WithLabelValues(step).Inc()
}

// ObserveStep implements engine.StepObserver.
func (r *Recorder) ObserveStep(step string, rep engine.Report, err error) {
	r.running.WithLabelValues(step).Dec()
	result := "ok"
	if err != nil {
		result = "error"
	}
	r.cycles.WithLabelValues(step, result).Inc()
	r.cycleDuration.WithLabelValues(step).Observe(rep.Duration.Seconds())
	if err == nil {
		r.lastSuccess.WithLabelValues(step).Set(unix(r.now()))
	}
	r.observed.WithLabelValues("ticket").Add(float64(rep.TicketsObserved))
	r.observed.WithLabelValues("bug").Add(float64(rep.BugsObserved))
}

// SlackNotice counts one Slack notice's outcome.
func (r *Recorder) SlackNotice(outcome string) {
	r.slackNotices.WithLabelValues(outcome).Inc()
}

// Record implements engine.Recorder.
func (r *Recorder) Record(ev engine.Event) {
	r.events.WithLabelValues(string(ev.Kind)).Inc()
	switch ev.Kind {
	case engine.EventLinkAdded:
		r.links.WithLabelValues("added").Inc()
	case engine.EventLinkRemoved:
		r.links.WithLabelValues("removed").Inc()
	case engine.EventWriteFailed:
		r.writeFailures.WithLabelValues(failedVendor(ev)).Inc()
	}
	if vendor, kind, ok := write(ev.Kind); ok {
		if ev.DryRun {
			r.dryRunWrites.WithLabelValues(vendor, kind).Inc()
		} else {
			r.writes.WithLabelValues(vendor, kind).Inc()
		}
	}
}

// write maps an event to the vendor write it reports. A bug edit reports
// exactly one of bug_edited, priority_changed and count_changed, so each
// kind counts one request; stale flags are written by a later bug edit and
// are not writes of their own.
func write(k engine.EventKind) (vendor, kind string, ok bool) {
	switch k {
	case engine.EventBugEdited:
		return Jira, "bug_edit", true
	case engine.EventPriorityChanged:
		return Jira, "priority_change", true
	case engine.EventCountChanged:
		return Jira, "count_change", true
	case engine.EventCommented:
		return Jira, "comment", true
	case engine.EventRemoteLinkUpserted:
		return Jira, "remote_link_upsert", true
	case engine.EventRemoteLinkDeleted:
		return Jira, "remote_link_delete", true
	case engine.EventTicketUpdated:
		return Zendesk, "ticket_update", true
	case engine.EventNotePosted:
		return Zendesk, "note", true
	}
	return "", "", false
}

// failedVendor tells whose write failed: ticket writes name a ticket (or
// none, for a whole failed batch); bug writes name a bug.
func failedVendor(ev engine.Event) string {
	if ev.BugID == "" && ev.BugKey == "" {
		return Zendesk
	}
	return Jira
}

// ObserveEventToWrite implements engine.LatencyObserver.
func (r *Recorder) ObserveEventToWrite(kind string, d time.Duration) {
	r.eventToWrite.WithLabelValues(kind).Observe(d.Seconds())
}

// Delivery counts one webhook delivery (the webhook receiver's Observer).
func (r *Recorder) Delivery(source, result string) {
	r.deliveries.WithLabelValues(source, result).Inc()
}

// ObserveRequest implements connectors.Observer.
func (r *Recorder) ObserveRequest(info connectors.RequestInfo) {
	code := "error"
	if info.Status != 0 {
		code = strconv.Itoa(info.Status)
	}
	r.requests.WithLabelValues(info.Vendor, info.Method, info.Route, code).Inc()
	r.requestDuration.WithLabelValues(info.Vendor, info.Method, info.Route).Observe(info.Duration.Seconds())
	if info.Status == 429 {
		r.throttled.WithLabelValues(info.Vendor).Inc()
	}
	if info.WillRetry {
		r.retries.WithLabelValues(info.Vendor, code).Inc()
	}
	if info.RetryAfter > 0 {
		r.retryAfter.WithLabelValues(info.Vendor).Add(info.RetryAfter.Seconds())
	}
	if info.RateLimitRemaining >= 0 && info.Status != 0 {
		r.remaining.WithLabelValues(info.Vendor).Set(float64(info.RateLimitRemaining))
	}
	if info.Status >= 200 && info.Status < 300 {
		r.vendorSuccess.WithLabelValues(info.Vendor).Set(unix(r.now()))
	}
}

// SetLeader records this replica's role: token is the fencing token of its
// leadership, 0 while it stands by.
func (r *Recorder) SetLeader(token int64) {
	leading := 0.0
	if token > 0 {
		leading = 1
	}
	r.leader.Set(leading)
	r.token.Set(float64(token))
}

// SetBacklog records the items due in each queue (engine.Engine.Backlog).
func (r *Recorder) SetBacklog(backlog map[engine.Queue]int64) {
	for q, n := range backlog {
		r.queueDepth.WithLabelValues(string(q)).Set(float64(n))
	}
}

// SetGuards records what the blast-radius guard holds
// (state.Store.Guards); kinds no longer held drop to absent.
func (r *Recorder) SetGuards(held []engine.GuardState) {
	r.held.Reset()
	for _, g := range held {
		r.held.WithLabelValues(g.Kind).Set(float64(g.Planned))
	}
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

package metrics_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/metrics"
)

var now = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

func newRecorder(t *testing.T) (*metrics.Recorder, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	r, err := metrics.New(reg, metrics.Options{Version: "1.2.3", Commit: "abc", Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return r, reg
}

// exercise touches every metric, so that each has a series to gather.
func exercise(r *metrics.Recorder) {
	r.StepStarted("cycle")
	r.ObserveStep("cycle", engine.Report{TicketsObserved: 3, BugsObserved: 2, Duration: 1500 * time.Millisecond}, nil)
	r.StepStarted("drain")
	r.ObserveStep("drain", engine.Report{Duration: time.Millisecond}, errors.New("redis: i/o timeout"))
	r.StepStarted("cycle")
	for _, k := range []engine.EventKind{engine.EventLinkAdded, engine.EventLinkAdded, engine.EventLinkRemoved, engine.EventTicketUpdated,
		engine.EventNotePosted, engine.EventPriorityChanged, engine.EventStaleFlagged} {
		r.Record(engine.Event{Kind: k})
	}
	r.Record(engine.Event{Kind: engine.EventBugEdited, DryRun: true})
	r.Record(engine.Event{Kind: engine.EventWriteFailed, BugID: "10001", BugKey: "PROJ-1"})
	r.Record(engine.Event{Kind: engine.EventWriteFailed, TicketID: 42})
	r.ObserveEventToWrite("ticket", 2*time.Second)
	r.Delivery("zendesk", "accepted")
	r.Delivery("zendesk", "accepted")
	r.Delivery("jira", "unauthorized")
	r.SlackNotice("sent")
	r.SlackNotice("sent")
	r.SlackNotice("dropped")
	r.ObserveRequest(connectors.RequestInfo{Vendor: "zendesk", Method: "GET", Route: "/api/v2/incremental/tickets/cursor.json",
		Status: 200, Duration: 80 * time.Millisecond, Attempt: 1, RateLimitRemaining: 398})
	r.ObserveRequest(connectors.RequestInfo{Vendor: "jira", Method: "PUT", Route: "/rest/api/3/issue/{id}",
		Status: 429, Duration: 20 * time.Millisecond, Attempt: 1, WillRetry: true, RetryAfter: 3 * time.Second, RateLimitRemaining: -1})
	r.ObserveRequest(connectors.RequestInfo{Vendor: "jira", Method: "PUT", Route: "/rest/api/3/issue/{id}",
		Duration: 5 * time.Second, Attempt: 2, WillRetry: true, RateLimitRemaining: -1, Err: errors.New("timeout")})
	r.SetLeader(7)
	r.SetBacklog(map[engine.Queue]int64{engine.BugQueue: 4, engine.TicketReadQueue: 0, engine.ReleaseReads: 1})
	r.SetGuards([]engine.GuardState{{Kind: "ticket", Planned: 3000, Limit: 2000}})
}

// TestNamesFollowConventions runs the client's own linter over every
// metric the recorder exports.
func TestNamesFollowConventions(t *testing.T) {
	r, reg := newRecorder(t)
	exercise(r)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 25 {
		t.Errorf("gathered %d families, want 25 (one per metric)", len(families))
	}
	problems, err := promlint.NewWithMetricFamilies(families).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "helpdesk_sync_") {
			t.Errorf("%s lacks the helpdesk_sync_ prefix", f.GetName())
		}
	}
}

func TestRecorder(t *testing.T) {
	r, reg := newRecorder(t)
	exercise(r)
	tests := []struct {
		metric string
		want   string
	}{
		{"helpdesk_sync_cycles_total", `
helpdesk_sync_cycles_total{result="error",step="drain"} 1
helpdesk_sync_cycles_total{result="ok",step="cycle"} 1
`},
		// A second cycle is under way.
		{"helpdesk_sync_cycles_in_progress", `
helpdesk_sync_cycles_in_progress{step="cycle"} 1
helpdesk_sync_cycles_in_progress{step="drain"} 0
`},
		// Only the step that succeeded moves its timestamp.
		{"helpdesk_sync_last_success_timestamp_seconds", `
helpdesk_sync_last_success_timestamp_seconds{step="cycle"} 1.7488548e+09
`},
		{"helpdesk_sync_items_observed_total", `
helpdesk_sync_items_observed_total{kind="bug"} 2
helpdesk_sync_items_observed_total{kind="ticket"} 3
`},
		{"helpdesk_sync_links_total", `
helpdesk_sync_links_total{change="added"} 2
helpdesk_sync_links_total{change="removed"} 1
`},
		// A stale flag is an event, not a write; a dry run's edit is planned only.
		{"helpdesk_sync_writes_total", `
helpdesk_sync_writes_total{kind="note",vendor="zendesk"} 1
helpdesk_sync_writes_total{kind="priority_change",vendor="jira"} 1
helpdesk_sync_writes_total{kind="ticket_update",vendor="zendesk"} 1
`},
		{"helpdesk_sync_dry_run_writes_total", `
helpdesk_sync_dry_run_writes_total{kind="bug_edit",vendor="jira"} 1
`},
		{"helpdesk_sync_write_failures_total", `
helpdesk_sync_write_failures_total{vendor="jira"} 1
helpdesk_sync_write_failures_total{vendor="zendesk"} 1
`},
		{"helpdesk_sync_events_total", `
helpdesk_sync_events_total{kind="bug_edited"} 1
helpdesk_sync_events_total{kind="link_added"} 2
helpdesk_sync_events_total{kind="link_removed"} 1
helpdesk_sync_events_total{kind="note_posted"} 1
helpdesk_sync_events_total{kind="priority_changed"} 1
helpdesk_sync_events_total{kind="stale_flagged"} 1
helpdesk_sync_events_total{kind="ticket_updated"} 1
helpdesk_sync_events_total{kind="write_failed"} 2
`},
		{"helpdesk_sync_slack_notices_total", `
helpdesk_sync_slack_notices_total{outcome="dropped"} 1
helpdesk_sync_slack_notices_total{outcome="sent"} 2
`},
		{"helpdesk_sync_webhook_deliveries_total", `
helpdesk_sync_webhook_deliveries_total{result="accepted",source="zendesk"} 2
helpdesk_sync_webhook_deliveries_total{result="unauthorized",source="jira"} 1
`},
		{"helpdesk_sync_api_requests_total", `
helpdesk_sync_api_requests_total{code="200",method="GET",route="/api/v2/incremental/tickets/cursor.json",vendor="zendesk"} 1
helpdesk_sync_api_requests_total{code="429",method="PUT",route="/rest/api/3/issue/{id}",vendor="jira"} 1
helpdesk_sync_api_requests_total{code="error",method="PUT",route="/rest/api/3/issue/{id}",vendor="jira"} 1
`},
		{"helpdesk_sync_api_throttled_total", `
helpdesk_sync_api_throttled_total{vendor="jira"} 1
`},
		{"helpdesk_sync_api_retries_total", `
helpdesk_sync_api_retries_total{code="429",vendor="jira"} 1
helpdesk_sync_api_retries_total{code="error",vendor="jira"} 1
`},
		{"helpdesk_sync_api_retry_after_seconds_total", `
helpdesk_sync_api_retry_after_seconds_total{vendor="jira"} 3
`},
		// Jira's responses did not say; the gauge shows only what a vendor said.
		{"helpdesk_sync_api_rate_limit_remaining", `
helpdesk_sync_api_rate_limit_remaining{vendor="zendesk"} 398
`},
		{"helpdesk_sync_api_last_success_timestamp_seconds", `
helpdesk_sync_api_last_success_timestamp_seconds{vendor="zendesk"} 1.7488548e+09
`},
		{"helpdesk_sync_queue_depth", `
helpdesk_sync_queue_depth{queue="bug"} 4
helpdesk_sync_queue_depth{queue="releases"} 1
helpdesk_sync_queue_depth{queue="ticket-read"} 0
`},
		{"helpdesk_sync_leader", `
helpdesk_sync_leader 1
`},
		{"helpdesk_sync_leader_fencing_token", `
helpdesk_sync_leader_fencing_token 7
`},
		{"helpdesk_sync_guard_held_writes", `
helpdesk_sync_guard_held_writes{kind="ticket"} 3000
`},
		{"helpdesk_sync_build_info", `
helpdesk_sync_build_info{commit="abc",version="1.2.3"} 1
`},
	}
	for _, tt := range tests {
		t.Run(tt.metric, func(t *testing.T) {
			err := testutil.GatherAndCompare(reg, strings.NewReader(header(t, reg, tt.metric)+tt.want), tt.metric)
			if err != nil {
				t.Error(err)
			}
		})
	}

	// Standing by and a guard released.
	r.SetLeader(0)
	r.SetGuards(nil)
	if n := testutil.CollectAndCount(reg, "helpdesk_sync_guard_held_writes"); n != 0 {
		t.Errorf("%d held-writes series after the guard released", n)
	}
	for _, name := range []string{"helpdesk_sync_leader", "helpdesk_sync_leader_fencing_token"} {
		if err := testutil.GatherAndCompare(reg, strings.NewReader(header(t, reg, name)+name+" 0\n"), name); err != nil {
			t.Error(err)
		}
	}
}

func TestHistograms(t *testing.T) {
	r, reg := newRecorder(t)
	exercise(r)
	for name, want := range map[string]int{
		"helpdesk_sync_cycle_duration_seconds":       2, // cycle and drain
		"helpdesk_sync_api_request_duration_seconds": 2, // two routes
		"helpdesk_sync_event_to_write_seconds":       1,
	} {
		if n := testutil.CollectAndCount(reg, name); n != want {
			t.Errorf("%s: %d series, want %d", name, n, want)
		}
	}
	families, _ := reg.Gather()
	for _, f := range families {
		if f.GetName() != "helpdesk_sync_cycle_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			if m.GetLabel()[0].GetValue() == "cycle" && (m.GetHistogram().GetSampleSum() != 1.5 || m.GetHistogram().GetSampleCount() != 1) {
				t.Errorf("cycle duration: sum %v count %d, want 1.5 and 1", m.GetHistogram().GetSampleSum(), m.GetHistogram().GetSampleCount())
			}
		}
	}
}

func TestRegisteringTwiceFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg, metrics.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(reg, metrics.Options{}); err == nil {
		t.Fatal("a second recorder on the same registry registered")
	}
}

// header is the HELP and TYPE lines of name, as the registry has them, so
// that the expectations above need only the samples.
func header(t *testing.T, reg *prometheus.Registry, name string) string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return "# HELP " + name + " " + f.GetHelp() + "\n# TYPE " + name + " " + strings.ToLower(f.GetType().String()) + "\n"
		}
	}
	t.Fatalf("no metric %s", name)
	return ""
}

func BenchmarkObserveRequest(b *testing.B) {
	r, err := metrics.New(prometheus.NewRegistry(), metrics.Options{})
	if err != nil {
		b.Fatal(err)
	}
	info := connectors.RequestInfo{Vendor: "zendesk", Method: "GET", Route: "/api/v2/tickets/show_many.json",
		Status: 200, Duration: 50 * time.Millisecond, Attempt: 1, RateLimitRemaining: 300}
	b.ReportAllocs()
	for b.Loop() {
		r.ObserveRequest(info)
	}
}

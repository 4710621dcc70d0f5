package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

func TestQuantile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name string
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{"one", ms(7), 0.5, 7 * time.Millisecond},
		{"median of odd", ms(5, 1, 3), 0.5, 3 * time.Millisecond},
		{"median of even is the lower", ms(4, 1, 3, 2), 0.5, 2 * time.Millisecond},
		{"p99 of few is the max", ms(1, 2, 3, 4, 5), 0.99, 5 * time.Millisecond},
		{"p99 of 200 is the 198th", ms(seq(200)...), 0.99, 198 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := quantile(tt.in, tt.q); got != tt.want {
				t.Fatalf("quantile(%v, %v) = %v, want %v", tt.in, tt.q, got, tt.want)
			}
		})
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[n-1-i] = i + 1 // descending: quantile sorts
	}
	return out
}

func TestReportsAddAndSubtract(t *testing.T) {
	a := engine.Report{TicketsObserved: 3, RemoteLinksUpserted: 2, Errors: 1, Duration: time.Second,
		Held: []engine.GuardState{{Kind: "ticket"}}}
	b := engine.Report{TicketsObserved: 4, BugEdits: 5, Duration: 2 * time.Second, Held: []engine.GuardState{{Kind: "bug"}}}
	sum := addReports(a, b)
	if sum.TicketsObserved != 7 || sum.BugEdits != 5 || sum.RemoteLinksUpserted != 2 || sum.Errors != 1 ||
		sum.Duration != 3*time.Second || len(sum.Held) != 2 {
		t.Fatalf("sum %+v", sum)
	}
	d := subReports(sum, a)
	if d.TicketsObserved != 4 || d.BugEdits != 5 || d.RemoteLinksUpserted != 0 || d.Errors != 0 ||
		d.Duration != 2*time.Second || len(d.Held) != 1 || d.Held[0].Kind != "bug" {
		t.Fatalf("difference %+v", d)
	}
}

func TestRequestClasses(t *testing.T) {
	reqs := map[string]int{
		"GET /api/v2/incremental/tickets/cursor.json": 1,
		"GET /api/v2/job_statuses/{id}.json":          2,
		"PUT /api/v2/tickets/update_many.json":        3,
		"PUT /api/v2/tickets/{id}.json":               4,
		"GET /rest/api/2/search/jql":                  5,
		"POST /rest/api/3/search/jql":                 6,
		"PUT /rest/api/2/issue/{id}":                  7,
		"POST /rest/api/2/issue/{id}/remotelink":      8,
		"DELETE /rest/api/2/issue/{id}/remotelink":    9,
	}
	tests := []struct {
		name string
		keep func(method, route string) bool
		want int
	}{
		{"zendesk reads", zendeskRead, 3},
		{"zendesk writes", zendeskWrite, 7},
		{"update_many", updateMany, 3},
		{"jira reads: searches by POST too", jiraRead, 11},
		{"jira writes", jiraWrite, 24},
		{"jira edits", jiraEdit, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := total(reqs, tt.keep); got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
	if got := routes(Step{Requests: reqs}); got[0] != "GET /api/v2/incremental/tickets/cursor.json" || vendorOf(strings.SplitN(got[4], " ", 2)[1]) != "jira" {
		t.Fatalf("routes not Zendesk first, by route: %v", got)
	}
}

func TestBudgetBound(t *testing.T) {
	reqs := map[string]int{
		"GET /api/v2/incremental/tickets/cursor.json": 20, // 2 min at 10/min
		"PUT /api/v2/tickets/update_many.json":        380,
		"POST /rest/api/2/issue/{id}/remotelink":      1200, // 2 min at 10/s
	}
	b := budgetsOf(reqs)
	want := []struct {
		requests int
		bound    time.Duration
	}{{400, time.Minute}, {20, 2 * time.Minute}, {1200, 2 * time.Minute}}
	for i, w := range want {
		if b[i].requests != w.requests || b[i].bound(1) != w.bound {
			t.Errorf("%s: %d requests, bound %s; want %d, %s", b[i].name, b[i].requests, b[i].bound(1), w.requests, w.bound)
		}
	}
	if got := b[2].bound(60); got != 2*time.Second {
		t.Errorf("bound at 60× = %s, want 2s", got)
	}
}

func TestCleanEnvDropsTheServiceConfiguration(t *testing.T) {
	got := cleanEnv([]string{"PATH=/bin", "HELPDESK_SYNC_CONFIG=/etc/hs.yaml", "REDIS_URL=redis://x", "HELPDESK_SYNC_JIRA_TOKEN=s", "HOME=/root"})
	if strings.Join(got, " ") != "PATH=/bin HOME=/root" {
		t.Fatalf("got %v", got)
	}
}

func TestTablePrintsAligned(t *testing.T) {
	tb := &table{title: "T", head: []string{"what", "a", "bb"}}
	tb.row("long row name", "1", "22")
	tb.row("x", "333", "4")
	tb.note("n %d", 1)
	var out bytes.Buffer
	tb.print(&out)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// title, blank, head, two rows, note
	if len(lines) != 6 || lines[0] != "T" || lines[5] != "  n 1" {
		t.Fatalf("printed:\n%s", out.String())
	}
	if len(lines[2]) != len(lines[3]) || len(lines[3]) != len(lines[4]) || !strings.HasPrefix(strings.TrimSpace(lines[4]), "x ") {
		t.Fatalf("columns not aligned:\n%s", out.String())
	}
}

func TestServeAnswersEveryLine(t *testing.T) {
	e := Engine{Requests: &connectors.Counter{}, RoundTrips: &state.RoundTrips{}, Steps: &Steps{}}
	var out bytes.Buffer
	if err := e.Serve(context.Background(), strings.NewReader("bogus\n\nstop\n"), &out); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&out)
	for _, want := range []string{`unknown command "bogus"`, `unknown command ""`, `unknown command "stop"`} {
		var s Step
		if err := dec.Decode(&s); err != nil {
			t.Fatal(err)
		}
		if s.Err != want || s.PeakRSS == 0 {
			t.Fatalf("step %+v, want error %q and the process's peak RSS", s, want)
		}
	}
}

func TestServeListenSaysWhereWebhooksGo(t *testing.T) {
	e := Engine{Requests: &connectors.Counter{}, RoundTrips: &state.RoundTrips{}, Steps: &Steps{}}
	var out bytes.Buffer
	if err := e.Serve(context.Background(), strings.NewReader("listen\n"), &out); err != nil {
		t.Fatal(err)
	}
	var s Step
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Listen != "" || !strings.Contains(s.Err, "webhooks.enabled is false") {
		t.Fatalf("without a receiver: step %+v, want an error naming webhooks.enabled", s)
	}
	e.Listen, e.Deliveries = "127.0.0.1:4242", &Deliveries{}
	out.Reset()
	if err := e.Serve(context.Background(), strings.NewReader("listen\n"), &out); err != nil {
		t.Fatal(err)
	}
	s = Step{}
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Listen != "127.0.0.1:4242" || s.Err != "" {
		t.Fatalf("step %+v, want Listen 127.0.0.1:4242", s)
	}
}

func TestMeterSeparatesDrainsAndCountsDeliveries(t *testing.T) {
	e := Engine{Requests: &connectors.Counter{}, RoundTrips: &state.RoundTrips{}, Steps: &Steps{}, Deliveries: &Deliveries{}}
	e.Steps.ObserveStep("cycle", engine.Report{RemoteLinksUpserted: 5}, nil)
	e.Deliveries.Delivery("zendesk", "accepted")
	m := e.startMeter()
	e.Steps.ObserveStep("cycle", engine.Report{RemoteLinksUpserted: 1, TicketUpdates: 2}, nil)
	e.Steps.ObserveStep("drain", engine.Report{RemoteLinksUpserted: 3}, nil)
	e.Deliveries.Delivery("zendesk", "accepted")
	e.Deliveries.Delivery("jira", "unauthorized")
	s := m.stop()
	if s.Cycles != 1 || s.Drains != 1 || s.Report.RemoteLinksUpserted != 4 || s.Report.TicketUpdates != 2 ||
		s.DrainReport.RemoteLinksUpserted != 3 || s.DrainReport.TicketUpdates != 0 {
		t.Fatalf("step %+v, want the cycle and the drain since the meter started, the drain's apart", s)
	}
	if len(s.Deliveries) != 2 || s.Deliveries["zendesk accepted"] != 1 || s.Deliveries["jira unauthorized"] != 1 {
		t.Fatalf("deliveries %v, want those since the meter started", s.Deliveries)
	}
}

func TestDurationsPrinted(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Minute: "10m", 2 * time.Second: "2s", 200 * time.Millisecond: "200ms", time.Hour: "1h", 90 * time.Second: "1m30s",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%s) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		8750 * time.Microsecond: "8.8", 99 * time.Millisecond: "99.0", 2900 * time.Millisecond: "2900",
	} {
		if got := millis(d); got != want {
			t.Errorf("millis(%s) = %q, want %q", d, got, want)
		}
	}
}

// heldRun is a Reconciler whose Run takes two steps, each held until the
// test lets it end: a cycle (Run's first poll), then a drain.
type heldRun struct {
	steps                *Steps
	endCycle, endDrain   chan struct{} // closed by the test
	inDrain, cutOffDrain chan struct{} // closed by Run
}

func (h *heldRun) Cycle(context.Context) (engine.Report, error) { return engine.Report{}, nil }

func (h *heldRun) Backlog(context.Context) (map[engine.Queue]int64, error) { return nil, nil }

func (h *heldRun) Run(ctx context.Context) error {
	h.steps.StepStarted("cycle")
	<-h.endCycle
	h.steps.ObserveStep("cycle", engine.Report{RemoteLinksUpserted: 1}, nil)
	h.steps.StepStarted("drain")
	close(h.inDrain)
	select {
	case <-h.endDrain:
		h.steps.ObserveStep("drain", engine.Report{RemoteLinksUpserted: 2, TicketUpdates: 3}, nil)
	case <-ctx.Done():
		close(h.cutOffDrain)
		h.steps.ObserveStep("drain", engine.Report{}, ctx.Err())
	}
	<-ctx.Done()
	return nil
}

// Run answers once its first poll has ended, so that the changes the
// bench times next are not caught by that poll; at stop it lets the step
// in flight end, so that the writes the bench saw are counted.
func TestServeRunAnswersAfterTheFirstPollAndStopsBetweenSteps(t *testing.T) {
	steps := &Steps{}
	h := &heldRun{steps: steps, endCycle: make(chan struct{}), endDrain: make(chan struct{}),
		inDrain: make(chan struct{}), cutOffDrain: make(chan struct{})}
	e := Engine{Engine: h, Requests: &connectors.Counter{}, RoundTrips: &state.RoundTrips{}, Steps: steps}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	served := make(chan error, 1)
	go func() {
		served <- e.Serve(context.Background(), inR, outW)
		_ = outW.Close()
	}()
	answers := make(chan Step)
	go func() {
		defer close(answers)
		for dec := json.NewDecoder(outR); ; {
			var s Step
			if dec.Decode(&s) != nil {
				return
			}
			answers <- s
		}
	}()
	next := func(what string) Step {
		t.Helper()
		select {
		case s := <-answers:
			return s
		case <-time.After(10 * time.Second):
			t.Fatalf("no answer %s within 10s", what)
			return Step{}
		}
	}
	if _, err := io.WriteString(inW, "run\n"); err != nil {
		t.Fatal(err)
	}
	close(h.endCycle)
	if s := next("to run"); s.Err != "" || s.Cycles != 1 || s.Drains != 0 || s.Report.RemoteLinksUpserted != 1 {
		t.Fatalf("answer to run %+v, want the first poll's, once it ended", s)
	}
	<-h.inDrain
	if _, err := io.WriteString(inW, "stop\n"); err != nil {
		t.Fatal(err)
	}
	// Give a stop that does not wait every chance to cut the drain off.
	select {
	case <-h.cutOffDrain:
		t.Fatal("stop cancelled the drain in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(h.endDrain)
	if s := next("to stop"); s.Err != "" || s.Cycles != 0 || s.Drains != 1 ||
		s.DrainReport.RemoteLinksUpserted != 2 || s.DrainReport.TicketUpdates != 3 {
		t.Fatalf("answer to stop %+v, want the drain that was in flight, whole, and not the first poll", s)
	}
	_ = inW.Close()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

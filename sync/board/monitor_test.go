package board

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

type recorderFunc func(context.Context, state.HealthReport) error

func (f recorderFunc) RecordHealth(ctx context.Context, r state.HealthReport) error { return f(ctx, r) }

func TestMonitorRecordsStepsAndRequests(t *testing.T) {
	f := newFixture(t)
	clock := now
	m := NewMonitor(MonitorOptions{Clock: func() time.Time { return clock }, Logger: zaptest.NewLogger(t)})
	for i, status := range []int{200, 200, 429, 0, 503} {
		m.ObserveRequest(connectors.RequestInfo{Vendor: "zendesk", Status: status, RateLimitRemaining: 300 - i})
	}
	m.ObserveRequest(connectors.RequestInfo{Vendor: "jira", Status: 200, RateLimitRemaining: -1})
	clock = clock.Add(time.Minute)
	m.ObserveRequest(connectors.RequestInfo{Vendor: "zendesk", Status: 200, RateLimitRemaining: -1})
	m.ObserveStep("cycle", engine.Report{Duration: 2 * time.Second, HelpdeskRead: true, TrackerRead: true}, nil)
	m.ObserveStep("drain", engine.Report{Errors: 2}, errors.New("engine: edit bug PROJ-1 (priority Low → High): jira: 400"))
	m.Flush(f.ctx, f.store)

	h, err := f.store.Health(f.ctx, Vendors, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if h.Cycle.Step != "cycle" || h.Cycle.Took != 2*time.Second || !h.Cycle.At.Equal(clock) {
		t.Errorf("cycle %+v", h.Cycle)
	}
	if h.Failure.Step != "drain" || h.Failure.Errors != 2 || h.Failure.Error != "engine: edit bug PROJ-1 (priority Low → High): jira: 400" {
		t.Errorf("failure %+v", h.Failure)
	}
	zd := h.Vendors["zendesk"]
	if !zd.LastRead.Equal(clock) || !h.Vendors["jira"].LastRead.Equal(clock) {
		t.Errorf("reads %v %v", zd.LastRead, h.Vendors["jira"].LastRead)
	}
	if len(zd.Minutes) != 2 || zd.Minutes[0].Attempts != 5 || zd.Minutes[0].Failed != 3 || zd.Minutes[1].Attempts != 1 {
		t.Errorf("zendesk minutes %+v", zd.Minutes)
	}
	// The last count the vendor gave, in the minute it gave it.
	if zd.Remaining != 296 || !zd.RemainingAt.Equal(now.Truncate(time.Minute)) {
		t.Errorf("remaining %d at %v", zd.Remaining, zd.RemainingAt)
	}
	if points, _ := f.store.Points(f.ctx, now.Add(-time.Hour)); len(points) != 1 {
		t.Errorf("a cycle recorded %d chart points, want today's", len(points))
	}

	// Nothing new: nothing written.
	writes := 0
	m.Flush(f.ctx, recorderFunc(func(context.Context, state.HealthReport) error { writes++; return nil }))
	if writes != 0 {
		t.Errorf("%d writes with nothing to report", writes)
	}
}

// What fails to be written is kept, added to what comes after.
func TestMonitorKeepsWhatFailed(t *testing.T) {
	var got []state.HealthReport
	fail := true
	rec := recorderFunc(func(_ context.Context, r state.HealthReport) error {
		if fail {
			return errors.New("redis: connection refused")
		}
		got = append(got, r)
		return nil
	})
	m := NewMonitor(MonitorOptions{Clock: func() time.Time { return now }, Logger: zaptest.NewLogger(t)})
	m.ObserveRequest(connectors.RequestInfo{Vendor: "jira", Status: 200, RateLimitRemaining: -1})
	m.ObserveStep("cycle", engine.Report{TrackerRead: true}, nil)
	m.Flush(context.Background(), rec)
	m.ObserveRequest(connectors.RequestInfo{Vendor: "jira", Status: 500, RateLimitRemaining: -1})
	fail = false
	m.Flush(context.Background(), rec)
	if len(got) != 1 {
		t.Fatalf("%d reports written", len(got))
	}
	r := got[0]
	if r.Cycle == nil || len(r.Requests) != 1 || r.Requests[0].Attempts != 2 || r.Requests[0].Failed != 1 || !r.Read["jira"].Equal(now) {
		t.Fatalf("report %+v", r)
	}
}

// Run writes a cycle as it ends, without waiting for the period, and the
// rest when it stops.
func TestMonitorRun(t *testing.T) {
	reports := make(chan state.HealthReport, 10)
	rec := recorderFunc(func(_ context.Context, r state.HealthReport) error { reports <- r; return nil })
	m := NewMonitor(MonitorOptions{Every: time.Hour, Logger: zaptest.NewLogger(t)})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = m.Run(ctx, rec) })
	m.ObserveStep("cycle", engine.Report{}, nil)
	select {
	case r := <-reports:
		if r.Cycle == nil {
			t.Fatalf("report %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cycle's end was not written")
	}
	m.ObserveRequest(connectors.RequestInfo{Vendor: "zendesk", Status: 200, RateLimitRemaining: -1})
	cancel()
	wg.Wait()
	select {
	case r := <-reports:
		if len(r.Requests) != 1 {
			t.Fatalf("last report %+v", r)
		}
	default:
		t.Fatal("counts left unwritten when Run stopped")
	}
}

func TestCut(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{{"short", 10, "short"}, {"abcdef", 3, "abc…"}, {"ab→cd", 3, "ab…"}, {"ab→cd", 5, "ab→…"}} {
		if got := cut(tt.s, tt.n); got != tt.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

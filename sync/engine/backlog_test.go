package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// releaseSource is a backlog source in memory: the policy's table.
type releaseSource struct {
	waiting []engine.Awaiting
	checked map[string]time.Time
	named   int64 // version webhooks due
}

func (s releaseSource) DueCount(_ context.Context, q engine.Queue, _ time.Time) (int64, error) {
	if q != engine.ReleaseReadQueue {
		return 0, nil
	}
	return s.named, nil
}

func (s releaseSource) AwaitingRelease(context.Context) ([]engine.Awaiting, error) {
	return s.waiting, nil
}

func (s releaseSource) ReleaseChecks(context.Context) (map[string]time.Time, error) {
	return s.checked, nil
}

func TestDueReleaseReads(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	every := 15 * time.Minute
	proj := engine.Awaiting{BugID: "10", Project: "PROJ", Versions: []string{"5.0"}}
	proj2 := engine.Awaiting{BugID: "11", Project: "PROJ", Versions: []string{"5.1"}}
	web := engine.Awaiting{BugID: "20", Project: "WEB", Versions: []string{"2.0"}}
	for _, tt := range []struct {
		name string
		src  releaseSource
		want int64
	}{
		{"nothing awaited", releaseSource{}, 0},
		{"nothing awaited, webhook queued", releaseSource{named: 1}, 0},
		{"never seen by a pass", releaseSource{waiting: []engine.Awaiting{proj}}, 0},
		{"read a moment ago", releaseSource{waiting: []engine.Awaiting{proj}, checked: map[string]time.Time{"PROJ": now.Add(-time.Minute)}}, 0},
		{"read just under the interval ago", releaseSource{waiting: []engine.Awaiting{proj}, checked: map[string]time.Time{"PROJ": now.Add(-every + time.Nanosecond)}}, 0},
		{"read the interval ago", releaseSource{waiting: []engine.Awaiting{proj}, checked: map[string]time.Time{"PROJ": now.Add(-every)}}, 1},
		{"two bugs, one project", releaseSource{waiting: []engine.Awaiting{proj, proj2}, checked: map[string]time.Time{"PROJ": now.Add(-time.Hour)}}, 1},
		{"one project due of two", releaseSource{waiting: []engine.Awaiting{proj, web},
			checked: map[string]time.Time{"PROJ": now.Add(-time.Hour), "WEB": now.Add(-time.Minute)}}, 1},
		{"webhook: every awaited project", releaseSource{waiting: []engine.Awaiting{proj, proj2, web},
			checked: map[string]time.Time{"PROJ": now.Add(-time.Minute)}, named: 2}, 2},
		{"read project no bug awaits", releaseSource{waiting: []engine.Awaiting{web}, checked: map[string]time.Time{"PROJ": now.Add(-time.Hour), "WEB": now}}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := engine.DueReleaseReads(context.Background(), tt.src, every, now)
			if err != nil || got != tt.want {
				t.Errorf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

// The backlog shows a project's release read from the moment it is due
// until a pass has read it, on the interval and after a version webhook.
func TestBacklogShowsDueReleaseReads(t *testing.T) {
	h := newHarness(t, releasePolicy)
	releases := func(want int64) {
		t.Helper()
		backlog, err := h.engine().Backlog(h.ctx)
		if err != nil || backlog[engine.ReleaseReads] != want {
			t.Fatalf("backlog %v, %v; want %d release reads", backlog, err, want)
		}
	}
	releases(0)
	fixedAwaiting(h, "5.0.1")
	releases(0) // the interval has begun

	h.clock.Advance(15 * time.Minute)
	releases(1)
	if rep, err := h.engine().Cycle(h.ctx); err != nil || rep.VersionReads != 1 {
		t.Fatalf("cycle %+v, %v; want one version read", rep, err)
	}
	releases(0)

	if err := h.engine().EnqueueReleases(h.ctx, []string{"7"}); err != nil {
		t.Fatal(err)
	}
	releases(1)
	if rep, err := h.engine().Drain(h.ctx); err != nil || rep.VersionReads != 1 {
		t.Fatalf("drain %+v, %v; want one version read", rep, err)
	}
	releases(0)
}

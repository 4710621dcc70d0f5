package board

import (
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// The health's backlog counts the projects whose release read is due, as
// the engine's pass decides it, in the API and on the page.
func TestHealthBacklogReleases(t *testing.T) {
	f := newFixture(t)
	m := f.model(func(o *Options) { o.ReleaseCheck = 10 * time.Minute })
	releases := func(want int64) {
		t.Helper()
		h, err := m.Health(f.ctx)
		if err != nil || h.Backlog.Releases != want {
			t.Fatalf("backlog %+v, %v; want %d release reads", h.Backlog, err, want)
		}
	}
	releases(0)
	for id, project := range map[string]string{"10": "PROJ", "11": "PROJ", "20": "WEB"} {
		st := engine.Standing{Category: engine.CategoryDone, Release: &engine.Awaiting{BugID: id, Project: project, Versions: []string{"5.0"}}}
		if err := f.store.SetBugMemory(f.ctx, id, engine.BugMemory{OpenTickets: 1}, st); err != nil {
			t.Fatal(err)
		}
	}
	releases(0) // no pass has begun their intervals
	for project, at := range map[string]time.Time{"PROJ": now.Add(-10 * time.Minute), "WEB": now.Add(-9 * time.Minute)} {
		if err := f.store.SetReleaseCheck(f.ctx, project, at); err != nil {
			t.Fatal(err)
		}
	}
	releases(1)
	if err := f.store.Enqueue(f.ctx, engine.ReleaseReadQueue, []string{"7"}, now); err != nil {
		t.Fatal(err)
	}
	releases(2) // a version webhook: every awaited project at once

	srv := f.server(m)
	if _, body := get(t, srv, "/api/v1/health"); !strings.Contains(body, `"releases": 2`) {
		t.Errorf("health API lacks the release reads: %s", body)
	}
	if _, body := get(t, srv, "/board"); !strings.Contains(body, "2 release reads") {
		t.Errorf("page lacks the release reads")
	}
}

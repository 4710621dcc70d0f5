package state

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// The awaiting set follows each bug's standing, written in the same
// script as its memory; a standing without a release, a dropped bug and
// a record of an earlier release (no "rl") leave nothing awaiting.
func TestAwaitingReleaseFollowsTheStanding(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	waits := func(id, project string, versions ...string) engine.Standing {
		return engine.Standing{Category: engine.CategoryDone, Release: &engine.Awaiting{BugID: id, Project: project, Versions: versions}}
	}
	for _, w := range []struct {
		id string
		st engine.Standing
	}{{"10", waits("10", "PROJ", "5.0.1")}, {"9", waits("9", "WEB", "1.2", "1.3")}, {"11", engine.Standing{Category: engine.CategoryDone}}} {
		if err := s.SetBugMemory(ctx, w.id, engine.BugMemory{OpenTickets: 1}, w.st); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.AwaitingRelease(ctx)
	if err != nil || fmt.Sprint(got) != "[{9 WEB [1.2 1.3]} {10 PROJ [5.0.1]}]" {
		t.Fatalf("awaiting %v (%v)", got, err)
	}
	_, stands, err := s.BugMemories(ctx, []string{"10", "11"})
	if err != nil || fmt.Sprint(stands["10"].Release) != "&{10 PROJ [5.0.1]}" || stands["11"].Release != nil {
		t.Fatalf("standings read back %+v (%v)", stands, err)
	}

	if err := s.SetBugMemory(ctx, "10", engine.BugMemory{}, engine.Standing{Category: engine.CategoryDone}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DropBug(ctx, engine.BugRecord{Bug: engine.Bug{ID: "9", Key: "WEB-9"}}, engine.MissingKey{Key: "WEB-9"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AwaitingRelease(ctx); err != nil || len(got) != 0 {
		t.Fatalf("awaiting after the release and the drop: %v (%v)", got, err)
	}

	at := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	if err := s.SetReleaseCheck(ctx, "PROJ", at); err != nil {
		t.Fatal(err)
	}
	checks, err := s.ReleaseChecks(ctx)
	if err != nil || len(checks) != 1 || !checks["PROJ"].Equal(at) {
		t.Fatalf("checks %v (%v)", checks, err)
	}
}

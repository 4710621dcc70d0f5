package jira_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync"
)

func TestTouchedByOthers(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	ctx := context.Background()
	// 150 edits by the service itself, then the flag time.
	for i := range 150 {
		f.clock.add(time.Second)
		if err := f.jira.EditBug(ctx, sync.BugEdit{ID: is.ID, AddLabels: []string{fmt.Sprintf("l%d", i%2)}, RemoveLabels: []string{fmt.Sprintf("l%d", (i+1)%2)}}); err != nil {
			t.Fatal(err)
		}
	}
	since := f.clock.add(time.Minute)
	if touched, err := f.jira.TouchedByOthers(ctx, is.ID, since); err != nil || touched {
		t.Fatalf("before anyone else acted: %v, %v", touched, err)
	}
	f.clock.add(time.Minute)
	if err := f.jira.AddComment(ctx, is.ID, "stale flag"); err != nil {
		t.Fatal(err)
	}
	if touched, err := f.jira.TouchedByOthers(ctx, is.ID, since); err != nil || touched {
		t.Fatalf("the service's own comment: %v, %v", touched, err)
	}
	f.clock.add(time.Minute)
	if _, err := f.srv.AddComment(is.Key, jiratest.Engineer, "looking"); err != nil {
		t.Fatal(err)
	}
	if touched, err := f.jira.TouchedByOthers(ctx, is.ID, since); err != nil || !touched {
		t.Fatalf("an engineer's comment: %v, %v", touched, err)
	}
	later := f.clock.add(time.Minute)
	f.clock.add(time.Minute)
	if err := f.srv.Transition(is.Key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	if touched, err := f.jira.TouchedByOthers(ctx, is.ID, later); err != nil || !touched {
		t.Fatalf("an engineer's transition: %v, %v", touched, err)
	}
	if n := f.srv.Count("GET", "/rest/api/2/myself"); n != 1 {
		t.Errorf("GET /myself %d times, want once (cached)", n)
	}
}

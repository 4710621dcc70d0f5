package jira_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// ActivityByOthers finds the newest change or comment by someone else
// after since, past pages of the service's own changelog entries; the
// service's comment is its own, and its creation time is the issue's
// update time.
func TestActivityByOthers(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	ctx := context.Background()
	// 150 edits by the service itself, then the flag time.
	for i := range 150 {
		f.clock.Advance(time.Second)
		if err := f.jira.EditBug(ctx, engine.BugEdit{ID: is.ID, AddLabels: []string{fmt.Sprintf("l%d", i%2)}, RemoveLabels: []string{fmt.Sprintf("l%d", (i+1)%2)}}); err != nil {
			t.Fatal(err)
		}
	}
	since := f.clock.Advance(time.Minute)
	expect := func(what string, since, want time.Time) {
		t.Helper()
		if got, err := f.jira.ActivityByOthers(ctx, is.ID, since); err != nil || !got.Equal(want) {
			t.Fatalf("%s: %v, %v; want %v", what, got, err, want)
		}
	}
	expect("before anyone else acted", since, time.Time{})
	at := f.clock.Advance(time.Minute)
	created, err := f.jira.AddComment(ctx, is.ID, "stale flag")
	if err != nil {
		t.Fatal(err)
	}
	if now, _ := f.srv.Issue(is.Key); !created.Equal(at) || !now.Updated.Equal(created) {
		t.Fatalf("comment created %v, issue updated %v; want both %v", created, now.Updated, at)
	}
	expect("the service's own comment", since, time.Time{})
	commented := f.clock.Advance(time.Minute)
	if _, err := f.srv.AddComment(is.Key, jiratest.Engineer, "looking"); err != nil {
		t.Fatal(err)
	}
	expect("an engineer's comment", since, commented)
	later := f.clock.Advance(time.Minute)
	moved := f.clock.Advance(time.Minute)
	if err := f.srv.Transition(is.Key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	expect("an engineer's transition", later, moved)
	expect("the newest of a comment and a transition", since, moved)
	if n := f.srv.Count("GET", "/rest/api/2/myself"); n != 1 {
		t.Errorf("GET /myself %d times, want once (cached)", n)
	}
}

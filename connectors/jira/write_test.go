package jira_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestEditBugSendsOneRequestWithEveryField(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	if err := f.srv.AddLabels(is.Key, jiratest.Engineer, "customer", "stale"); err != nil {
		t.Fatal(err)
	}
	n := 12.0
	err := f.jira.EditBug(context.Background(), engine.BugEdit{ID: is.ID, Key: is.Key, Priority: "Highest",
		CustomerCount: &n, AddLabels: []string{"zendesk"}, RemoveLabels: []string{"stale"}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := f.srv.Issue(is.Key)
	if got.Priority != "Highest" || *got.Custom[jiratest.CustomerCountField] != 12 ||
		!slices.Equal(got.Labels, []string{"customer", "zendesk"}) {
		t.Errorf("issue after edit: %+v", got)
	}
	if got.Notified != 0 {
		t.Errorf("notifyUsers=false from an admin account must not notify watchers (notified %d)", got.Notified)
	}
	reqs := f.srv.Requests()
	last := reqs[len(reqs)-1]
	if f.srv.Count("PUT", "/rest/api/2/issue/{issueIdOrKey}") != 1 || last.Query != "notifyUsers=false" || last.Path != "/rest/api/2/issue/"+is.ID {
		t.Errorf("edit sent as %+v", last)
	}
	// Nothing to change: nothing is sent.
	f.srv.ResetLog()
	if err := f.jira.EditBug(context.Background(), engine.BugEdit{ID: is.ID}); err != nil || len(f.srv.Requests()) != 0 {
		t.Errorf("empty edit: err %v, %d requests", err, len(f.srv.Requests()))
	}
}

func TestEditBugWithoutAdminNotifies(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	if err := f.srv.SetAdmin(jiratest.ServiceAccount, false); err != nil {
		t.Fatal(err)
	}
	if err := f.jira.EditBug(context.Background(), engine.BugEdit{ID: is.ID, Priority: "High"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.srv.Issue(is.Key); got.Notified != 1 {
		t.Errorf("Jira ignores notifyUsers=false without admin rights; notified = %d, want 1", got.Notified)
	}
}

func TestEditBugErrors(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	err := f.jira.EditBug(context.Background(), engine.BugEdit{ID: is.ID, Key: is.Key, Priority: "Blocker"})
	var jerr *jira.Error
	if !errors.Is(err, engine.ErrPermanent) || !errors.As(err, &jerr) || jerr.Status != 400 ||
		!strings.Contains(err.Error(), "PROJ-1 ("+is.ID+")") || !strings.Contains(err.Error(), "priority: Specify a valid 'id' or 'name' for Priority") {
		t.Errorf("bad priority: %v", err)
	}
	err = f.jira.EditBug(context.Background(), engine.BugEdit{ID: is.ID, AddLabels: []string{"two words"}})
	if !errors.Is(err, engine.ErrPermanent) || !strings.Contains(err.Error(), "contains spaces") {
		t.Errorf("bad label: %v", err)
	}
	if err := f.srv.Delete(is.Key, jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	err = f.jira.EditBug(context.Background(), engine.BugEdit{ID: is.ID, Priority: "High"})
	if !errors.Is(err, engine.ErrNotFound) || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("deleted issue: %v", err)
	}
	if err := f.jira.EditBug(context.Background(), engine.BugEdit{ID: "../myself"}); !errors.Is(err, engine.ErrPermanent) {
		t.Errorf("id that is not an id: %v", err)
	}
}

func TestCommentsAndMarkersAcrossPages(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	ctx := context.Background()
	if _, err := f.jira.AddComment(ctx, is.ID, "first words [hs:marker-1]"); err != nil {
		t.Fatal(err)
	}
	for i := range 230 {
		f.clock.Advance(time.Second)
		if _, err := f.srv.AddComment(is.Key, jiratest.Engineer, fmt.Sprintf("chatter %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if cs := f.srv.Comments(is.Key); cs[0].Author != jiratest.ServiceAccount || cs[0].Body != "first words [hs:marker-1]" {
		t.Fatalf("first comment %+v", cs[0])
	}
	f.srv.ResetLog()
	if ok, err := f.jira.HasComment(ctx, is.ID, "[hs:marker-1]"); err != nil || !ok {
		t.Fatalf("HasComment(old marker) = %v, %v", ok, err)
	}
	if n := f.srv.Count("GET", "/rest/api/2/issue/{issueIdOrKey}/comment"); n != 3 {
		t.Errorf("%d comment pages read, want 3 (231 comments)", n)
	}
	if ok, err := f.jira.HasComment(ctx, is.ID, "[hs:marker-2]"); err != nil || ok {
		t.Fatalf("HasComment(absent marker) = %v, %v", ok, err)
	}
}

func TestRemoteLinks(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	ctx := context.Background()
	link := engine.RemoteLink{GlobalID: "helpdesk-sync:https://acme.zendesk.com/agent/tickets/42", URL: "https://acme.zendesk.com/agent/tickets/42",
		Title: "Ticket #42: Login fails", Summary: "Acme Corp"}
	if err := f.jira.UpsertRemoteLink(ctx, is.ID, link); err != nil {
		t.Fatal(err)
	}
	link.Resolved, link.Title = true, "Ticket #42: Login fails (solved)"
	if err := f.jira.UpsertRemoteLink(ctx, is.ID, link); err != nil {
		t.Fatal(err)
	}
	stored := f.srv.RemoteLinks(is.Key)
	if len(stored) != 1 {
		t.Fatalf("%d links after two upserts of one global id, want 1", len(stored))
	}
	if s := stored[0]; s.Application["type"] != "com.zendesk" || s.Application["name"] != "Zendesk" ||
		s.Object["status"].(map[string]any)["resolved"] != true || s.Object["icon"].(map[string]any)["url16x16"] != "https://acme.zendesk.com/favicon.ico" {
		t.Errorf("stored link %+v", s)
	}
	got, err := f.jira.RemoteLinks(ctx, is.ID)
	if err != nil || len(got) != 1 || got[0] != link {
		t.Fatalf("RemoteLinks = %+v, %v; want [%+v]", got, err, link)
	}
	if err := f.jira.DeleteRemoteLink(ctx, is.ID, link.GlobalID); err != nil {
		t.Fatal(err)
	}
	if err := f.jira.DeleteRemoteLink(ctx, is.ID, link.GlobalID); err != nil {
		t.Fatalf("deleting an absent link: %v", err)
	}
	if got, err := f.jira.RemoteLinks(ctx, is.ID); err != nil || len(got) != 0 {
		t.Fatalf("after delete: %+v, %v", got, err)
	}
	wantQuery := "globalId=helpdesk-sync%3Ahttps%3A%2F%2Facme.zendesk.com%2Fagent%2Ftickets%2F42"
	for _, r := range f.srv.Requests() {
		if r.Method == "DELETE" && r.Query != wantQuery {
			t.Errorf("delete query %q, want %q", r.Query, wantQuery)
		}
	}
}

package jira_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

const revenueField = "customfield_10043"

// The revenue waiting goes in the same request as the count, as a number
// the site's field schema accepts, and is read back with the bug.
func TestRevenueFieldIsWrittenAndRead(t *testing.T) {
	f := newFixture(t, func(o *jira.Options) { o.RevenueField = revenueField },
		jiratest.WithNumberField(revenueField, "Revenue waiting"))
	is := f.seed(t, "PROJ", 1)[0]
	f.srv.ResetLog()
	n, rev := 3.0, 125000.5
	if err := f.jira.EditBug(context.Background(), engine.BugEdit{ID: is.ID, Key: is.Key, CustomerCount: &n, Revenue: &rev}); err != nil {
		t.Fatal(err)
	}
	if c := f.srv.Count("PUT", "/rest/api/2/issue/{issueIdOrKey}"); c != 1 {
		t.Fatalf("%d edit requests, want 1", c)
	}
	got, _ := f.srv.Issue(is.Key)
	if v := got.Custom[revenueField]; v == nil || *v != rev {
		t.Fatalf("revenue field %v, want %v", v, rev)
	}
	found, _, err := f.jira.BugsByKey(context.Background(), []string{is.Key})
	if err != nil || len(found) != 1 || found[0].Revenue == nil || *found[0].Revenue != rev || *found[0].CustomerCount != 3 {
		t.Fatalf("read back %+v, %v", found, err)
	}
	if checks := f.jira.Preflight(context.Background(), nil); !passed(checks, "revenue_field") {
		t.Fatalf("preflight %+v", checks)
	}
}

func TestRevenueFieldErrors(t *testing.T) {
	// A text field is refused by the preflight.
	f := newFixture(t, func(o *jira.Options) { o.RevenueField = revenueField },
		jiratest.WithField(jiratest.Field{ID: revenueField, Name: "Revenue", Type: "string", Custom: true}))
	var failed error
	for _, c := range f.jira.Preflight(context.Background(), nil) {
		if c.Name == "revenue_field" {
			failed = c.Err
		}
	}
	if failed == nil || !strings.Contains(failed.Error(), "the revenue waiting needs a Number field") {
		t.Fatalf("preflight of a text field: %v", failed)
	}
	// No field configured: an edit carrying revenue is refused, not sent.
	g := newFixture(t, nil)
	is := g.seed(t, "PROJ", 1)[0]
	g.srv.ResetLog()
	rev := 1.0
	err := g.jira.EditBug(context.Background(), engine.BugEdit{ID: is.ID, Key: is.Key, Revenue: &rev})
	if !errors.Is(err, engine.ErrPermanent) || len(g.srv.Requests()) != 0 {
		t.Fatalf("edit without a revenue field: %v, %d requests", err, len(g.srv.Requests()))
	}
	if _, err := jira.New(jira.Options{BaseURL: g.srv.URL, Email: "a@b.c", Token: "t", Projects: []string{"PROJ"}, RevenueField: "arr"}); err == nil {
		t.Fatal("a revenue field that is not a custom field id was accepted")
	}
}

func passed(checks []jira.Check, name string) bool {
	for _, c := range checks {
		if c.Name == name {
			return c.Err == nil
		}
	}
	return false
}

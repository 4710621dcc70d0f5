package jira_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

var bothDeployments = map[string]jiratest.Deployment{"cloud": jiratest.Cloud, "datacenter": jiratest.DataCenter}

func TestFindBugs(t *testing.T) {
	for name, dep := range bothDeployments {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, nil, jiratest.WithDeployment(dep))
			for _, n := range []jiratest.NewIssue{
				{Project: "PROJ", Summary: "Checkout crashes on Safari"},
				{Project: "OPS", Summary: "Safari checkout slow", Description: "crashes sometimes"},
				{Project: "SECRET", Summary: "Checkout crashes on Safari: project secret"},
				{Project: "SECRET", Summary: "OR project = SECRET"},
			} {
				f.clock.Advance(time.Minute)
				f.srv.MustCreateIssue(n)
			}
			ctx := context.Background()
			cases := []struct {
				query string
				want  []string
			}{
				{"checkout CRASHES", []string{"OPS-1", "PROJ-1"}},
				{"PROJ-1", []string{"PROJ-1"}},
				{" ops-1 ", []string{"OPS-1"}},
				{"SECRET-1", nil},               // a key outside the synced projects
				{`") OR project = SECRET`, nil}, // text, never JQL
				{`secret" OR project = "SECRET`, nil},
				{`project secret`, nil}, // the words occur only in SECRET
				{`*`, nil},              // no word: no request
				{"", nil},
			}
			for _, c := range cases {
				bugs, err := f.jira.FindBugs(ctx, c.query, 10)
				if err != nil {
					t.Fatalf("FindBugs(%q): %v", c.query, err)
				}
				got := keys(bugs)
				slices.Sort(got)
				if !slices.Equal(got, c.want) {
					t.Errorf("FindBugs(%q) = %v, want %v", c.query, got, c.want)
				}
			}
			if bugs, _ := f.jira.FindBugs(ctx, "safari", 1); len(bugs) != 1 || bugs[0].Key != "OPS-1" {
				t.Errorf("limit 1, newest first: %v", keys(bugs))
			}
		})
	}
}

func TestCreateBug(t *testing.T) {
	for name, dep := range bothDeployments {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, nil, jiratest.WithDeployment(dep))
			if err := f.srv.AddComponent("PROJ", "Checkout"); err != nil {
				t.Fatal(err)
			}
			nb := engine.NewBug{Project: "PROJ", IssueType: "Bug", Summary: "Checkout crashes on Safari",
				Description: "Reported in https://acme.zendesk.com/agent/tickets/42\n\nSteps: pay.", Labels: []string{"helpdesk"},
				Components: []string{"Checkout"}}
			key, err := f.jira.CreateBug(context.Background(), nb)
			if err != nil {
				t.Fatal(err)
			}
			is, ok := f.srv.Issue(key)
			if !ok || is.Summary != nb.Summary || is.Description != nb.Description || !slices.Equal(is.Labels, nb.Labels) || !slices.Equal(is.Components, nb.Components) ||
				is.Creator != jiratest.ServiceAccount {
				t.Fatalf("created %+v", is)
			}
			api := "/rest/api/3/issue"
			if dep == jiratest.DataCenter {
				api = "/rest/api/2/issue"
			}
			if n := f.srv.Count("POST", api); n != 1 {
				t.Errorf("%d POST %s, want 1", n, api)
			}
		})
	}
}

func TestCreateBugRefusals(t *testing.T) {
	f := newFixture(t, nil)
	ok := engine.NewBug{Project: "PROJ", IssueType: "Bug", Summary: "s"}
	cases := []struct {
		name   string
		mutate func(*engine.NewBug)
		want   string
	}{
		{"unsynced project", func(b *engine.NewBug) { b.Project = "SECRET" }, "not one of the synced projects"},
		{"malformed project", func(b *engine.NewBug) { b.Project = `PROJ" OR 1=1` }, "not one of the synced projects"},
		{"no type", func(b *engine.NewBug) { b.IssueType = " " }, "issue type"},
		{"empty summary", func(b *engine.NewBug) { b.Summary = " \t" }, "summary is empty"},
		{"100 KB summary", func(b *engine.NewBug) { b.Summary = strings.Repeat("x", 100<<10) }, "at most 255"},
		{"two-line summary", func(b *engine.NewBug) { b.Summary = "a\nb" }, "one line"},
		{"label with space", func(b *engine.NewBug) { b.Labels = []string{"a b"} }, "label"},
		{"blank component", func(b *engine.NewBug) { b.Components = []string{" "} }, "component"},
	}
	for _, c := range cases {
		nb := ok
		c.mutate(&nb)
		_, err := f.jira.CreateBug(context.Background(), nb)
		if !errors.Is(err, engine.ErrPermanent) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a permanent error mentioning %q", c.name, err, c.want)
		}
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("refused bugs sent %d requests", n)
	}
	// Jira's own refusal comes back with the field at fault.
	_, err := f.jira.CreateBug(context.Background(), engine.NewBug{Project: "PROJ", IssueType: "Epic", Summary: "s"})
	if !errors.Is(err, engine.ErrPermanent) || !strings.Contains(err.Error(), "issuetype: Specify a valid issue type") {
		t.Errorf("Jira's refusal: %v", err)
	}
	_, err = f.jira.CreateBug(context.Background(), engine.NewBug{Project: "PROJ", IssueType: "Bug", Summary: "s", Components: []string{"Nope"}})
	if !errors.Is(err, engine.ErrPermanent) || !strings.Contains(err.Error(), "Component name 'Nope' is not valid") {
		t.Errorf("Jira's refusal of an unknown component: %v", err)
	}
}

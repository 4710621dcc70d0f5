package jira_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest/contract"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

type fixture struct {
	srv   *jiratest.Server
	jira  *jira.Client
	clock *clocktest.Manual
}

// newFixture starts a simulator with the OpenAPI contract check on every
// request and response, and a client for it.
func newFixture(t *testing.T, mutate func(*jira.Options), simOpts ...jiratest.Option) *fixture {
	t.Helper()
	clk := clocktest.NewManual(t0)
	opts := append([]jiratest.Option{jiratest.WithClock(clk.Now), jiratest.WithMiddleware(contract.Check(t))}, simOpts...)
	srv := jiratest.NewServer(opts...)
	t.Cleanup(srv.Close)
	srv.AddProject("PROJ", "Project")
	srv.AddProject("OPS", "Operations")
	srv.AddProject("SECRET", "Secret")
	o := jira.Options{
		BaseURL: srv.URL, Email: jiratest.ServiceEmail, Token: jiratest.ServiceToken,
		HTTPClient: srv.Client(), Projects: []string{"PROJ", "OPS"},
		CustomerCountField: jiratest.CustomerCountField, Clock: clk.Now,
	}
	if srv.Deployment() == jiratest.DataCenter {
		o.Deployment, o.Email, o.Token, o.PAT = jira.DataCenter, "", "", jiratest.ServicePAT
	}
	if mutate != nil {
		mutate(&o)
	}
	c, err := jira.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, jira: c, clock: clk}
}

// seed creates n issues in project, one minute apart.
func (f *fixture) seed(t *testing.T, project string, n int) []jiratest.Issue {
	t.Helper()
	var out []jiratest.Issue
	for i := range n {
		f.clock.Advance(time.Minute)
		out = append(out, f.srv.MustCreateIssue(jiratest.NewIssue{Project: project, Summary: fmt.Sprintf("bug %d", i)}))
	}
	return out
}

func collect(t *testing.T, c *jira.Client, since time.Time) (pages [][]engine.Bug) {
	t.Helper()
	for _, p := range collectPages(t, c, since) {
		pages = append(pages, p.Bugs)
	}
	return pages
}

func collectPages(t *testing.T, c *jira.Client, since time.Time) (pages []engine.BugPage) {
	t.Helper()
	err := c.ChangedBugs(context.Background(), since, func(_ context.Context, page engine.BugPage) error {
		pages = append(pages, page)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

func keys(bugs []engine.Bug) []string {
	out := make([]string, len(bugs))
	for i, b := range bugs {
		out[i] = b.Key
	}
	return out
}

package jira_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestAuthFailureKeepsTheTokenSecret(t *testing.T) {
	f := newFixture(t, func(o *jira.Options) { o.Token = "wrong-token-s3cret" })
	_, _, err := f.jira.BugsByKey(context.Background(), []string{"PROJ-1"})
	if !errors.Is(err, engine.ErrPermanent) || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), jiratest.ServiceEmail) {
		t.Fatalf("credentials leaked into %q", err)
	}
}

func TestVendorFailuresAreRetryableAndNamed(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	ctx := context.Background()
	cases := []struct {
		name  string
		fault jiratest.Fault
		want  string
	}{
		{"503", jiratest.Fault{Status: 503, RetryAfter: time.Second}, "HTTP 503"},
		{"409", jiratest.Fault{Status: 409}, "HTTP 409"},
		{"truncated", jiratest.Fault{Truncate: true}, "unexpected EOF"},
		{"malformed", jiratest.Fault{Malformed: true}, "invalid character"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.srv.InjectFault(c.fault)
			_, err := f.jira.RemoteLinks(ctx, is.ID)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
			if c.name == "409" != errors.Is(err, engine.ErrConflict) || errors.Is(err, engine.ErrPermanent) || errors.Is(err, engine.ErrNotFound) {
				t.Errorf("%s classified as %v", c.name, err)
			}
		})
	}
	f.srv.SetRateLimit(jiratest.RateLimit{Requests: 1})
	_, _ = f.jira.RemoteLinks(ctx, is.ID)
	_, err := f.jira.RemoteLinks(ctx, is.ID)
	var jerr *jira.Error
	if !errors.As(err, &jerr) || jerr.Status != 429 || errors.Is(err, engine.ErrPermanent) {
		t.Fatalf("over the burst budget: %v", err)
	}
}

func TestBearerTokenAgainstCloudIs401(t *testing.T) {
	f := newFixture(t, func(o *jira.Options) {
		o.Deployment, o.PAT = jira.DataCenter, "pat"
	})
	_, _, err := f.jira.BugsByKey(context.Background(), []string{"PROJ-1"})
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("bearer token against Cloud: %v", err)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	ok := jira.Options{BaseURL: "https://acme.atlassian.net", Email: "a@b.c", Token: "t", Projects: []string{"PROJ"}}
	cases := map[string]func(*jira.Options){
		"base URL":     func(o *jira.Options) { o.BaseURL = "acme.atlassian.net" },
		"credentials":  func(o *jira.Options) { o.Token = "" },
		"PAT":          func(o *jira.Options) { o.Deployment = jira.DataCenter },
		"deployment":   func(o *jira.Options) { o.Deployment = "server" },
		"no projects":  func(o *jira.Options) { o.Projects = nil },
		"project key":  func(o *jira.Options) { o.Projects = []string{"PROJ) OR (x"} },
		"count field":  func(o *jira.Options) { o.CustomerCountField = "Customers" },
		"overlap sign": func(o *jira.Options) { o.SearchOverlap = -time.Second },
	}
	if _, err := jira.New(ok); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			o := ok
			mutate(&o)
			if _, err := jira.New(o); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

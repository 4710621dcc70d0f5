package jira_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// withTransport puts the shared connectors.Transport under the adapter, as
// the service wires it, with short backoffs for tests.
func withTransport(counter *connectors.Counter) func(*jira.Options) {
	return func(o *jira.Options) {
		base := o.HTTPClient.Transport
		o.HTTPClient = &http.Client{Transport: connectors.NewTransport(connectors.Options{
			Vendor: "jira", Base: base, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Observer: counter,
		})}
	}
}

func statuses(srv *jiratest.Server, status int) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Status == status {
			n++
		}
	}
	return n
}

// TestRateLimitStormThroughTheSharedTransport runs a full observe pass
// against a burst budget of one request per (scaled) second: every 429
// is waited out as Retry-After says and nothing is lost.
func TestRateLimitStormThroughTheSharedTransport(t *testing.T) {
	counter := &connectors.Counter{}
	// The site's rate-limit window runs on real time here, scaled down so
	// that Retry-After is a few milliseconds.
	f := newFixture(t, func(o *jira.Options) {
		o.PageSize = 5
		withTransport(counter)(o)
	}, jiratest.WithClock(time.Now))
	f.seed(t, "PROJ", 40)
	f.srv.ResetLog()
	f.srv.SetTimeScale(0.05)
	f.srv.SetRateLimit(jiratest.RateLimit{Requests: 1})

	got := keys(slices.Concat(collect(t, f.jira, t0)...))
	if len(got) != 40 {
		t.Fatalf("%d bugs through the storm, want 40", len(got))
	}
	if statuses(f.srv, 429) == 0 {
		t.Fatal("the budget never ran out: the test proves nothing")
	}
	if sent, seen := counter.Total(), len(f.srv.Requests()); sent != seen {
		t.Errorf("the transport counted %d attempts, the site saw %d", sent, seen)
	}
}

func TestServerErrorBurstsThroughTheSharedTransport(t *testing.T) {
	counter := &connectors.Counter{}
	f := newFixture(t, withTransport(counter))
	is := f.seed(t, "PROJ", 1)[0]
	ctx := context.Background()
	link := engine.RemoteLink{GlobalID: "g-1", URL: "https://acme.zendesk.com/agent/tickets/1", Title: "Ticket #1"}

	// Reads and idempotent writes are resent through a burst of 5xx.
	f.srv.InjectFault(jiratest.Fault{Method: "GET", Status: 502, Times: 3})
	if _, err := f.jira.RemoteLinks(ctx, is.ID); err != nil {
		t.Fatalf("GET through a 502 burst: %v", err)
	}
	f.srv.InjectFault(jiratest.Fault{Method: "PUT", Status: 500, Times: 2})
	if err := f.jira.EditBug(ctx, engine.BugEdit{ID: is.ID, Priority: "High"}); err != nil {
		t.Fatalf("PUT through a 500 burst: %v", err)
	}
	f.srv.InjectFault(jiratest.Fault{Method: "POST", Pattern: "/rest/api/2/issue/{issueIdOrKey}/remotelink", Status: 500, Times: 2})
	if err := f.jira.UpsertRemoteLink(ctx, is.ID, link); err != nil {
		t.Fatalf("remote-link upsert through a 500 burst: %v", err)
	}
	if n := len(f.srv.RemoteLinks(is.Key)); n != 1 {
		t.Errorf("%d links after a resent upsert, want 1", n)
	}
	if n := f.srv.Count("POST", "/rest/api/2/issue/{issueIdOrKey}/remotelink"); n != 3 {
		t.Errorf("upsert sent %d times, want 3", n)
	}

	// A comment that got a 500 may have been posted: it is not resent, and
	// the engine's marker check decides.
	f.srv.InjectFault(jiratest.Fault{Method: "POST", Pattern: "/rest/api/2/issue/{issueIdOrKey}/comment", Status: 500})
	_, err := f.jira.AddComment(ctx, is.ID, "note")
	var jerr *jira.Error
	if !errors.As(err, &jerr) || jerr.Status != 500 || errors.Is(err, engine.ErrPermanent) {
		t.Fatalf("comment after a 500: %v", err)
	}
	if n := f.srv.Count("POST", "/rest/api/2/issue/{issueIdOrKey}/comment"); n != 1 {
		t.Errorf("comment POST sent %d times, want once", n)
	}

	// A burst longer than the attempts comes back as a retryable error.
	f.srv.InjectFault(jiratest.Fault{Method: "GET", Status: 503, Times: 10})
	if _, err := f.jira.RemoteLinks(ctx, is.ID); !errors.As(err, &jerr) || jerr.Status != 503 || errors.Is(err, engine.ErrPermanent) {
		t.Fatalf("after the last attempt: %v", err)
	}
	f.srv.ClearFaults()
}

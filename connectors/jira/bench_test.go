package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// benchSite seeds n issues with the fields the adapter reads.
func benchSite(b *testing.B, n int) (*jiratest.Server, *Client) {
	b.Helper()
	srv := jiratest.NewServer()
	b.Cleanup(srv.Close)
	srv.AddProject("PROJ", "Project")
	count := 7.0
	for i := range n {
		srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: fmt.Sprintf("Checkout fails for customer %d", i),
			Priority: "High", Labels: []string{"customer", "zendesk"}, Custom: map[string]float64{jiratest.CustomerCountField: count}})
	}
	c, err := New(Options{BaseURL: srv.URL, Email: jiratest.ServiceEmail, Token: jiratest.ServiceToken, HTTPClient: srv.Client(),
		Projects: []string{"PROJ"}, CustomerCountField: jiratest.CustomerCountField})
	if err != nil {
		b.Fatal(err)
	}
	return srv, c
}

// BenchmarkSearchPageDecode measures decoding one full enhanced-search page
// (100 issues, the adapter's fields) into go-jira's types and mapping it to
// the engine's Bug, without the network.
func BenchmarkSearchPageDecode(b *testing.B) {
	srv, c := benchSite(b, 100)
	q := url.Values{"jql": {"project = PROJ"}, "maxResults": {"100"}}
	for _, f := range c.fields() {
		q.Add("fields", f)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/rest/api/2/search/jql?"+q.Encode(), nil)
	req.SetBasicAuth(jiratest.ServiceEmail, jiratest.ServiceToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var res struct {
			Issues []gojira.Issue `json:"issues"`
		}
		if err := json.Unmarshal(page, &res); err != nil {
			b.Fatal(err)
		}
		bugs, err := c.bugs(res.Issues)
		if err != nil || len(bugs) != 100 {
			b.Fatalf("%d bugs, %v", len(bugs), err)
		}
	}
}

// BenchmarkChangedBugs measures a full observe pass over 1000 changed
// issues through HTTP (10 pages of 100).
func BenchmarkChangedBugs(b *testing.B) {
	_, c := benchSite(b, 1000)
	ctx := context.Background()
	for b.Loop() {
		n := 0
		err := c.ChangedBugs(ctx, time.Time{}, func(_ context.Context, page engine.BugPage) error { n += len(page.Bugs); return nil })
		if err != nil || n != 1000 {
			b.Fatalf("%d bugs, %v", n, err)
		}
	}
}

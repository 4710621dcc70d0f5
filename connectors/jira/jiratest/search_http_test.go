package jiratest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

type searchPage struct {
	Issues        []map[string]any `json:"issues"`
	NextPageToken *string          `json:"nextPageToken"`
	IsLast        bool             `json:"isLast"`
	Total         *int             `json:"total"`
}

func TestEnhancedSearchPagesByToken(t *testing.T) {
	srv, clk := start(t)
	for range 5 {
		clk.Advance(time.Minute)
		srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "s"})
	}
	q := url.Values{"jql": {"project = PROJ ORDER BY updated ASC, key ASC"}, "maxResults": {"2"}}
	_, b, _ := call(t, srv, "GET", "/rest/api/3/search/jql?"+q.Encode(), "")
	p := decode[searchPage](t, b)
	if len(p.Issues) != 2 || p.IsLast || p.NextPageToken == nil || p.Total != nil {
		t.Fatalf("first page %s", b)
	}
	if keys := keysOf(p.Issues[0]); !slices.Equal(keys, []string{"id"}) {
		t.Errorf("fields default to id only; got %v", keys)
	}
	// PROJ-1 changes after it was returned: it moves to the end, and the
	// next page still starts right after PROJ-2.
	clk.Advance(time.Minute)
	if err := srv.AddLabels("PROJ-1", jiratest.Engineer, "moved-on"); err != nil {
		t.Fatal(err)
	}
	var seen []string
	token := *p.NextPageToken
	for {
		body, _ := json.Marshal(map[string]any{"jql": q.Get("jql"), "maxResults": 2, "nextPageToken": token, "fields": []string{"key"}})
		status, b, _ := call(t, srv, "POST", "/rest/api/2/search/jql", string(body))
		if status != 200 {
			t.Fatalf("%d %s", status, b)
		}
		p := decode[searchPage](t, b)
		for _, is := range p.Issues {
			seen = append(seen, is["key"].(string))
		}
		if p.IsLast {
			if p.NextPageToken != nil {
				t.Error("the last page carries a nextPageToken")
			}
			break
		}
		token = *p.NextPageToken
	}
	if want := []string{"PROJ-3", "PROJ-4", "PROJ-5", "PROJ-1"}; !slices.Equal(seen, want) {
		t.Errorf("later pages %v, want %v", seen, want)
	}
	status, b, _ := call(t, srv, "GET", "/rest/api/2/search/jql?"+url.Values{"jql": {"project = OPS"}, "nextPageToken": {token}}.Encode(), "")
	if status != 400 || !strings.Contains(string(b), "token") {
		t.Errorf("a token of another query: %d %s", status, b)
	}
}

func TestSearchRefusals(t *testing.T) {
	srv, _ := start(t)
	cases := []struct{ path, want string }{
		{"/rest/api/3/search/jql?jql=" + url.QueryEscape("ORDER BY key DESC"), "Unbounded JQL queries are not allowed here."},
		{"/rest/api/2/search/jql", "Unbounded JQL queries are not allowed here."},
		{"/rest/api/2/search/jql?jql=" + url.QueryEscape("key in (PROJ-9, OPS-3)"), `"An issue with key 'PROJ-9' does not exist for field 'key'.","An issue with key 'OPS-3' does not exist for field 'key'."`},
		{"/rest/api/2/search/jql?jql=" + url.QueryEscape("status ~ done"), "The operator '~' is not supported"},
	}
	for _, c := range cases {
		status, b, _ := call(t, srv, "GET", c.path, "")
		if status != 400 || !strings.Contains(string(b), c.want) || !strings.Contains(string(b), `"errors":{}`) {
			t.Errorf("%s: %d %s, want 400 with %q", c.path, status, b, c.want)
		}
	}
	status, b, _ := call(t, srv, "GET", "/rest/api/2/search?jql=project%3DPROJ", "")
	if status != 410 || !strings.Contains(string(b), "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.") {
		t.Errorf("legacy search on Cloud: %d %s", status, b)
	}
}

func TestDataCenterSearchPagesByOffset(t *testing.T) {
	srv, clk := start(t, jiratest.WithDeployment(jiratest.DataCenter))
	for range 3 {
		clk.Advance(time.Minute)
		srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "s"})
	}
	status, b, _ := call(t, srv, "GET", "/rest/api/2/search?startAt=1&maxResults=1&fields=summary&jql="+url.QueryEscape("project = PROJ ORDER BY key ASC"), "")
	p := decode[struct {
		StartAt, MaxResults, Total int
		Issues                     []struct{ Key string }
	}](t, b)
	if status != 200 || p.Total != 3 || p.StartAt != 1 || len(p.Issues) != 1 || p.Issues[0].Key != "PROJ-2" {
		t.Fatalf("%d %s", status, b)
	}
	status, b, _ = call(t, srv, "POST", "/rest/api/2/search",
		`{"jql":"project = PROJ ORDER BY key DESC","startAt":0,"maxResults":2,"fields":["summary"],"expand":["names"]}`)
	if p := decode[struct {
		Total  int
		Issues []struct{ Key string }
	}](t, b); status != 200 || p.Total != 3 || len(p.Issues) != 2 || p.Issues[0].Key != "PROJ-3" {
		t.Fatalf("POST search: %d %s", status, b)
	}
	_, b, _ = call(t, srv, "GET", "/rest/api/2/myself", "")
	if u := decode[map[string]any](t, b); u["key"] != "JIRAUSER10100" || u["name"] != "helpdesk-sync" || u["accountId"] != nil {
		t.Errorf("DC user %v", u)
	}
}

// Responses carry the site's clock in Date; an issue whose index lags is
// searched as it was when the lag began, and GET issue shows it as it is.
func TestDateAndIndexLag(t *testing.T) {
	srv, clk := start(t)
	clk.Advance(time.Minute)
	is := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "s"})
	srv.HoldIndex(is.Key)
	clk.Advance(90 * time.Second)
	if err := srv.AddLabels(is.Key, jiratest.Engineer, "late"); err != nil {
		t.Fatal(err)
	}
	search := func(jql string) []string {
		t.Helper()
		_, b, h := call(t, srv, "GET", "/rest/api/2/search/jql?"+url.Values{"jql": {jql}, "fields": {"labels"}}.Encode(), "")
		if d, err := http.ParseTime(h.Get("Date")); err != nil || !d.Equal(clk.Now().Truncate(time.Second)) {
			t.Fatalf("Date %q, want the site's clock %s", h.Get("Date"), clk.Now())
		}
		var keys []string
		for _, is := range decode[searchPage](t, b).Issues {
			keys = append(keys, is["key"].(string))
		}
		return keys
	}
	if got := search("labels = late"); len(got) != 0 {
		t.Fatalf("a lagging index found %v by its new label", got)
	}
	if got := search("project = PROJ"); !slices.Equal(got, []string{is.Key}) {
		t.Fatalf("a lagging index lost the issue: %v", got)
	}
	if now, _ := srv.Issue(is.Key); !slices.Contains(now.Labels, "late") {
		t.Fatalf("the issue itself lacks its label: %v", now.Labels)
	}
	srv.ReleaseIndex(is.Key)
	if got := search("labels = late"); !slices.Equal(got, []string{is.Key}) {
		t.Fatalf("after the index caught up: %v", got)
	}
}

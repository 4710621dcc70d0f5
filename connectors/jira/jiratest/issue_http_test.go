package jiratest_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

func TestEditIssue(t *testing.T) {
	srv, _ := start(t)
	is := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "s", Labels: []string{"a"}})
	path := "/rest/api/2/issue/" + is.ID
	cases := []struct {
		body, want string
	}{
		{`{"fields":{"assignee":{"id":"x"}}}`, `"assignee":"Field 'assignee' cannot be set. It is not on the appropriate screen, or unknown."`},
		{`{"fields":{"labels":["b"]},"update":{"labels":[{"add":"c"}]}}`, `"labels":"Field 'labels' cannot be set in 'fields' and 'update'`},
		{`{"fields":{"priority":{"name":"Urgent"}}}`, `"priority":"Specify a valid 'id' or 'name' for Priority"`},
		{`{"fields":{"customfield_10042":"many"}}`, `"customfield_10042":"Operation value must be a number"`},
		{`{"update":{"labels":[{"add":"has space"}]}}`, `contains spaces`},
	}
	for _, c := range cases {
		status, b, _ := call(t, srv, "PUT", path, c.body)
		if status != 400 || !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %d %s, want 400 with %s", c.body, status, b, c.want)
		}
	}
	if got, _ := srv.Issue(is.Key); len(srv.Histories(is.Key)) != 0 || !got.Updated.Equal(is.Updated) {
		t.Fatal("a refused edit changed the issue")
	}
	status, b, _ := call(t, srv, "PUT", path+"?returnIssue=true",
		`{"fields":{"priority":{"id":"1"},"customfield_10042":5},"update":{"labels":[{"remove":"a"},{"add":"b"}],"summary":[{"set":"t"}]}}`)
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	got, _ := srv.Issue(is.Key)
	if got.Priority != "Highest" || *got.Custom[jiratest.CustomerCountField] != 5 || !slices.Equal(got.Labels, []string{"b"}) ||
		got.Summary != "t" || got.Notified != 1 {
		t.Errorf("after edit %+v", got)
	}
	if h := srv.Histories(is.Key); len(h) != 1 || h[0].Author != jiratest.ServiceAccount || len(h[0].Fields) != 4 {
		t.Errorf("one history with four items expected: %+v", h)
	}
	if status, _, _ := call(t, srv, "PUT", "/rest/api/2/issue/PROJ-404", `{"fields":{"summary":"x"}}`); status != 404 {
		t.Errorf("missing issue: %d", status)
	}
}

func TestRemoteLinkUpsertAndDelete(t *testing.T) {
	srv, _ := startUnchecked(t)
	is := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "s"})
	path := "/rest/api/2/issue/" + is.Key + "/remotelink"
	full := `{"globalId":"g=1","application":{"type":"com.zendesk","name":"Zendesk"},"relationship":"r","object":{"url":"https://z/1","title":"T","summary":"S"}}`
	if status, b, _ := call(t, srv, "POST", path, full); status != 201 {
		t.Fatalf("create %d %s", status, b)
	}
	if status, b, _ := call(t, srv, "POST", path, `{"globalId":"g=1","object":{"url":"https://z/1","title":"T2"}}`); status != 200 {
		t.Fatalf("update %d %s", status, b)
	}
	links := srv.RemoteLinks(is.Key)
	if len(links) != 1 || links[0].Application != nil || links[0].Relationship != "" || links[0].Object["summary"] != nil || links[0].Object["title"] != "T2" {
		t.Errorf("an upsert must null what it does not send: %+v", links)
	}
	if status, b, _ := call(t, srv, "POST", path, `{"globalId":"g=2","object":{"url":"https://z/2"}}`); status != 400 || !strings.Contains(string(b), `"title":"'title' is required."`) {
		t.Errorf("link without title: %d %s", status, b)
	}
	for _, c := range []struct {
		query  string
		status int
	}{{"?globalId=" + url.QueryEscape("g=1"), 204}, {"?globalId=" + url.QueryEscape("g=1"), 404}, {"", 400}} {
		if status, b, _ := call(t, srv, "DELETE", path+c.query, ""); status != c.status {
			t.Errorf("DELETE %s: %d %s, want %d", c.query, status, b, c.status)
		}
	}
}

func TestCommentsInBothVersions(t *testing.T) {
	srv, _ := start(t)
	is := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "s"})
	adf := `{"body":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"from v3"}]}]}}`
	if status, b, _ := call(t, srv, "POST", "/rest/api/3/issue/"+is.Key+"/comment", adf); status != 201 {
		t.Fatalf("%d %s", status, b)
	}
	if status, b, _ := call(t, srv, "POST", "/rest/api/2/issue/"+is.Key+"/comment", `{"body":"from v2"}`); status != 201 {
		t.Fatalf("%d %s", status, b)
	}
	if status, b, _ := call(t, srv, "POST", "/rest/api/2/issue/"+is.Key+"/comment", `{"body":" "}`); status != 400 || !strings.Contains(string(b), "Comment body can not be empty!") {
		t.Errorf("empty comment: %d %s", status, b)
	}
	_, b, _ := call(t, srv, "GET", "/rest/api/2/issue/"+is.Key+"/comment?maxResults=1&startAt=1", "")
	page := decode[struct {
		Total    int
		Comments []struct{ Body any }
	}](t, b)
	if page.Total != 2 || len(page.Comments) != 1 || page.Comments[0].Body != "from v2" {
		t.Errorf("v2 page %s", b)
	}
	_, b, _ = call(t, srv, "GET", "/rest/api/3/issue/"+is.Key+"/comment", "")
	if !strings.Contains(string(b), `"type":"doc"`) || !strings.Contains(string(b), `"text":"from v3"`) {
		t.Errorf("v3 bodies must be ADF: %s", b)
	}
}

func TestMovedIssueAnswersToItsOldKey(t *testing.T) {
	srv, _ := start(t)
	srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "s"})
	newKey, err := srv.Move("PROJ-1", "OPS", jiratest.Engineer)
	if err != nil {
		t.Fatal(err)
	}
	status, b, _ := call(t, srv, "GET", "/rest/api/2/issue/PROJ-1?fields=summary", "")
	if got := decode[map[string]any](t, b); status != 200 || got["key"] != newKey {
		t.Fatalf("GET old key: %d %s", status, b)
	}
	if err := srv.Delete(newKey, jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := call(t, srv, "GET", "/rest/api/2/issue/PROJ-1", ""); status != 404 {
		t.Errorf("deleted issue by old key: %d", status)
	}
}

func TestChangelogPages(t *testing.T) {
	srv, clk := start(t)
	is := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "s"})
	for _, st := range []string{"In Progress", "In Review", "Done"} {
		clk.Advance(time.Minute)
		if err := srv.Transition(is.Key, st, jiratest.Engineer); err != nil {
			t.Fatal(err)
		}
	}
	_, b, _ := call(t, srv, "GET", "/rest/api/2/issue/"+is.Key+"/changelog?startAt=1&maxResults=1", "")
	p := decode[struct {
		Total, StartAt int
		IsLast         bool
		NextPage       string
		Values         []struct {
			Items []struct{ Field, FromString, ToString string }
		}
	}](t, b)
	if p.Total != 3 || p.IsLast || p.NextPage == "" || p.Values[0].Items[0].Field != "status" ||
		p.Values[0].Items[0].FromString != "In Progress" || p.Values[0].Items[0].ToString != "In Review" {
		t.Errorf("changelog page %s", b)
	}
}

func TestWritesCountsAllButReads(t *testing.T) {
	srv, _ := start(t)
	is := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "s"})
	call(t, srv, "GET", "/rest/api/2/issue/"+is.ID, "")
	call(t, srv, "POST", "/rest/api/2/search/jql", `{"jql":"project = PROJ"}`)
	call(t, srv, "PUT", "/rest/api/2/issue/"+is.ID, `{"fields":{"summary":"t"}}`)
	got := srv.Writes()
	if len(got) != 1 || got["PUT /rest/api/2/issue/{issueIdOrKey}"] != 1 {
		t.Fatalf("writes %v, want the one PUT (a GET and a search POST read)", got)
	}
}

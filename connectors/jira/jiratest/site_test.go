package jiratest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest/contract"
)

type clock struct {
	mu stdsync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// start runs a simulator whose every request and response is checked
// against Atlassian's OpenAPI document.
func start(t *testing.T, opts ...jiratest.Option) (*jiratest.Server, *clock) {
	t.Helper()
	return startUnchecked(t, append([]jiratest.Option{jiratest.WithMiddleware(contract.Check(t))}, opts...)...)
}

// startUnchecked runs a simulator without the contract check, for tests
// that send requests the document itself forbids, to see Jira's refusal.
func startUnchecked(t *testing.T, opts ...jiratest.Option) (*jiratest.Server, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	srv := jiratest.NewServer(append([]jiratest.Option{jiratest.WithClock(clk.now)}, opts...)...)
	t.Cleanup(srv.Close)
	srv.AddProject("PROJ", "Project")
	srv.AddProject("OPS", "Operations")
	return srv, clk
}

// call sends one request as the service account and returns status, body
// and headers.
func call(t *testing.T, srv *jiratest.Server, method, path, body string) (int, []byte, http.Header) {
	t.Helper()
	var rb io.Reader
	if body != "" {
		rb = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rb)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if srv.Deployment() == jiratest.DataCenter {
		req.Header.Set("Authorization", "Bearer "+jiratest.ServicePAT)
	} else {
		req.SetBasicAuth(jiratest.ServiceEmail, jiratest.ServiceToken)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func goJira(t *testing.T, srv *jiratest.Server) *gojira.Client {
	t.Helper()
	tr := &gojira.BasicAuthTransport{Username: jiratest.ServiceEmail, Password: jiratest.ServiceToken, Transport: srv.Client().Transport}
	c, err := gojira.NewClient(tr.Client(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGoJiraDecodesIssuesWithoutLoss(t *testing.T) {
	srv, clk := start(t)
	count := 3.0
	is := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "Login fails", Priority: "High",
		Labels: []string{"customer"}, Custom: map[string]float64{jiratest.CustomerCountField: count}})
	clk.add(time.Minute)
	if err := srv.Resolve(is.Key, "Done", "1.2.0", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	want, _ := srv.Issue(is.Key)
	jc := goJira(t, srv)
	got, _, err := jc.Issue.GetWithContext(context.Background(), is.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := got.Fields
	if got.ID != want.ID || got.Key != want.Key || f.Summary != want.Summary || f.Status.Name != "Done" ||
		f.Status.StatusCategory.Key != "done" || f.Priority.Name != "High" || f.Priority.ID != "2" ||
		!slices.Equal(f.Labels, want.Labels) || f.Resolution.Name != "Done" || len(f.FixVersions) != 1 ||
		f.FixVersions[0].Name != "1.2.0" || f.Project.Key != "PROJ" || f.Type.Name != "Bug" ||
		!time.Time(f.Updated).Equal(want.Updated) || !time.Time(f.Created).Equal(want.Created) ||
		!time.Time(f.Resolutiondate).Equal(want.ResolutionDate) || f.Unknowns[jiratest.CustomerCountField] != count {
		t.Errorf("go-jira decoded %+v\nfrom %+v", f, want)
	}
	issues, resp, err := jc.Issue.SearchV2JQLWithContext(context.Background(), "key = "+is.Key,
		&gojira.SearchOptionsV2{Fields: []string{"summary", "status", jiratest.CustomerCountField}})
	if err != nil || len(issues) != 1 || !resp.IsLast || issues[0].Fields.Summary != "Login fails" ||
		issues[0].Fields.Unknowns[jiratest.CustomerCountField] != count || issues[0].Fields.Priority != nil {
		t.Fatalf("search: %+v %v (only the requested fields must come back)", issues, err)
	}
	cl, _, err := jc.Issue.GetWithContext(context.Background(), is.ID, &gojira.GetQueryOptions{Expand: "changelog", Fields: "summary"})
	if err != nil || cl.Changelog == nil || len(cl.Changelog.Histories) != 1 || cl.Changelog.Histories[0].Author.AccountID != jiratest.Engineer {
		t.Fatalf("changelog: %+v %v", cl.Changelog, err)
	}
	if _, err := cl.Changelog.Histories[0].CreatedTime(); err != nil {
		t.Errorf("history time: %v", err)
	}
}

// mock reads one of go-jira's recorded responses.
func mock(t *testing.T, name string) []map[string]any {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "github.com/andygrunwald/go-jira@v1.17.0/mocks", name))
	if err != nil {
		t.Fatal(err)
	}
	return decode[[]map[string]any](t, b)
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestShapesMatchGoJiraMocks(t *testing.T) {
	srv, _ := start(t)
	_, b, _ := call(t, srv, "GET", "/rest/api/2/priority", "")
	prios := decode[[]map[string]any](t, b)
	if want := keysOf(mock(t, "all_priorities.json")[0]); !slices.Equal(keysOf(prios[0]), want) {
		t.Errorf("priority keys %v, mock has %v", keysOf(prios[0]), want)
	}
	_, b, _ = call(t, srv, "GET", "/rest/api/2/statuscategory", "")
	cats := decode[[]map[string]any](t, b)
	wantCats := mock(t, "all_statuscategories.json")
	if len(cats) != len(wantCats) {
		t.Fatalf("%d categories, mock has %d", len(cats), len(wantCats))
	}
	for i := range cats {
		delete(cats[i], "self")
		delete(wantCats[i], "self")
		if !equalJSON(cats[i], wantCats[i]) {
			t.Errorf("category %v, mock has %v", cats[i], wantCats[i])
		}
	}
	is := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "s"})
	link := mock(t, "remote_links.json")[0]
	self := link["self"]
	delete(link, "id")
	delete(link, "self")
	body, _ := json.Marshal(link)
	if status, b, _ := call(t, srv, "POST", "/rest/api/2/issue/"+is.Key+"/remotelink", string(body)); status != 201 {
		t.Fatalf("POST mock link: %d %s", status, b)
	}
	_, b, _ = call(t, srv, "GET", "/rest/api/2/issue/"+is.Key+"/remotelink", "")
	got := decode[[]map[string]any](t, b)[0]
	if got["self"] == nil || self == nil {
		t.Errorf("self missing: %v", got)
	}
	delete(got, "id")
	delete(got, "self")
	if !equalJSON(got, link) {
		t.Errorf("link read back as %v, posted %v", got, link)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

type searchPage struct {
	Issues        []map[string]any `json:"issues"`
	NextPageToken *string          `json:"nextPageToken"`
	IsLast        bool             `json:"isLast"`
	Total         *int             `json:"total"`
}

func TestEnhancedSearchPagesByToken(t *testing.T) {
	srv, clk := start(t)
	for range 5 {
		clk.add(time.Minute)
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
	clk.add(time.Minute)
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
		{"/rest/api/2/search/jql?jql=" + url.QueryEscape("summary ~ crash"), "The operator '~' is not supported"},
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
		clk.add(time.Minute)
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
	_, b, _ = call(t, srv, "GET", "/rest/api/2/myself", "")
	if u := decode[map[string]any](t, b); u["key"] != "JIRAUSER10100" || u["name"] != "helpdesk-sync" || u["accountId"] != nil {
		t.Errorf("DC user %v", u)
	}
}

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
		clk.add(time.Minute)
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

func TestAuthentication(t *testing.T) {
	srv, _ := start(t)
	for name, set := range map[string]func(*http.Request){
		"none":         func(*http.Request) {},
		"wrong token":  func(r *http.Request) { r.SetBasicAuth(jiratest.ServiceEmail, "nope") },
		"bearer token": func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+jiratest.ServicePAT) },
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/rest/api/2/myself", nil)
		set(req)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || string(b) != "Client must be authenticated to access this resource." {
			t.Errorf("%s: %d %q", name, resp.StatusCode, b)
		}
	}
}

func TestRateLimitAndFaults(t *testing.T) {
	srv, clk := start(t)
	srv.SetTimeScale(0.01) // a 10 ms window on the site clock
	srv.SetRateLimit(jiratest.RateLimit{Requests: 2})
	for i := range 2 {
		if status, _, h := call(t, srv, "GET", "/rest/api/2/myself", ""); status != 200 || h.Get("X-RateLimit-Remaining") != []string{"1", "0"}[i] {
			t.Fatalf("request %d: %d, remaining %q", i, status, h.Get("X-RateLimit-Remaining"))
		}
	}
	status, b, h := call(t, srv, "GET", "/rest/api/2/myself", "")
	if status != 429 || h.Get("RateLimit-Reason") != "jira-burst-based" || h.Get("X-RateLimit-Limit") != "2" ||
		h.Get("Retry-After") != "0.01" || h.Get("X-RateLimit-Reset") != "2025-03-01T10:00Z" || !strings.Contains(string(b), "errorMessages") {
		t.Fatalf("over budget: %d %v %s", status, h, b)
	}
	clk.add(10 * time.Millisecond)
	if status, _, _ := call(t, srv, "GET", "/rest/api/2/myself", ""); status != 200 {
		t.Fatalf("after the window: %d", status)
	}
	srv.ClearFaults()

	srv.InjectFault(jiratest.Fault{Method: "GET", Pattern: "/rest/api/2/myself", Times: 2, Status: 503, RetryAfter: 3 * time.Second})
	srv.SetTimeScale(1)
	for range 2 {
		if status, _, h := call(t, srv, "GET", "/rest/api/2/myself", ""); status != 503 || h.Get("Retry-After") != "3" {
			t.Fatalf("5xx burst: %d %v", status, h)
		}
	}
	if status, _, _ := call(t, srv, "GET", "/rest/api/2/myself", ""); status != 200 {
		t.Fatalf("after the burst: %d", status)
	}

	if n := srv.Count("GET", "/rest/api/2/myself"); n != 7 {
		t.Errorf("Count = %d, want 7", n)
	}
	srv.InjectFault(jiratest.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/rest/api/2/myself", nil)
	req.SetBasicAuth(jiratest.ServiceEmail, jiratest.ServiceToken)
	if _, err := srv.Client().Do(req); err == nil {
		t.Fatal("a hanging response returned")
	}
	srv.ResetLog()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests after ResetLog", n)
	}
}

func TestSignedWebhooks(t *testing.T) {
	type delivery struct {
		event string
		body  map[string]any
	}
	var mu stdsync.Mutex
	var got []delivery
	const secret = "whsec"
	recv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Hub-Signature") != jiratest.Sign(secret, b) || r.Header.Get("X-Atlassian-Webhook-Identifier") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		got = append(got, delivery{m["webhookEvent"].(string), m})
		mu.Unlock()
	})
	hook := startReceiver(t, recv)
	srv, _ := start(t, jiratest.WithWebhook(jiratest.Webhook{URL: hook, Secret: secret}))
	is := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "s"})
	if err := srv.Transition(is.Key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddComment(is.Key, jiratest.Engineer, "hi"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Delete(is.Key, jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	srv.WaitWebhooks()
	var events []string
	for _, d := range got {
		events = append(events, d.event)
	}
	if want := []string{"jira:issue_created", "jira:issue_updated", "jira:issue_updated", "comment_created", "jira:issue_deleted"}; !slices.Equal(events, want) {
		t.Fatalf("events %v, want %v", events, want)
	}
	items := got[1].body["changelog"].(map[string]any)["items"].([]any)
	if it := items[0].(map[string]any); it["field"] != "status" || it["toString"] != "In Progress" {
		t.Errorf("changelog items %v", items)
	}
	for _, d := range srv.Deliveries() {
		if d.Status != 200 || d.Err != nil {
			t.Errorf("delivery %s: %d %v", d.Event, d.Status, d.Err)
		}
	}
}

func startReceiver(t *testing.T, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestMetaEndpoints(t *testing.T) {
	srv, _ := start(t, jiratest.WithNumberField("customfield_10100", "Weighted customers"))
	_, b, _ := call(t, srv, "GET", "/rest/api/3/field", "")
	var custom []string
	for _, f := range decode[[]map[string]any](t, b) {
		if f["custom"] == true && f["schema"].(map[string]any)["type"] == "number" {
			custom = append(custom, f["id"].(string))
		}
	}
	if !slices.Equal(custom, []string{jiratest.CustomerCountField, "customfield_10100"}) {
		t.Errorf("number fields %v", custom)
	}
	_, b, _ = call(t, srv, "GET", "/rest/api/2/priority", "")
	var names []string
	for _, p := range decode[[]map[string]any](t, b) {
		names = append(names, p["id"].(string)+"="+p["name"].(string))
	}
	if want := []string{"1=Highest", "2=High", "3=Medium", "4=Low", "5=Lowest"}; !slices.Equal(names, want) {
		t.Errorf("priorities %v", names)
	}
	if status, b, _ := call(t, srv, "GET", "/rest/api/2/project/PROJ", ""); status != 200 || decode[map[string]any](t, b)["key"] != "PROJ" {
		t.Errorf("project: %d %s", status, b)
	}
	if status, b, _ := call(t, srv, "GET", "/rest/api/2/project/NOPE", ""); status != 404 || !strings.Contains(string(b), "No project could be found with key 'NOPE'.") {
		t.Errorf("missing project: %d %s", status, b)
	}
	if _, b, _ := call(t, srv, "GET", "/rest/api/2/serverInfo", ""); decode[map[string]any](t, b)["deploymentType"] != "Cloud" {
		t.Errorf("serverInfo %s", b)
	}
	if _, b, _ := call(t, srv, "GET", "/rest/api/2/myself", ""); decode[map[string]any](t, b)["accountId"] != jiratest.ServiceAccount {
		t.Errorf("myself %s", b)
	}
}

func TestLatencyHoldsResponses(t *testing.T) {
	srv, _ := start(t)
	srv.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/rest/api/2/myself", nil)
	req.SetBasicAuth(jiratest.ServiceEmail, jiratest.ServiceToken)
	if _, err := srv.Client().Do(req); err == nil {
		t.Fatal("a response came back before the added latency")
	}
	srv.ClearFaults()
	if status, _, _ := call(t, srv, "GET", "/rest/api/2/myself", ""); status != 200 {
		t.Fatalf("after ClearFaults: %d", status)
	}
}

package jiratest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

func TestGoJiraDecodesIssuesWithoutLoss(t *testing.T) {
	srv, clk := start(t)
	count := 3.0
	is := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "Login fails", Priority: "High",
		Labels: []string{"customer"}, Custom: map[string]float64{jiratest.CustomerCountField: count}})
	clk.Advance(time.Minute)
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

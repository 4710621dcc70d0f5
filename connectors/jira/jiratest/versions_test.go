package jiratest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

var deployments = []struct {
	name string
	d    jiratest.Deployment
	api  string
}{{"cloud", jiratest.Cloud, "/rest/api/3"}, {"datacenter", jiratest.DataCenter, "/rest/api/2"}}

type versionJSON struct {
	ID          string `json:"id"`
	Self        string `json:"self"`
	Name        string `json:"name"`
	Released    bool   `json:"released"`
	ReleaseDate string `json:"releaseDate"`
	ProjectID   int64  `json:"projectId"`
	Overdue     *bool  `json:"overdue"`
}

func TestVersionLifecycleOverHTTP(t *testing.T) {
	for _, dep := range deployments {
		t.Run(dep.name, func(t *testing.T) {
			srv, clk := start(t, jiratest.WithDeployment(dep.d))
			api := dep.api
			st, b, _ := call(t, srv, "POST", api+"/version", `{"name":"5.0.1","project":"PROJ","releaseDate":"2025-03-10"}`)
			if st != http.StatusCreated {
				t.Fatalf("create: %d %s", st, b)
			}
			v1 := decode[versionJSON](t, b)
			if v1.Name != "5.0.1" || v1.Released || v1.ReleaseDate != "2025-03-10" || v1.Self != srv.URL+api+"/version/"+v1.ID {
				t.Fatalf("created %+v", v1)
			}
			if _, err := srv.AddVersion("PROJ", "5.1.0"); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.AddVersion("OPS", "ops-1"); err != nil {
				t.Fatal(err)
			}

			st, b, _ = call(t, srv, "GET", api+"/project/PROJ/versions", "")
			if list := decode[[]versionJSON](t, b); st != 200 || len(list) != 2 || list[0].Name != "5.0.1" || list[1].Name != "5.1.0" {
				t.Fatalf("versions: %d %s", st, b)
			}

			clk.Advance(15 * 24 * time.Hour) // past 2025-03-10: the unreleased version is overdue
			st, b, _ = call(t, srv, "GET", api+"/version/"+v1.ID, "")
			if got := decode[versionJSON](t, b); st != 200 || got.Overdue == nil || !*got.Overdue {
				t.Fatalf("get: %d %s", st, b)
			}

			st, b, _ = call(t, srv, "PUT", api+"/version/"+v1.ID, `{"released":true,"releaseDate":"2025-03-16"}`)
			if got := decode[versionJSON](t, b); st != 200 || !got.Released || got.ReleaseDate != "2025-03-16" {
				t.Fatalf("release: %d %s", st, b)
			}
			vs := srv.Versions("PROJ")
			if !vs[0].Released || !vs[0].ReleaseDate.Equal(time.Date(2025, 3, 16, 0, 0, 0, 0, time.UTC)) || vs[1].Released {
				t.Fatalf("after release %+v", vs)
			}
		})
	}
}

func TestVersionsPaged(t *testing.T) {
	srv, _ := start(t)
	for i := range 5 {
		if _, err := srv.AddVersion("PROJ", fmt.Sprintf("1.%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.ReleaseVersion("PROJ", "1.1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	type page struct {
		StartAt  int           `json:"startAt"`
		Total    int           `json:"total"`
		IsLast   bool          `json:"isLast"`
		NextPage string        `json:"nextPage"`
		Values   []versionJSON `json:"values"`
	}
	var names []string
	next := "/rest/api/3/project/PROJ/version?maxResults=2"
	for next != "" {
		st, b, _ := call(t, srv, "GET", next, "")
		if st != 200 {
			t.Fatalf("%s: %d %s", next, st, b)
		}
		p := decode[page](t, b)
		for _, v := range p.Values {
			names = append(names, v.Name)
		}
		if p.Total != 5 || p.IsLast != (p.NextPage == "") {
			t.Fatalf("page %+v", p)
		}
		next = strings.TrimPrefix(p.NextPage, srv.URL)
	}
	if want := []string{"1.0", "1.1", "1.2", "1.3", "1.4"}; !slices.Equal(names, want) {
		t.Fatalf("paged %v, want %v", names, want)
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"status=released", []string{"1.1"}},
		{"status=unreleased&orderBy=-name", []string{"1.4", "1.3", "1.2", "1.0"}},
		{"query=1.3", []string{"1.3"}},
	}
	for _, c := range cases {
		_, b, _ := call(t, srv, "GET", "/rest/api/3/project/PROJ/version?"+c.query, "")
		var got []string
		for _, v := range decode[page](t, b).Values {
			got = append(got, v.Name)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.query, got, c.want)
		}
	}
}

func TestVersionErrors(t *testing.T) {
	checked, _ := start(t)
	// Requests the document itself forbids go to a server without the check.
	unchecked, _ := startUnchecked(t)
	for _, srv := range []*jiratest.Server{checked, unchecked} {
		if _, err := srv.AddVersion("PROJ", "1.0"); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, method, path, body string
		status                   int
		want                     string
		forbidden                bool
	}{
		{"unknown project list", "GET", "/rest/api/3/project/NOPE/versions", "", 404, "No project could be found", false},
		{"unknown project page", "GET", "/rest/api/3/project/NOPE/version", "", 404, "No project could be found", false},
		{"unknown version", "GET", "/rest/api/3/version/99", "", 404, "Could not find version", false},
		{"duplicate name", "POST", "/rest/api/3/version", `{"name":"1.0","project":"PROJ"}`, 400, "already exists", false},
		{"no name", "POST", "/rest/api/3/version", `{"project":"PROJ"}`, 400, "valid version name", false},
		{"no project", "POST", "/rest/api/3/version", `{"name":"2.0"}`, 400, "Project must be specified", false},
		{"bad date", "POST", "/rest/api/3/version", `{"name":"2.0","project":"PROJ","releaseDate":"10/03/2025"}`, 400, "yyyy-MM-dd", true},
		{"bad order", "GET", "/rest/api/3/project/PROJ/version?orderBy=colour", "", 400, "Invalid orderBy", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := checked
			if c.forbidden {
				srv = unchecked
			}
			st, b, _ := call(t, srv, c.method, c.path, c.body)
			if st != c.status || !strings.Contains(string(b), c.want) {
				t.Fatalf("%d %s, want %d with %q", st, b, c.status, c.want)
			}
			if e := decode[map[string]any](t, b); e["errorMessages"] == nil || e["errors"] == nil {
				t.Fatalf("not a Jira error body: %s", b)
			}
		})
	}
}

// Releasing edits the version only; the issues that name it change in
// what their fixVersions entries say, not in their updated stamp.
func TestReleaseDoesNotEditIssues(t *testing.T) {
	srv, clk := start(t)
	is := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "crash"})
	if err := srv.Resolve(is.Key, "Done", "5.0.1", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	before, _ := srv.Issue(is.Key)
	fixVersion := func() versionJSON {
		_, b, _ := call(t, srv, "GET", "/rest/api/3/issue/"+is.Key+"?fields=fixVersions", "")
		var out struct {
			Fields struct {
				FixVersions []versionJSON `json:"fixVersions"`
			} `json:"fields"`
		}
		if err := json.Unmarshal(b, &out); err != nil || len(out.Fields.FixVersions) != 1 {
			t.Fatalf("fixVersions: %s", b)
		}
		return out.Fields.FixVersions[0]
	}
	if fv := fixVersion(); fv.Released || fv.ReleaseDate != "" {
		t.Fatalf("before release %+v", fv)
	}
	clk.Advance(48 * time.Hour)
	id := srv.Versions("PROJ")[0].ID
	if st, b, _ := call(t, srv, "PUT", "/rest/api/3/version/"+id, `{"released":true}`); st != 200 {
		t.Fatalf("release: %d %s", st, b)
	}
	if fv := fixVersion(); !fv.Released || fv.ReleaseDate != "2025-03-03" {
		t.Fatalf("after release %+v", fv)
	}
	after, _ := srv.Issue(is.Key)
	if !after.Updated.Equal(before.Updated) || len(srv.Histories(is.Key)) != len(srv.Histories(before.Key)) {
		t.Fatalf("release edited the issue: updated %v → %v", before.Updated, after.Updated)
	}
}

func TestReleaseMovesUnfixedIssues(t *testing.T) {
	srv, _ := start(t)
	fixed := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "fixed"})
	open := srv.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "open"})
	if err := srv.Resolve(fixed.Key, "Done", "1.0", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	v1 := srv.Versions("PROJ")[0]
	v2, err := srv.AddVersion("PROJ", "1.1")
	if err != nil {
		t.Fatal(err)
	}
	// An unresolved issue planned for 1.0: seeded through Resolve then
	// reopened, which keeps the fix version as Jira does.
	if err := srv.Resolve(open.Key, "Done", "1.0", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	if err := srv.Transition(open.Key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"released":true,"moveUnfixedIssuesTo":"%s/rest/api/3/version/%s"}`, srv.URL, v2.ID)
	if st, b, _ := call(t, srv, "PUT", "/rest/api/3/version/"+v1.ID, body); st != 200 {
		t.Fatalf("release: %d %s", st, b)
	}
	if got, _ := srv.Issue(fixed.Key); !slices.Equal(got.FixVersions, []string{"1.0"}) {
		t.Errorf("fixed issue moved: %v", got.FixVersions)
	}
	if got, _ := srv.Issue(open.Key); !slices.Equal(got.FixVersions, []string{"1.1"}) {
		t.Errorf("unfixed issue not moved: %v", got.FixVersions)
	}
	bad := fmt.Sprintf(`{"released":true,"moveUnfixedIssuesTo":"%s/rest/api/3/version/%s"}`, srv.URL, v2.ID)
	if _, err := srv.AddVersion("OPS", "o"); err != nil {
		t.Fatal(err)
	}
	ops := srv.Versions("OPS")[0]
	if st, b, _ := call(t, srv, "PUT", "/rest/api/3/version/"+ops.ID, bad); st != 400 || !strings.Contains(string(b), "moveUnfixedIssuesTo") {
		t.Fatalf("cross-project move: %d %s", st, b)
	}
}

func TestVersionWebhooks(t *testing.T) {
	var mu sync.Mutex
	var events []string
	var released map[string]any
	hook := startReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		defer mu.Unlock()
		events = append(events, m["webhookEvent"].(string))
		if m["webhookEvent"] == "jira:version_released" {
			released = m["version"].(map[string]any)
		}
	}))
	srv, _ := start(t, jiratest.WithWebhook(jiratest.Webhook{URL: hook}))
	v, err := srv.AddVersion("PROJ", "2.0")
	if err != nil {
		t.Fatal(err)
	}
	steps := []string{`{"description":"spring"}`, `{"released":true,"releaseDate":"2025-03-01"}`, `{"released":false}`}
	for _, body := range steps {
		if st, b, _ := call(t, srv, "PUT", "/rest/api/3/version/"+v.ID, body); st != 200 {
			t.Fatalf("%s: %d %s", body, st, b)
		}
	}
	srv.WaitWebhooks()
	want := []string{"jira:version_created", "jira:version_updated", "jira:version_released", "jira:version_unreleased"}
	if !slices.Equal(events, want) {
		t.Fatalf("events %v, want %v", events, want)
	}
	if released["name"] != "2.0" || released["released"] != true || released["releaseDate"] != "2025-03-01" {
		t.Fatalf("released payload %v", released)
	}
}

package jiratest_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

func TestCreateIssueBothVersions(t *testing.T) {
	cases := []struct {
		name        string
		dep         jiratest.Deployment
		api         string
		description string // JSON
	}{
		{"cloud v3 ADF", jiratest.Cloud, "/rest/api/3",
			`{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"Ticket 42 says"}]},{"type":"paragraph","content":[{"type":"text","text":"it crashes."}]}]}`},
		{"datacenter v2 string", jiratest.DataCenter, "/rest/api/2", `"Ticket 42 says\nit crashes."`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := start(t, jiratest.WithDeployment(c.dep))
			body := `{"fields":{"project":{"key":"PROJ"},"issuetype":{"name":"Bug"},"summary":"Checkout crashes",` +
				`"labels":["from-helpdesk"],"description":` + c.description + `}}`
			st, b, _ := call(t, srv, "POST", c.api+"/issue", body)
			if st != http.StatusCreated {
				t.Fatalf("create: %d %s", st, b)
			}
			created := decode[map[string]string](t, b)
			if created["key"] != "PROJ-1" || created["self"] != srv.URL+c.api+"/issue/"+created["id"] {
				t.Fatalf("created %v", created)
			}
			is, ok := srv.Issue("PROJ-1")
			if !ok || is.Summary != "Checkout crashes" || is.Description != "Ticket 42 says\nit crashes." ||
				is.Creator != jiratest.ServiceAccount || !slices.Equal(is.Labels, []string{"from-helpdesk"}) {
				t.Fatalf("stored %+v", is)
			}
			// The description reads back in the shape it was written in.
			_, b, _ = call(t, srv, "GET", c.api+"/issue/PROJ-1?fields=description,creator", "")
			var got struct {
				Fields struct {
					Description json.RawMessage `json:"description"`
				} `json:"fields"`
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if !equalJSON(decode[any](t, got.Fields.Description), decode[any](t, []byte(c.description))) {
				t.Errorf("description read back as %s, want %s", got.Fields.Description, c.description)
			}
			// And text search finds it.
			search := c.api + "/search/jql?fields=summary&jql="
			if c.dep == jiratest.DataCenter {
				search = c.api + "/search?fields=summary&jql="
			}
			_, b, _ = call(t, srv, "GET", search+"text+~+%22crashes%22", "")
			if !strings.Contains(string(b), `"key":"PROJ-1"`) {
				t.Errorf("text search: %s", b)
			}
		})
	}
}

func TestCreateIssueRefusals(t *testing.T) {
	srv, _ := start(t)
	long := strings.Repeat("x", 100<<10)
	cases := []struct {
		name, api, body, field, want string
	}{
		{"no summary", "3", `{"fields":{"project":{"key":"PROJ"},"issuetype":{"name":"Bug"}}}`, "summary", "You must specify a summary"},
		{"blank summary", "3", `{"fields":{"project":{"key":"PROJ"},"issuetype":{"name":"Bug"},"summary":"  "}}`, "summary", "You must specify a summary"},
		{"100 KB summary", "3", `{"fields":{"project":{"key":"PROJ"},"issuetype":{"name":"Bug"},"summary":"` + long + `"}}`, "summary", "less than 255 characters"},
		{"unknown project", "3", `{"fields":{"project":{"key":"SECRET"},"issuetype":{"name":"Bug"},"summary":"s"}}`, "project", "valid project"},
		{"unknown issue type", "3", `{"fields":{"project":{"key":"PROJ"},"issuetype":{"name":"Epic"},"summary":"s"}}`, "issuetype", "valid issue type"},
		{"v3 string description", "3", `{"fields":{"project":{"key":"PROJ"},"issuetype":{"id":"10004"},"summary":"s","description":"plain"}}`, "description", "Atlassian Document"},
		{"v2 ADF description", "2", `{"fields":{"project":{"key":"PROJ"},"issuetype":{"id":"10004"},"summary":"s","description":{"type":"doc","version":1,"content":[]}}}`, "description", "must be a string"},
		{"unknown component", "3", `{"fields":{"project":{"key":"PROJ"},"issuetype":{"name":"Bug"},"summary":"s","components":[{"name":"Nope"}]}}`, "components", "Component name 'Nope' is not valid"},
		{"unknown component id", "2", `{"fields":{"project":{"key":"PROJ"},"issuetype":{"name":"Bug"},"summary":"s","components":[{"id":"99"}]}}`, "components", "Component with id '99' does not exist."},
		{"components not a list", "3", `{"fields":{"project":{"key":"PROJ"},"issuetype":{"name":"Bug"},"summary":"s","components":{"name":"Nope"}}}`, "components", "not an array"},
		{"unknown field", "3", `{"fields":{"project":{"key":"PROJ"},"issuetype":{"name":"Bug"},"summary":"s","customfield_999":1}}`, "customfield_999", "not on the appropriate screen"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, b, _ := call(t, srv, "POST", "/rest/api/"+c.api+"/issue", c.body)
			var e struct {
				ErrorMessages []string          `json:"errorMessages"`
				Errors        map[string]string `json:"errors"`
			}
			if err := json.Unmarshal(b, &e); err != nil || st != 400 || e.ErrorMessages == nil || !strings.Contains(e.Errors[c.field], c.want) {
				t.Fatalf("%d %.300s, want 400 with errors.%s containing %q", st, b, c.field, c.want)
			}
		})
	}
	if n := len(srv.Writes()); n == 0 {
		t.Fatal("requests not logged")
	}
	if _, ok := srv.Issue("PROJ-1"); ok {
		t.Fatal("a refused request created an issue")
	}
}

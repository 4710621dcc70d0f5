package service_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/sidebar"
)

const (
	sidebarApp     = 11
	sidebarInstall = 777
)

// sidebarEnv is the whole service with the sidebar enabled against both
// simulators, the Zendesk one holding the installed app.
// Extra configuration, as KEY=value, is added to the sidebar's.
func sidebarEnv(t *testing.T, extra ...string) (*servicetest.Env, *httptest.Server) {
	t.Helper()
	cfg := map[string]string{
		"SIDEBAR_ENABLED": "true", "SIDEBAR_APP_ID": fmt.Sprint(sidebarApp), "SIDEBAR_INSTALLATION_ID": fmt.Sprint(sidebarInstall),
		"SIDEBAR_ACCOUNT_SUBDOMAIN": "acme", "SIDEBAR_PUBLIC_URL": "http://localhost:8080",
		"SIDEBAR_SESSION_KEY": strings.Repeat("s", 40),
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		cfg[k] = v
	}
	e := servicetest.New(t, servicetest.Options{
		Zendesk: []zendesktest.Option{zendesktest.WithApp(sidebarApp, sidebarInstall), zendesktest.WithSubdomain("acme")},
		Config:  cfg,
	})
	h, err := e.Service.SidebarHandler(service.SidebarOptions{Now: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return e, srv
}

var sessionMeta = regexp.MustCompile(`name="hs-session" content="([^"]+)"`)

// openPanel loads the page as Zendesk does for an agent and returns the
// page's session token.
func openPanel(t *testing.T, e *servicetest.Env, srv *httptest.Server) string {
	t.Helper()
	agent := e.Zendesk.AddUser(zendesktest.User{Name: "Agent", Role: "agent"}).ID
	req, err := e.Zendesk.NewAppPageRequest(e.Ctx, srv.URL+sidebar.PagePath, agent)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := sessionMeta.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("page: %d %s", resp.StatusCode, body)
	}
	return string(m[1])
}

func call(t *testing.T, srv *httptest.Server, session, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, srv.URL+"/zendesk/app/api/"+path, rd)
	req.Header.Set("Authorization", "Bearer "+session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: %d, body not JSON: %v", method, path, resp.StatusCode, err)
	}
	return resp.StatusCode
}

// waitView reads the ticket's view until ok holds; the service reconciles
// the ticket in the background at once, which takes well under a second
// here, and the bound is generous for a loaded machine.
func waitView(t *testing.T, srv *httptest.Server, session string, ticket int64, ok func(sidebar.TicketView) bool) sidebar.TicketView {
	t.Helper()
	var v sidebar.TicketView
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		v = sidebar.TicketView{}
		if status := call(t, srv, session, "GET", fmt.Sprintf("tickets/%d", ticket), nil, &v); status != http.StatusOK {
			t.Fatalf("ticket view: %d", status)
		}
		if ok(v) {
			return v
		}
	}
	t.Fatalf("the view never showed the change: %+v", v)
	return v
}

func hasBug(key string) func(sidebar.TicketView) bool {
	return func(v sidebar.TicketView) bool {
		for _, b := range v.Bugs {
			if b.Key == key {
				return true
			}
		}
		return false
	}
}

func TestSidebarEndToEnd(t *testing.T) {
	e, srv := sidebarEnv(t)
	project := simulation.ProjectKeys()[0]
	bug := e.Jira.MustCreateIssue(jiratest.NewIssue{Project: project, Summary: "Export fails for large files", Priority: "Low"})
	e.Jira.AddProject("SECRET", "Secret")
	e.Jira.MustCreateIssue(jiratest.NewIssue{Project: "SECRET", Summary: "Export secret plans"})
	enterprise := e.Org("enterprise")
	other := e.Ticket(e.Org("pro"), bug.Key)
	ticket := e.Ticket(enterprise, "NOPE-1")
	e.Settle()
	session := openPanel(t, e, srv)

	v := waitView(t, srv, session, ticket, func(v sidebar.TicketView) bool { return v.Ticket.Known })
	if len(v.Bugs) != 0 || len(v.Unlinked) != 1 || v.Unlinked[0].Reason != "project not synced" {
		t.Fatalf("before linking: %+v", v)
	}

	// Search: words find the bug; an injection attempt finds nothing
	// outside the synced projects.
	var found struct{ Candidates []sidebar.Candidate }
	for q, want := range map[string]string{"export": bug.Key, `") OR project = SECRET`: "", "SECRET-1": "", "export secret": ""} {
		found.Candidates = nil
		if status := call(t, srv, session, "GET", "search?q="+url.QueryEscape(q), nil, &found); status != http.StatusOK {
			t.Fatalf("search %q: %d", q, status)
		}
		got := fmt.Sprint(found.Candidates)
		if strings.Contains(got, "SECRET") || (want != "" && !strings.Contains(got, want)) {
			t.Errorf("search %q = %s", q, got)
		}
	}

	// Link: the keys field is written, and the panel shows the bug with
	// its customers at once.
	var done map[string]any
	linkedAt := time.Now()
	if status := call(t, srv, session, "POST", fmt.Sprintf("tickets/%d/link", ticket), map[string]string{"key": bug.Key}, &done); status != http.StatusOK {
		t.Fatalf("link: %d %v", status, done)
	}
	if tk, _ := e.Zendesk.Ticket(ticket); tk.Field(simulation.KeysFieldID) != "NOPE-1, "+bug.Key {
		t.Fatalf("keys field = %v", tk.Field(simulation.KeysFieldID))
	}
	v = waitView(t, srv, session, ticket, func(v sidebar.TicketView) bool {
		return hasBug(bug.Key)(v) && v.Bugs[0].Customers.Distinct == 2
	})
	t.Logf("link request to a counted bug in the view: %s", time.Since(linkedAt).Round(time.Millisecond))
	b := v.Bugs[0]
	if b.Status != "To Do" || b.Category != "To Do" || b.Priority == "" || b.URL == "" ||
		len(b.Others) != 1 || b.Others[0].ID != other || !strings.Contains(b.Standing, "(enterprise) is one of 2 customers") {
		t.Errorf("linked bug: %+v", b)
	}

	// File: duplicates first, then one bug for two confirmations.
	var filed struct {
		Candidates []sidebar.Candidate
		Created    string
		Error      string
	}
	req := map[string]any{"summary": "Export fails for large files again"}
	if status := call(t, srv, session, "POST", fmt.Sprintf("tickets/%d/bugs", ticket), req, &filed); status != http.StatusOK ||
		filed.Created != "" || !strings.Contains(fmt.Sprint(filed.Candidates), bug.Key) {
		t.Fatalf("duplicate check: %d %+v", status, filed)
	}
	req["confirm"], req["idempotency_key"], req["description"] = true, "e2e-0123456789abcdef", "Two customers hit it."
	var keys []string
	for range 2 {
		filed.Created = ""
		if status := call(t, srv, session, "POST", fmt.Sprintf("tickets/%d/bugs", ticket), req, &filed); status != http.StatusOK {
			t.Fatalf("file: %d %+v", status, filed)
		}
		keys = append(keys, filed.Created)
	}
	if keys[0] == "" || keys[0] != keys[1] {
		t.Fatalf("filed %v, want one bug twice", keys)
	}
	created, ok := e.Jira.Issue(keys[0])
	if !ok || created.Summary != "Export fails for large files again" ||
		!strings.Contains(created.Description, fmt.Sprintf("Filed from Zendesk ticket #%d: ", ticket)) {
		t.Fatalf("filed issue: %+v", created)
	}
	if n := e.Jira.Writes()["POST /rest/api/3/issue"]; n != 1 {
		t.Errorf("%d issue creations, want 1 (writes %v)", n, e.Jira.Writes())
	}
	v = waitView(t, srv, session, ticket, hasBug(keys[0]))
	if len(v.Bugs) != 2 {
		t.Errorf("after filing: %+v", v.Bugs)
	}

	// Too long a summary is refused with a clear message, nothing filed.
	filed.Error = ""
	if status := call(t, srv, session, "POST", fmt.Sprintf("tickets/%d/bugs", ticket),
		map[string]any{"summary": strings.Repeat("x", 100<<10), "confirm": true, "idempotency_key": "e2e-long-0123456789"}, &filed); status != http.StatusUnprocessableEntity ||
		!strings.Contains(filed.Error, "Jira takes at most 255") {
		t.Errorf("100 KB summary: %d %q", status, filed.Error)
	}

	// Unlink: the key leaves the field, the bug leaves the panel.
	if status := call(t, srv, session, "POST", fmt.Sprintf("tickets/%d/unlink", ticket), map[string]string{"key": bug.Key}, &done); status != http.StatusOK {
		t.Fatalf("unlink: %d %v", status, done)
	}
	waitView(t, srv, session, ticket, func(v sidebar.TicketView) bool { return !hasBug(bug.Key)(v) })
}

// A bug filed from the panel carries the configured component and the
// agent's labels to Jira; a component the project lacks is Jira's refusal,
// shown to the agent, with nothing filed.
func TestSidebarFilesComponentsAndLabels(t *testing.T) {
	project := simulation.ProjectKeys()[0]
	for _, tt := range []struct {
		component string
		status    int
		want      string
	}{
		{"Checkout", http.StatusOK, ""},
		{"Nope", http.StatusUnprocessableEntity, "Component name 'Nope' is not valid"},
	} {
		t.Run(tt.component, func(t *testing.T) {
			e, srv := sidebarEnv(t, "SIDEBAR_COMPONENTS="+tt.component, "SIDEBAR_LABELS=from-support")
			if err := e.Jira.AddComponent(project, "Checkout"); err != nil {
				t.Fatal(err)
			}
			ticket := e.Ticket(e.Org("pro"), "")
			e.Settle()
			session := openPanel(t, e, srv)
			var v sidebar.TicketView
			if status := call(t, srv, session, "GET", fmt.Sprintf("tickets/%d", ticket), nil, &v); status != http.StatusOK ||
				fmt.Sprint(v.Filing.Labels, v.Filing.Components) != "[from-support] ["+tt.component+"]" {
				t.Fatalf("filing configuration: %d %+v", status, v.Filing)
			}
			var filed struct{ Created, Error string }
			req := map[string]any{"summary": "Checkout fails", "confirm": true, "idempotency_key": "components-0123456789",
				"labels": []string{"from-support", "safari"}}
			status := call(t, srv, session, "POST", fmt.Sprintf("tickets/%d/bugs", ticket), req, &filed)
			if status != tt.status || !strings.Contains(filed.Error, tt.want) {
				t.Fatalf("file: %d %+v, want %d …%s", status, filed, tt.status, tt.want)
			}
			if tt.status != http.StatusOK {
				if n := e.Jira.Count("POST", "/rest/api/3/issue"); n != 1 {
					t.Errorf("%d creations tried, want 1", n)
				}
				return
			}
			is, ok := e.Jira.Issue(filed.Created)
			if !ok || fmt.Sprint(is.Components, is.Labels) != "[Checkout] [from-support safari]" {
				t.Errorf("filed %+v", is)
			}
		})
	}
}

package jiratest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

func TestSignedWebhooks(t *testing.T) {
	type delivery struct {
		event string
		body  map[string]any
	}
	var mu sync.Mutex
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

func TestSignMatchesTheReferenceVector(t *testing.T) {
	// Computed independently for shared/api/notes.md §10.
	got := jiratest.Sign("my-jira-secret", []byte(`{"ticket_id":"123","status":"open"}`))
	if want := "sha256=98995192be6a0d7b804694a431d9c0b967ea2328b6ed51590a69021e74ad3ccd"; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestNewHandlerServesSeededProjects(t *testing.T) {
	h := jiratest.NewHandler(jiratest.WithProject("DEMO", "Demo"))
	ts := httptest.NewServer(h)
	defer ts.Close()
	h.MustCreateIssue(jiratest.NewIssue{Project: "DEMO", Summary: "s"})
	req, _ := http.NewRequest("GET", ts.URL+"/rest/api/2/issue/DEMO-1?fields=summary", nil)
	req.SetBasicAuth(jiratest.ServiceEmail, jiratest.ServiceToken)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"self":"`+ts.URL+`/rest/api/2/issue/`) {
		t.Fatalf("%d %s (self links follow the request's host)", resp.StatusCode, b)
	}
}

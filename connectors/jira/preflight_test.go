package jira_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

func TestPreflight(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		mutate     func(*jira.Options)
		sim        []jiratest.Option
		priorities []string
		want       map[string]string // check name → substring of its error; "" passes
	}{
		{
			name:       "all good",
			priorities: []string{"Highest", "High", "Medium", "Low", "Lowest"},
			want:       map[string]string{"credentials": "", "customer_count_field": "", "priorities": "", "project PROJ": "", "project OPS": ""},
		},
		{
			name: "unknown field, priority and project",
			mutate: func(o *jira.Options) {
				o.CustomerCountField, o.Projects = "customfield_99999", []string{"PROJ", "NOPE"}
			},
			priorities: []string{"High", "Urgent"},
			want: map[string]string{"credentials": "", "customer_count_field": "no field has the id customfield_99999",
				"priorities": `"Urgent"`, "project PROJ": "", "project NOPE": "HTTP 404"},
		},
		{
			name:       "a text field cannot hold a count",
			mutate:     func(o *jira.Options) { o.CustomerCountField = "customfield_10100" },
			sim:        []jiratest.Option{jiratest.WithField(jiratest.Field{ID: "customfield_10100", Name: "Customers (text)", Type: "string", Custom: true})},
			priorities: nil,
			want:       map[string]string{"credentials": "", "customer_count_field": `of type "string"`, "project PROJ": "", "project OPS": ""},
		},
		{
			name:   "wrong token",
			mutate: func(o *jira.Options) { o.Token = "wrong-token-value" },
			want:   map[string]string{"credentials": "401"},
		},
		{
			name:   "nothing listens at the URL",
			mutate: func(o *jira.Options) { o.BaseURL, o.HTTPClient = refusedURL(t), nil },
			want:   map[string]string{"connection": "connection refused"},
		},
		{
			name: "the URL is not Jira's API",
			mutate: func(o *jira.Options) {
				o.BaseURL, o.HTTPClient = pageURL(t, http.StatusOK, "<html>Welcome to nginx</html>"), nil
			},
			want: map[string]string{"connection": "GET /myself"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.mutate, tt.sim...)
			got := map[string]string{}
			for _, ch := range f.jira.Preflight(ctx, tt.priorities) {
				got[ch.Name] = ""
				if ch.Err != nil {
					got[ch.Name] = ch.Err.Error()
					if strings.Contains(got[ch.Name], "wrong-token-value") {
						t.Fatalf("check %s leaks the token: %v", ch.Name, ch.Err)
					}
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("checks %v, want %v", got, tt.want)
			}
			for name, sub := range tt.want {
				msg, ok := got[name]
				switch {
				case !ok:
					t.Errorf("check %s missing", name)
				case sub == "" && msg != "":
					t.Errorf("check %s failed: %s", name, msg)
				case sub != "" && !strings.Contains(msg, sub):
					t.Errorf("check %s = %q, want it to mention %q", name, msg, sub)
				}
			}
		})
	}
}

// refusedURL is the URL of a port nobody listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// pageURL serves one page, whatever is asked: a host that is not the API.
func pageURL(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

package zendesk

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
)

func TestPreflight(t *testing.T) {
	ctx := context.Background()
	tier := zendesktest.OrganizationField{Key: "tier", Title: "Tier", Type: "dropdown"}
	tests := []struct {
		name  string
		setup func(srv *zendesktest.Server)
		edit  func(*Options)
		want  map[string]string // check name → substring of its error; "" passes
	}{
		{
			name: "all good",
			setup: func(srv *zendesktest.Server) {
				srv.AddTicketField(zendesktest.TicketField{ID: keysField, Type: "text", Title: "Keys", Active: true})
				srv.AddTicketField(zendesktest.TicketField{ID: statusField, Type: "textarea", Title: "Status", Active: true})
				srv.AddOrganizationField(tier)
			},
			want: map[string]string{"credentials": "", "admin": "", "keys_field": "", "status_field": "", "tier_field": ""},
		},
		{
			name: "missing, inactive and wrongly typed fields",
			setup: func(srv *zendesktest.Server) {
				srv.AddTicketField(zendesktest.TicketField{ID: statusField, Type: "checkbox", Title: "Status", Active: true})
			},
			want: map[string]string{"credentials": "", "admin": "", "keys_field": "HTTP 404",
				"status_field": `of type "checkbox"`, "tier_field": `no organization field has the key "tier"`},
		},
		{
			name: "inactive field",
			setup: func(srv *zendesktest.Server) {
				srv.AddTicketField(zendesktest.TicketField{ID: keysField, Type: "text", Title: "Keys"})
			},
			edit: func(o *Options) { o.StatusFieldID, o.TierField = 0, "" },
			want: map[string]string{"credentials": "", "admin": "", "keys_field": "inactive"},
		},
		{
			name: "an agent's token cannot export",
			setup: func(srv *zendesktest.Server) {
				srv.AddUser(zendesktest.User{Name: "Agent", Email: "agent@acme.test", Role: "agent"})
				srv.AddAPIToken("agent@acme.test", "agent-token")
			},
			edit: func(o *Options) {
				o.Email, o.Token, o.KeysFieldID, o.StatusFieldID, o.TierField = "agent@acme.test", "agent-token", 0, 0, ""
			},
			want: map[string]string{"credentials": "", "admin": `role "agent"`},
		},
		{
			name: "wrong token",
			edit: func(o *Options) { o.Token = "wrong-token-value" },
			want: map[string]string{"credentials": "HTTP 401"},
		},
		{
			name: "nothing listens at the URL",
			edit: func(o *Options) { o.BaseURL = refusedURL(t) },
			want: map[string]string{"connection": "connection refused"},
		},
		{
			name: "the URL is not Zendesk's API",
			edit: func(o *Options) { o.BaseURL = pageURL(t, http.StatusNotFound, "<html>Help Center Closed</html>") },
			want: map[string]string{"connection": "HTTP 404"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newPair(t, tt.edit)
			if tt.setup != nil {
				tt.setup(srv)
			}
			got := map[string]string{}
			for _, ch := range c.Preflight(ctx) {
				got[ch.Name] = ""
				if ch.Err != nil {
					got[ch.Name] = ch.Err.Error()
					if strings.Contains(ch.Err.Error(), "wrong-token-value") {
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

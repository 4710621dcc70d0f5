package zendesktest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// call sends one request with the default credentials and decodes a JSON
// answer into out (when non-nil). It returns the response with its body
// already read into the returned bytes.
func call(t *testing.T, srv *Server, method, path string, body any, out any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(DefaultEmail+"/token", DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp, raw
}

func newTestServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	srv := NewServer(append([]Option{WithExportLag(0)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

func TestAuthentication(t *testing.T) {
	srv := newTestServer(t, WithOAuthToken("oauth-secret"), WithAPIToken("other@example.com", "tok2"))
	tests := []struct {
		name   string
		auth   func(*http.Request)
		status int
	}{
		{"api token", func(r *http.Request) { r.SetBasicAuth(DefaultEmail+"/token", DefaultToken) }, 200},
		{"email is case-insensitive", func(r *http.Request) { r.SetBasicAuth("SYNC@example.com/token", DefaultToken) }, 200},
		{"second api token", func(r *http.Request) { r.SetBasicAuth("other@example.com/token", "tok2") }, 200},
		{"oauth bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer oauth-secret") }, 200},
		{"wrong token", func(r *http.Request) { r.SetBasicAuth(DefaultEmail+"/token", "nope") }, 401},
		{"password auth", func(r *http.Request) { r.SetBasicAuth(DefaultEmail, DefaultToken) }, 401},
		{"wrong bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 401},
		{"none", func(*http.Request) {}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+"/api/v2/users/me.json", nil)
			tt.auth(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tt.status, body)
			}
			if tt.status == 401 && string(body) != `{"error":"Couldn't authenticate you"}`+"\n" {
				t.Fatalf("401 body %q", body)
			}
		})
	}
}

func TestUsersMeIsTheAuthenticatedUser(t *testing.T) {
	srv := newTestServer(t)
	var out struct {
		User struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
			Role  string `json:"role"`
		} `json:"user"`
	}
	call(t, srv, "GET", "/api/v2/users/me.json", nil, &out)
	if out.User.ID != DefaultUserID || out.User.Email != DefaultEmail || out.User.Role != "admin" {
		t.Fatalf("me = %+v", out.User)
	}
}

func TestPathsWithAndWithoutJSONSuffix(t *testing.T) {
	srv := newTestServer(t)
	srv.CreateTicket(Ticket{ID: 7, Subject: "s", RequesterID: DefaultUserID})
	srv.AddOrganization(Organization{ID: 3, Name: "Acme"})
	srv.AddTicketField(TicketField{ID: 55, Type: "text", Title: "Bug keys", Active: true})
	for _, p := range []string{
		"/api/v2/tickets/7", "/api/v2/tickets/show_many?ids=7", "/api/v2/tickets/7/comments",
		"/api/v2/users/1000", "/api/v2/users/me", "/api/v2/users/show_many?ids=1000",
		"/api/v2/organizations/3", "/api/v2/organizations/show_many?ids=3",
		"/api/v2/ticket_fields", "/api/v2/ticket_fields/55", "/api/v2/organization_fields",
		"/api/v2/incremental/tickets/cursor?start_time=0",
	} {
		for _, path := range []string{p, withJSON(p)} {
			if resp, body := call(t, srv, "GET", path, nil, nil); resp.StatusCode != 200 {
				t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
			}
		}
	}
}

func withJSON(p string) string {
	path, q, _ := strings.Cut(p, "?")
	if q == "" {
		return path + ".json"
	}
	return path + ".json?" + q
}

func TestNotFoundBodies(t *testing.T) {
	srv := newTestServer(t)
	for _, tt := range []struct{ path, body string }{
		{"/api/v2/tickets/404.json", `{"error":"RecordNotFound","description":"Not found"}`},
		{"/api/v2/organizations/404.json", `{"error":"RecordNotFound","description":"Not found"}`},
		{"/api/v2/users/404.json", `{"error":"RecordNotFound","description":"Not found"}`},
		{"/api/v2/job_statuses/nope.json", `{"error":"RecordNotFound","description":"Not found"}`},
		{"/api/v2/no/such/endpoint.json", `{"error":"InvalidEndpoint","description":"Not found"}`},
	} {
		resp, body := call(t, srv, "GET", tt.path, nil, nil)
		if resp.StatusCode != 404 || strings.TrimSpace(string(body)) != tt.body {
			t.Errorf("GET %s: %d %s, want 404 %s", tt.path, resp.StatusCode, body, tt.body)
		}
	}
}

func TestShowManyTicketsLimitsAndSkipsMissing(t *testing.T) {
	srv := newTestServer(t)
	srv.CreateTicket(Ticket{ID: 1})
	srv.CreateTicket(Ticket{ID: 2})
	srv.CreateTicket(Ticket{ID: 3})
	srv.DeleteTicket(3)
	var out struct {
		Tickets []struct{ ID int64 } `json:"tickets"`
		Count   int                  `json:"count"`
	}
	call(t, srv, "GET", "/api/v2/tickets/show_many.json?ids=1,2,3,99", nil, &out)
	if len(out.Tickets) != 2 || out.Tickets[0].ID != 1 || out.Tickets[1].ID != 2 || out.Count != 2 {
		t.Fatalf("show_many = %+v", out)
	}
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = "1"
	}
	if resp, _ := call(t, srv, "GET", "/api/v2/tickets/show_many.json?ids="+strings.Join(ids, ","), nil, nil); resp.StatusCode != 400 {
		t.Fatalf("101 ids: status %d, want 400", resp.StatusCode)
	}
}

func TestRequestLogCountsPerEndpoint(t *testing.T) {
	srv := newTestServer(t)
	srv.CreateTicket(Ticket{ID: 1})
	srv.CreateTicket(Ticket{ID: 2})
	call(t, srv, "GET", "/api/v2/tickets/1.json", nil, nil)
	call(t, srv, "GET", "/api/v2/tickets/2", nil, nil)
	call(t, srv, "GET", "/api/v2/tickets/show_many.json?ids=1", nil, nil)
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/api/v2/tickets/{id}", 2},
		{"GET", "/api/v2/tickets/{id}.json", 2},
		{"GET", "/api/v2/tickets/1.json", 1},
		{"GET", "/api/v2/tickets/2.json", 1},
		{"GET", "/api/v2/tickets/show_many.json", 1},
		{"PUT", "/api/v2/tickets/{id}", 0},
	} {
		if got := srv.Count(tt.method, tt.path); got != tt.want {
			t.Errorf("Count(%s, %s) = %d, want %d", tt.method, tt.path, got, tt.want)
		}
	}
	if n := len(srv.Requests()); n != 3 {
		t.Fatalf("%d requests logged, want 3", n)
	}
	srv.ResetRequests()
	if n := len(srv.Requests()); n != 0 || srv.Count("GET", "/api/v2/tickets/{id}") != 0 {
		t.Fatalf("after reset: %d requests", n)
	}
}

func TestClockControls(t *testing.T) {
	srv := newTestServer(t)
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	srv.SetNow(at)
	tk := srv.CreateTicket(Ticket{})
	if !tk.CreatedAt.Equal(at) || tk.GeneratedTimestamp != at.Unix() {
		t.Fatalf("created %v gen %d, want %v", tk.CreatedAt, tk.GeneratedTimestamp, at)
	}
	srv.Advance(time.Hour)
	srv.SetStatus(tk.ID, "open")
	got, _ := srv.Ticket(tk.ID)
	if !got.UpdatedAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("updated_at %v, want %v", got.UpdatedAt, at.Add(time.Hour))
	}
}

func newRequest(srv *Server, method, path string) (*http.Request, error) {
	return http.NewRequest(method, srv.URL+path, nil)
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestWritesCountsAllButGets(t *testing.T) {
	srv := newTestServer(t)
	srv.CreateTicket(Ticket{ID: 7, Subject: "s", RequesterID: DefaultUserID})
	call(t, srv, "GET", "/api/v2/tickets/7.json", nil, nil)
	call(t, srv, "PUT", "/api/v2/tickets/7.json", map[string]any{"ticket": map[string]any{"subject": "t"}}, nil)
	got := srv.Writes()
	if len(got) != 1 || got["PUT /api/v2/tickets/{id}"] != 1 {
		t.Fatalf("writes %v, want the one PUT", got)
	}
}

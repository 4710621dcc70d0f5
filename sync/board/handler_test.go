package board

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

func TestNewHandlerRefusesAnOpenBoard(t *testing.T) {
	m := newFixture(t).model()
	for _, o := range []HandlerOptions{{}, {BasicUser: "lead"}, {BasicPassword: "x"}, {Token: "", BasicUser: "", BasicPassword: ""}} {
		if _, err := NewHandler(m, o); err == nil {
			t.Errorf("NewHandler(%+v) accepted", o)
		}
	}
}

func TestAuth(t *testing.T) {
	f := seed(t)
	srv := f.server(f.model())
	tokenOnly, err := NewHandler(f.model(), HandlerOptions{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	tokenSrv := httptest.NewServer(tokenOnly)
	t.Cleanup(tokenSrv.Close)

	tests := []struct {
		name   string
		srv    *httptest.Server
		auth   func(*http.Request)
		status int
	}{
		{"no credentials", srv, func(*http.Request) {}, http.StatusUnauthorized},
		{"bearer token", srv, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+testToken) }, http.StatusOK},
		{"bearer scheme in lower case", srv, func(r *http.Request) { r.Header.Set("Authorization", "bearer "+testToken) }, http.StatusOK},
		{"wrong token", srv, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+testToken+"x") }, http.StatusUnauthorized},
		{"token prefix", srv, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+testToken[:5]) }, http.StatusUnauthorized},
		{"empty bearer", srv, func(r *http.Request) { r.Header.Set("Authorization", "Bearer ") }, http.StatusUnauthorized},
		{"basic auth", srv, func(r *http.Request) { r.SetBasicAuth(testUser, testPass) }, http.StatusOK},
		{"basic auth, wrong password", srv, func(r *http.Request) { r.SetBasicAuth(testUser, "nope") }, http.StatusUnauthorized},
		{"basic auth, wrong user", srv, func(r *http.Request) { r.SetBasicAuth("admin", testPass) }, http.StatusUnauthorized},
		{"the token as a basic password", srv, func(r *http.Request) { r.SetBasicAuth(testUser, testToken) }, http.StatusUnauthorized},
		{"basic auth where only a token is configured", tokenSrv, func(r *http.Request) { r.SetBasicAuth(testUser, testPass) }, http.StatusUnauthorized},
		{"the token where only a token is configured", tokenSrv, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+testToken) }, http.StatusOK},
	}
	for _, tt := range tests {
		for _, path := range []string{"/board", "/board/customers", "/board/board.css", "/api/v1/bugs", "/api/v1/customers", "/api/v1/health"} {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodGet, tt.srv.URL+path, nil)
				tt.auth(req)
				resp, body := do(t, req)
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
				}
				if tt.status == http.StatusUnauthorized {
					challenges := resp.Header.Values("WWW-Authenticate")
					if len(challenges) == 0 || strings.Contains(body, "PROJ-9") {
						t.Fatalf("401 without a challenge (%v) or with data: %s", challenges, body)
					}
				}
				if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
					t.Fatalf("content security policy %q", csp)
				}
			})
		}
	}
	// Unknown paths and other methods are refused after the credentials,
	// so that they tell a stranger nothing.
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/board/nothing", http.StatusNotFound},
		{http.MethodPost, "/board", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/api/v1/bugs", http.StatusMethodNotAllowed},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		if resp, _ := do(t, req); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without credentials: %d", tc.method, tc.path, resp.StatusCode)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		if resp, _ := do(t, req); resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
		}
	}
}

// Everything that comes from Jira or Zendesk is text on the page, never
// markup.
func TestEscaping(t *testing.T) {
	f := newFixture(t)
	evil := `<script>alert("x")</script>`
	b := bugRec("7", "PROJ-7", `In <b>Review</b>`, engine.CategoryInProgress, `High"><img src=x onerror=alert(1)>`)
	b.Summary = "Export " + evil
	f.bug(b, waiter{org: 101, open: true, subject: "Customer says " + evil})
	if err := f.store.PutOrganizations(f.ctx, []engine.Organization{{ID: 101, Name: "Acme " + evil, Tier: "enterprise"}}, now); err != nil {
		t.Fatal(err)
	}
	srv := f.server(f.model(func(o *Options) { o.ShowCustomerNames = true }))
	for _, path := range []string{"/board", "/board/customers"} {
		resp, body := get(t, srv, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "<img") || strings.Contains(body, "<b>") {
			t.Fatalf("%s renders markup from the vendors:\n%s", path, body)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Fatalf("%s does not show the text escaped:\n%s", path, body)
		}
	}
	_, body := get(t, srv, "/board")
	if !strings.Contains(body, `title="Customer says &lt;script&gt;`) {
		t.Fatalf("the ticket subject is not its link's title, escaped:\n%s", body)
	}
	_, body = get(t, srv, "/api/v1/bugs")
	var p struct{ Bugs []Bug }
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Bugs) != 1 || p.Bugs[0].Summary != "Export "+evil || p.Bugs[0].Tickets[0].Subject != "Customer says "+evil {
		t.Fatalf("JSON does not carry the text as it is: %+v", p.Bugs)
	}
}

// Without show_customer_names, organization names and ticket subjects
// appear nowhere.
func TestNamesOnlyWhenConfigured(t *testing.T) {
	f := seed(t)
	for _, names := range []bool{false, true} {
		srv := f.server(f.model(func(o *Options) { o.ShowCustomerNames = names }))
		for _, path := range []string{"/board", "/board/customers", "/api/v1/bugs", "/api/v1/customers"} {
			_, body := get(t, srv, path)
			shown := strings.Contains(body, "Org 101") || strings.Contains(body, "Ticket 1 about")
			if shown != names {
				t.Errorf("%s with show_customer_names %v: names shown %v", path, names, shown)
			}
			if strings.Contains(body, "1001") { // requester ids
				t.Errorf("%s shows a requester id", path)
			}
		}
	}
}

func TestBadQueries(t *testing.T) {
	f := seed(t)
	srv := f.server(f.model())
	for _, path := range []string{
		"/board?category=open", "/board?sort=summary", "/board?page=0", "/board?per_page=10001", "/board?dir=up",
		"/board?project=%3Cscript%3E", "/board/customers?sort=rank", "/api/v1/bugs?stale=maybe", "/api/v1/bugs?per_page=1001",
		"/api/v1/customers?tier=%22%3E",
	} {
		resp, body := get(t, srv, path)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", path, resp.StatusCode)
		}
		// The message names the bad value, as text a browser never sniffs
		// into markup.
		if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: a %s error: %s", path, ct, body)
		}
	}
}

func TestUnavailableState(t *testing.T) {
	src := &countingSource{Source: newFixture(t).store, fail: errors.New("redis: i/o timeout")}
	h, err := NewHandler(NewModel(src, Options{}), HandlerOptions{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, path := range []string{"/board", "/board/customers", "/api/v1/bugs"} {
		resp, body := get(t, srv, path)
		if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(body, "i/o timeout") {
			t.Errorf("%s: %d %q", path, resp.StatusCode, body)
		}
	}
}

func TestBoardPage(t *testing.T) {
	f := seed(t)
	m := f.model()
	if err := f.store.RecordHealth(f.ctx, state.HealthReport{At: now.Add(-time.Minute),
		Cycle:    &state.StepHealth{Step: "cycle", At: now.Add(-time.Minute), Took: 1500 * time.Millisecond},
		Read:     map[string]time.Time{"zendesk": now.Add(-time.Minute), "jira": now.Add(-time.Minute)},
		Requests: []state.Requests{{Vendor: "zendesk", Minute: now.Add(-time.Minute).Truncate(time.Minute), Attempts: 100, Remaining: 250}},
	}); err != nil {
		t.Fatal(err)
	}
	srv := f.server(m)
	resp, body := get(t, srv, "/board")
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/html; charset=utf-8" {
		t.Fatalf("%d %s", resp.StatusCode, ct)
	}
	for _, want := range []string{
		`<a href="https://acme.atlassian.net/browse/PROJ-9">PROJ-9</a>`,
		`<a href="https://acme.zendesk.com/agent/tickets/3">#3</a>`,
		`title="raised by helpdesk-sync">raised</span>`,
		`<span class="badge stale">stale</span>`,
		`<a href="?project=WEB">WEB</a>`,
		`<a href="?category=indeterminate">In progress</a>`,
		`<a href="?tier=enterprise">enterprise</a>`,
		`<a href="?stale=yes">Stale</a>`,
		`aria-sort="ascending"><a href="?dir=desc">#`,
		`<a href="?sort=customers">Customers</a>`,
		`<svg id="waiting-chart"`,
		`100 of 400/min (25%)`,
		`250 <small>`,
		`took 1.5s`,
		`<td class="tiers">2 enterprise, 1 free</td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	order := []string{`data-key="PROJ-9"`, `data-key="PROJ-10"`, `data-key="PROJ-1"`, `data-key="WEB-2"`}
	at := -1
	for _, k := range order {
		i := strings.Index(body, k)
		if i <= at {
			t.Fatalf("rows not in rank order: %s at %d after %d", k, i, at)
		}
		at = i
	}
	// A filter keeps the sort, and a sort keeps the filters.
	_, body = get(t, srv, "/board?sort=age&project=PROJ")
	if !strings.Contains(body, `<a href="?sort=age">All</a>`) || !strings.Contains(body, `<a href="?project=PROJ&amp;sort=key">Key</a>`) {
		t.Errorf("links do not carry the query along:\n%s", body)
	}
	_, css := get(t, srv, "/board/board.css")
	if !strings.Contains(css, ".filters") {
		t.Error("stylesheet not served")
	}
}

func TestJSONAPI(t *testing.T) {
	f := seed(t)
	srv := f.server(f.model())
	resp, body := get(t, srv, "/api/v1/bugs?per_page=2")
	if resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	var bugs struct {
		AsOf                        time.Time
		Total, Page, PerPage, Pages int
		Bugs                        []map[string]any
	}
	if err := json.Unmarshal([]byte(body), &bugs); err != nil {
		t.Fatal(err)
	}
	if bugs.Total != 4 || bugs.Pages != 2 || bugs.PerPage != 2 || len(bugs.Bugs) != 2 || !bugs.AsOf.Equal(now) {
		t.Fatalf("bugs page %+v", bugs)
	}
	var fields []string
	for k := range bugs.Bugs[0] {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	want := []string{"customers", "customersByTier", "id", "key", "lastActivity", "openTickets", "priority", "priorityLocked", "priorityRaised",
		"project", "rank", "stale", "status", "statusCategory", "summary", "ticketCount", "tickets", "url", "weightedCustomers"}
	if !slices.Equal(fields, want) {
		t.Fatalf("bug fields %v, want %v", fields, want)
	}

	_, body = get(t, srv, "/api/v1/customers?tier=pro")
	var customers struct {
		Total     int
		Customers []Customer
	}
	if err := json.Unmarshal([]byte(body), &customers); err != nil {
		t.Fatal(err)
	}
	if customers.Total != 3 || len(customers.Customers) != 3 || customers.Customers[0].Bugs[0].Key != "PROJ-10" {
		t.Fatalf("customers %+v", customers)
	}
	_, body = get(t, srv, "/api/v1/bugs?project=NONE")
	if !strings.Contains(body, `"bugs": []`) {
		t.Fatalf("an empty page is not an empty list: %s", body)
	}
	_, body = get(t, srv, "/api/v1/health")
	var h Health
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatal(err)
	}
	if h.Healthy || len(h.Vendors) != 2 || len(h.Issues) == 0 {
		t.Fatalf("health without any report %+v", h)
	}
}

// Mounted on another mux by Patterns, as the service's listener does, every
// path of the board reaches it and nothing else does.
func TestPatterns(t *testing.T) {
	f := seed(t)
	h, err := NewHandler(f.model(), HandlerOptions{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, p := range Patterns {
		mux.Handle(p, h)
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for path, status := range map[string]int{
		"/board": 200, "/board/": 200, "/board/customers": 200, "/board/board.css": 200,
		"/api/v1/bugs": 200, "/api/v1/customers": 200, "/api/v1/health": 200, "/api/v1/other": 404, "/api/v2/bugs": 404, "/healthz": 200,
	} {
		if resp, body := get(t, srv, path); resp.StatusCode != status {
			t.Errorf("%s: %d, want %d: %s", path, resp.StatusCode, status, body)
		}
	}
	// Without credentials, every path of the board's (the API's whole
	// namespace included) is refused before it is routed: whether a path
	// exists tells a stranger nothing.
	for _, path := range []string{"/board/nothing", "/api/v1/bugs", "/api/v1/other", "/api/v1/bugs/x", "/api/v2/bugs", "/api/"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if resp, body := do(t, req); resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s without credentials: %d, want 401 with a challenge: %s", path, resp.StatusCode, body)
		}
	}
}

package sidebar

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// fakeState is an empty state: the handler tests are about requests and
// writes; the e2e test reads a real one.
type fakeState struct{}

func (fakeState) Tickets(context.Context, []int64) (map[int64]engine.TicketRecord, error) {
	return map[int64]engine.TicketRecord{}, nil
}
func (fakeState) TicketLinks(context.Context, []int64) (map[int64]map[string]engine.LinkSource, error) {
	return nil, nil
}
func (fakeState) Aliases(context.Context, []string) (map[string]string, error) { return nil, nil }
func (fakeState) MissingKeys(context.Context, []string) (map[string]engine.MissingKey, error) {
	return nil, nil
}
func (fakeState) Bugs(context.Context, []string) (map[string]engine.BugRecord, error) {
	return nil, nil
}
func (fakeState) BugMemories(context.Context, []string) (map[string]engine.BugMemory, map[string]engine.Standing, error) {
	return nil, nil, nil
}
func (fakeState) BugLinks(context.Context, []string) (map[string]map[int64]engine.LinkSource, error) {
	return nil, nil
}
func (fakeState) OrganizationNames(context.Context, []int64) (map[int64]engine.Organization, error) {
	return nil, nil
}

// recorder records every write the handler makes through its ports.
type recorder struct {
	mu      sync.Mutex
	field   map[int64]string
	writes  int
	queued  []int64
	created []engine.NewBug
	ledger  map[string]string
	found   []engine.Bug
}

func (r *recorder) FindBugs(_ context.Context, q string, _ int) ([]engine.Bug, error) {
	return r.found, nil
}

func (r *recorder) CreateBug(_ context.Context, nb engine.NewBug) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.created = append(r.created, nb)
	return fmt.Sprintf("PROJ-%d", 100+len(r.created)), nil
}

func (r *recorder) EditKeysField(_ context.Context, id int64, edit func(string) string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := edit(r.field[id])
	if next != r.field[id] {
		r.field[id] = next
		r.writes++
	}
	return next, nil
}

func (r *recorder) Enqueue(_ context.Context, ids []int64, _ []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queued = append(r.queued, ids...)
	return nil
}

func (r *recorder) Reserve(_ context.Context, key string) (string, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.ledger[key]; ok {
		return v, false, nil
	}
	r.ledger[key] = ""
	return "", true, nil
}

func (r *recorder) Filed(_ context.Context, key, bug string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ledger[key] = bug
	return nil
}

func (r *recorder) Release(_ context.Context, key string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.ledger, key)
	return nil
}

// nothingWritten reports the writes made, if any.
func (r *recorder) nothingWritten() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.writes != 0 || len(r.queued) != 0 || len(r.created) != 0 || len(r.ledger) != 0 {
		return fmt.Sprintf("writes %d, queued %v, created %v, ledger %v", r.writes, r.queued, r.created, r.ledger)
	}
	return ""
}

type fixture struct {
	srv      *httptest.Server
	sim      *zendesktest.Server
	rec      *recorder
	sessions *Sessions
	agent    int64
	now      time.Time
}

const (
	testApp     = 11
	testInstall = 777
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	sim := zendesktest.NewServer(zendesktest.WithApp(testApp, testInstall), zendesktest.WithSubdomain("acme"))
	t.Cleanup(sim.Close)
	f := &fixture{sim: sim, rec: &recorder{field: map[int64]string{}, ledger: map[string]string{}}, now: sim.Now()}
	f.agent = sim.AddUser(zendesktest.User{Name: "Agent", Role: "agent"}).ID
	key, err := zendesk.ParseAppPublicKey(sim.AppPublicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return f.now }
	v, err := zendesk.NewAppVerifier(zendesk.AppVerifierOptions{Subdomain: "acme", InstallationID: testInstall, Key: key, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	f.sessions, err = NewSessions(SessionsOptions{Key: sessionKey, Subdomain: "acme", InstallationID: testInstall, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(Options{
		Verify: func(tok string) (int64, error) {
			c, err := v.Verify(tok)
			return c.UserID, err
		},
		Sessions: f.sessions, State: fakeState{}, Tracker: f.rec, Keys: f.rec, Queue: f.rec, Filings: f.rec,
		Policy: engine.Policy{Projects: []string{"PROJ", "WEB"}}, Subdomain: "acme", Project: "PROJ", IssueType: "Bug",
		Labels: []string{"from-support"}, Components: []string{"Checkout"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) postPage(t *testing.T, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := http.PostForm(f.srv.URL+PagePath, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (f *fixture) session(t *testing.T) string {
	t.Helper()
	tok, _, err := f.sessions.Issue(f.agent)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) call(t *testing.T, method, path, session string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, f.srv.URL+apiPrefix+path, rd)
	if session != "" {
		req.Header.Set("Authorization", "Bearer "+session)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestPageTokens(t *testing.T) {
	f := newFixture(t)
	good, err := f.sim.SignAppToken(f.agent, zendesktest.AppToken{})
	if err != nil {
		t.Fatal(err)
	}
	other := zendesktest.NewServer(zendesktest.WithApp(testApp, testInstall), zendesktest.WithSubdomain("acme"))
	defer other.Close()
	otherAgent := other.AddUser(zendesktest.User{Name: "Mallory", Role: "agent"}).ID
	forged, err := other.SignAppToken(otherAgent, zendesktest.AppToken{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		form   url.Values
		later  time.Duration
		status int
	}{
		{"valid", url.Values{"token": {good}}, 0, http.StatusOK},
		{"missing", url.Values{}, 0, http.StatusUnauthorized},
		{"garbage", url.Values{"token": {"not.a.jwt"}}, 0, http.StatusUnauthorized},
		{"forged: signed with another key", url.Values{"token": {forged}}, 0, http.StatusUnauthorized},
		{"tampered", url.Values{"token": {good[:len(good)-4] + "AAAA"}}, 0, http.StatusUnauthorized},
		{"expired", url.Values{"token": {good}}, zendesktest.AppTokenTTL + time.Minute, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.now = f.sim.Now().Add(tt.later)
			resp, body := f.postPage(t, tt.form)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors https://acme.zendesk.com") || strings.Contains(csp, "frame-ancestors *") ||
				!strings.Contains(csp, "script-src 'self' https://static.zdassets.com;") || !strings.Contains(csp, "style-src 'self'") {
				t.Errorf("CSP = %q", csp)
			}
			hasSession := strings.Contains(body, `name="hs-session" content="ey`)
			if hasSession != (tt.status == http.StatusOK) {
				t.Errorf("session in the page: %v, status %d", hasSession, tt.status)
			}
			if tt.status == http.StatusOK && strings.Contains(body, string(sessionKey)) {
				t.Error("the session key reached the page")
			}
			if msg := f.rec.nothingWritten(); msg != "" {
				t.Errorf("written: %s", msg)
			}
		})
	}
}

func TestAPIRefusesWithoutSession(t *testing.T) {
	f := newFixture(t)
	expired := f.session(t)
	f.now = f.now.Add(SessionTTL + time.Hour)
	other, _ := NewSessions(SessionsOptions{Key: []byte(strings.Repeat("x", 32)), Subdomain: "acme", InstallationID: testInstall})
	foreign, _, _ := other.Issue(f.agent)
	for _, session := range []string{"", "garbage", expired, foreign} {
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", "tickets/1", nil},
			{"GET", "search?q=export", nil},
			{"POST", "tickets/1/link", linkRequest{Key: "PROJ-1"}},
			{"POST", "tickets/1/unlink", linkRequest{Key: "PROJ-1"}},
			{"POST", "tickets/1/bugs", createRequest{Summary: "x", Confirm: true, IdempotencyKey: "0123456789abcdef"}},
		} {
			if status, _ := f.call(t, c.method, c.path, session, c.body); status != http.StatusUnauthorized {
				t.Errorf("%s %s with session %.10q: %d, want 401", c.method, c.path, session, status)
			}
		}
	}
	if msg := f.rec.nothingWritten(); msg != "" {
		t.Errorf("written: %s", msg)
	}
}

func TestLinkAndUnlink(t *testing.T) {
	f := newFixture(t)
	s := f.session(t)
	f.rec.field[5] = "WEB-9"
	if status, out := f.call(t, "POST", "tickets/5/link", s, linkRequest{Key: "proj-1"}); status != http.StatusOK {
		t.Fatalf("link: %d %v", status, out)
	}
	if f.rec.field[5] != "WEB-9, PROJ-1" || len(f.rec.queued) != 1 || f.rec.queued[0] != 5 {
		t.Fatalf("field %q, queued %v", f.rec.field[5], f.rec.queued)
	}
	tests := []struct {
		path, key string
		status    int
		field     string
	}{
		{"link", "PROJ-1", http.StatusOK, "WEB-9, PROJ-1"}, // already there: no write
		{"link", "SECRET-1", http.StatusBadRequest, "WEB-9, PROJ-1"},
		{"link", `") OR project = SECRET`, http.StatusBadRequest, "WEB-9, PROJ-1"},
		{"unlink", "PROJ-2", http.StatusConflict, "WEB-9, PROJ-1"}, // linked elsewhere, if at all
		{"unlink", "web-9", http.StatusOK, "PROJ-1"},
	}
	for _, tt := range tests {
		status, out := f.call(t, "POST", "tickets/5/"+tt.path, s, linkRequest{Key: tt.key})
		if status != tt.status || f.rec.field[5] != tt.field {
			t.Errorf("%s %s: %d %v, field %q; want %d, %q", tt.path, tt.key, status, out, f.rec.field[5], tt.status, tt.field)
		}
	}
	if f.rec.writes != 2 {
		t.Errorf("%d field writes, want 2", f.rec.writes)
	}
}

func TestSearchStaysInSyncedProjects(t *testing.T) {
	f := newFixture(t)
	// Whatever the tracker answers, a bug outside the synced projects is
	// not shown (the Jira adapter's own confinement is tested end to end).
	f.rec.found = []engine.Bug{{Key: "SECRET-1", Summary: "secret"}, {Key: "PROJ-3", Summary: "export"}}
	status, out := f.call(t, "GET", "search?q="+url.QueryEscape(`") OR project = SECRET`), f.session(t), nil)
	if status != http.StatusOK {
		t.Fatalf("%d %v", status, out)
	}
	got, _ := json.Marshal(out["candidates"])
	if strings.Contains(string(got), "SECRET") || !strings.Contains(string(got), "PROJ-3") {
		t.Errorf("candidates = %s", got)
	}
	if status, _ := f.call(t, "GET", "search?q="+strings.Repeat("a", 201), f.session(t), nil); status != http.StatusBadRequest {
		t.Errorf("overlong search: %d", status)
	}
}

func TestCreate(t *testing.T) {
	var labels21 []string
	for i := range 21 {
		labels21 = append(labels21, fmt.Sprint("l", i))
	}
	f := newFixture(t)
	s := f.session(t)
	f.rec.found = []engine.Bug{{Key: "PROJ-3", Summary: "Export fails"}}
	tests := []struct {
		name   string
		req    createRequest
		status int
		want   string
	}{
		{"100 KB summary", createRequest{Summary: strings.Repeat("a", 100<<10), Confirm: true, IdempotencyKey: "0123456789abcdef"},
			http.StatusUnprocessableEntity, "The summary has 102400 characters; Jira takes at most 255"},
		{"empty summary", createRequest{Summary: "  ", Confirm: true, IdempotencyKey: "0123456789abcdef"},
			http.StatusUnprocessableEntity, "The summary is empty"},
		{"two lines", createRequest{Summary: "a\nb"}, http.StatusUnprocessableEntity, "one line"},
		{"65 KB description", createRequest{Summary: "ok", Description: strings.Repeat("d", 65<<10), Confirm: true, IdempotencyKey: "0123456789abcdef"},
			http.StatusUnprocessableEntity, "The description is 65 KB; at most 64 KB"},
		{"body over the limit", createRequest{Summary: "ok", Description: strings.Repeat("d", 300<<10)},
			http.StatusRequestEntityTooLarge, "over 256 KB"},
		{"no idempotency key", createRequest{Summary: "ok", Confirm: true}, http.StatusBadRequest, "idempotency_key"},
		{"label with a space", createRequest{Summary: "ok", Labels: &[]string{"two words"}}, http.StatusUnprocessableEntity, `The label "two words" has a space`},
		{"empty label", createRequest{Summary: "ok", Labels: &[]string{""}}, http.StatusUnprocessableEntity, "A label is empty"},
		{"label too long", createRequest{Summary: "ok", Labels: &[]string{strings.Repeat("l", 256)}}, http.StatusUnprocessableEntity, "A label has 256 characters; Jira takes at most 255"},
		{"21 labels", createRequest{Summary: "ok", Labels: &labels21}, http.StatusUnprocessableEntity, "21 labels; at most 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := f.call(t, "POST", "tickets/5/bugs", s, tt.req)
			if status != tt.status || !strings.Contains(fmt.Sprint(out["error"]), tt.want) {
				t.Errorf("%d %v; want %d …%s", status, out, tt.status, tt.want)
			}
		})
	}
	if msg := f.rec.nothingWritten(); msg != "" {
		t.Fatalf("refused filings wrote: %s", msg)
	}

	// First the duplicates, nothing filed.
	status, out := f.call(t, "POST", "tickets/5/bugs", s, createRequest{Summary: "Export fails for large files"})
	if status != http.StatusOK || !strings.Contains(fmt.Sprint(out["candidates"]), "PROJ-3") || len(f.rec.created) != 0 {
		t.Fatalf("duplicates: %d %v, created %v", status, out, f.rec.created)
	}
	// Then confirmed, twice with one key (a double click): one bug.
	req := createRequest{Summary: "Export fails for large files", Description: "Steps: export 2 GB", Confirm: true, IdempotencyKey: "form-0123456789ab"}
	for i := range 2 {
		status, out = f.call(t, "POST", "tickets/5/bugs", s, req)
		if status != http.StatusOK || out["created"] != "PROJ-101" || out["new"] != (i == 0) {
			t.Fatalf("create %d: %d %v", i, status, out)
		}
	}
	if len(f.rec.created) != 1 {
		t.Fatalf("%d bugs filed, want 1", len(f.rec.created))
	}
	nb := f.rec.created[0]
	if nb.Project != "PROJ" || nb.IssueType != "Bug" || !strings.Contains(nb.Description, "Steps: export 2 GB\n\nFiled from Zendesk ticket #5: https://acme.zendesk.com/agent/tickets/5") {
		t.Errorf("filed %+v", nb)
	}
	if f.rec.field[5] != "PROJ-101" {
		t.Errorf("keys field %q, want the new bug linked", f.rec.field[5])
	}
	if !slices.Equal(nb.Labels, []string{"from-support"}) || !slices.Equal(nb.Components, []string{"Checkout"}) {
		t.Errorf("labels %q, want the configured ones", nb.Labels)
	}

	// The agent's labels replace the configured ones: none, or others.
	for _, tt := range []struct {
		labels, want []string
	}{
		{[]string{}, nil},
		{[]string{"ui", "export", "ui"}, []string{"export", "ui"}},
	} {
		req := createRequest{Summary: "Another bug", Confirm: true, IdempotencyKey: fmt.Sprintf("form-labels-%d-0123456789", len(tt.labels)), Labels: &tt.labels}
		if status, out := f.call(t, "POST", "tickets/5/bugs", s, req); status != http.StatusOK {
			t.Fatalf("create with labels %q: %d %v", tt.labels, status, out)
		}
		if got := f.rec.created[len(f.rec.created)-1].Labels; !slices.Equal(got, tt.want) {
			t.Errorf("labels %q filed as %q, want %q", tt.labels, got, tt.want)
		}
	}
}

func TestKeysField(t *testing.T) {
	tests := []struct{ field, key, added, removed string }{
		{"", "PROJ-1", "PROJ-1", ""},
		{"PROJ-2", "PROJ-1", "PROJ-2, PROJ-1", "PROJ-2"},
		{"proj-1; PROJ-2 ", "PROJ-1", "proj-1; PROJ-2 ", "PROJ-2"},
		{"PROJ-2,", "PROJ-1", "PROJ-2, PROJ-1", "PROJ-2,"},
		{"PROJ-10", "PROJ-1", "PROJ-10, PROJ-1", "PROJ-10"},
	}
	for _, tt := range tests {
		if got := addKey(tt.field, tt.key); got != tt.added {
			t.Errorf("addKey(%q, %q) = %q, want %q", tt.field, tt.key, got, tt.added)
		}
		if got := removeKey(tt.field, tt.key); got != tt.removed {
			t.Errorf("removeKey(%q, %q) = %q, want %q", tt.field, tt.key, got, tt.removed)
		}
	}
}

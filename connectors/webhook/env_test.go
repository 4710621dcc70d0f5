package webhook_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// The secrets the simulators sign with, as the Env configures the
// receiver.
const (
	zdSecret   = servicetest.ZendeskSecret
	jiraSecret = servicetest.JiraSecret
)

// env is one deployment under test: servicetest's on the wall clock, with
// both simulators sending signed webhooks to the service's receiver.
type env struct {
	*servicetest.Env
	t     testing.TB
	hooks *httptest.Server
	count *deliveries
	// sent are the requests the simulators sent, as received, for replays.
	sentMu sync.Mutex
	sent   []sentRequest
}

type envOptions struct {
	maxBody   int64
	backstop  time.Duration
	noJiraKey bool // Jira webhooks unsigned on the receiver's side
	latency   engine.LatencyObserver
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := &env{t: t, count: &deliveries{}}
	// One project, and no priority bump: what the tests count is the
	// webhooks' path, not the policy's writes.
	cfg := map[string]string{"JIRA_PROJECTS": "PROJ", "POLICY_THRESHOLDS": "1000=High"}
	if o.backstop > 0 {
		cfg["SYNC_WEBHOOK_POLL_INTERVAL"] = o.backstop.String()
	}
	if o.noJiraKey {
		cfg["WEBHOOKS_JIRA_SECRET"] = ""
	}
	// A limit validation refuses, small enough for a test's bodies to pass.
	limit := func(c *config.Config) {
		if o.maxBody > 0 {
			c.Webhooks.MaxBodyBytes = o.maxBody
		}
	}
	e.Env = servicetest.New(t, servicetest.Options{Config: cfg, Configure: limit, WallClock: true, Webhooks: true,
		WebhookObserver: e.count, Latency: o.latency})
	mux := http.NewServeMux()
	mux.Handle(service.WebhookPattern, e.capture(e.WebhookHandler()))
	e.hooks = httptest.NewServer(mux)
	t.Cleanup(e.hooks.Close)
	return e
}

// hookZendesk points the Zendesk simulator's webhook at the receiver,
// signing with secret.
func (e *env) hookZendesk(secret string) {
	e.Zendesk.SetWebhook(zendesktest.Webhook{URL: e.hooks.URL + "/webhooks/zendesk", Secret: secret})
}

// hookJira points the Jira simulator's admin webhook at the receiver.
func (e *env) hookJira(secret string) {
	e.Jira.SetWebhook(jiratest.Webhook{URL: e.hooks.URL + "/webhooks/jira", Secret: secret,
		Events: []string{"jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "comment_created", "jira:version_released"}})
}

// flush waits until both simulators have delivered everything.
func (e *env) flush() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.Ctx, 10*time.Second)
	defer cancel()
	if err := e.Zendesk.FlushWebhooks(ctx); err != nil {
		e.t.Fatal(err)
	}
	e.Jira.WaitWebhooks()
}

// bug creates an issue in PROJ.
func (e *env) bug() jiratest.Issue { return e.Bug("PROJ", "Low") }

// ticket creates an open ticket of a new organization linking keys.
func (e *env) ticket(keys string) int64 { return e.Ticket(e.Org(""), keys) }

func (e *env) drain() engine.Report {
	e.t.Helper()
	rep, err := e.Service.Engine.Drain(e.Ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return rep
}

func (e *env) statusField(id int64) string {
	e.t.Helper()
	tk, ok := e.Zendesk.Ticket(id)
	if !ok {
		e.t.Fatalf("ticket %d missing", id)
	}
	s, _ := tk.Field(simulation.StatusFieldID).(string)
	return s
}

func (e *env) customers(key string) float64 {
	e.t.Helper()
	is, ok := e.Jira.Issue(key)
	if !ok {
		e.t.Fatalf("issue %s missing", key)
	}
	if c := is.Custom[jiratest.CustomerCountField]; c != nil {
		return *c
	}
	return -1
}

// backlog is what waits on the read queues.
func (e *env) backlog() (tickets, bugs int64) {
	e.t.Helper()
	b, err := e.Service.Engine.Backlog(e.Ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return b[engine.TicketReadQueue], b[engine.BugReadQueue]
}

// deliveries counts deliveries by source and result.
type deliveries struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *deliveries) Delivery(source, result string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = map[string]int{}
	}
	d.n[source+" "+result]++
}

func (d *deliveries) snapshot() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]int{}
	for k, v := range d.n {
		out[k] = v
	}
	return out
}

func (d *deliveries) reset() {
	d.mu.Lock()
	d.n = nil
	d.mu.Unlock()
}

// sentRequest is a delivery as it arrived.
type sentRequest struct {
	path   string
	header http.Header
	body   []byte
}

// capture keeps every request before the receiver sees it.
func (e *env) capture(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		e.sentMu.Lock()
		e.sent = append(e.sent, sentRequest{path: r.URL.Path, header: r.Header.Clone(), body: body})
		e.sentMu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func (e *env) lastSent(path string) sentRequest {
	e.t.Helper()
	e.sentMu.Lock()
	defer e.sentMu.Unlock()
	for i := len(e.sent) - 1; i >= 0; i-- {
		if e.sent[i].path == path {
			return e.sent[i]
		}
	}
	e.t.Fatalf("nothing was sent to %s", path)
	return sentRequest{}
}

// post sends a delivery by hand and returns the status.
func (e *env) post(method, path string, header http.Header, body []byte) int {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.Ctx, method, e.hooks.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// replica starts a second replica (its own receiver and engine, the same
// Redis) and returns the URL its webhooks are served at.
func (e *env) replica() string {
	e.t.Helper()
	b := e.Assemble(nil)
	r, _ := b.WebhookRoute()
	mux := http.NewServeMux()
	mux.Handle(r.Pattern, r.Handler)
	srv := httptest.NewServer(mux)
	e.t.Cleanup(srv.Close)
	return srv.URL
}

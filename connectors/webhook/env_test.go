package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/webhook"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

const (
	keysField   int64 = 360001
	statusField int64 = 360002
	zdSecret          = "zd-signing-secret"
	jiraSecret        = "jira-webhook-secret"
)

// env is one deployment under test: both simulators sending signed
// webhooks to the receiver's handler, the real adapters over HTTP, a real
// Redis and the engine, all on the wall clock.
type env struct {
	t      testing.TB
	ctx    context.Context
	opts   envOptions
	zd     *zendesktest.Server
	jira   *jiratest.Server
	rdb    redis.UniversalClient
	prefix string
	engine *engine.Engine
	// engineOpts built engine: another replica's engine is built alike.
	engineOpts engine.Options
	recv       *webhook.Receiver
	hooks      *httptest.Server
	count      *deliveries
	events     *recorder
	// sent are the requests the simulators sent, as received, for replays.
	sentMu sync.Mutex
	sent   []sentRequest
	log    *zap.Logger
}

type envOptions struct {
	maxBody   int64
	backstop  time.Duration
	noJiraKey bool // Jira webhooks unsigned on the receiver's side
	latency   engine.LatencyObserver
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), opts: o, count: &deliveries{}, events: &recorder{}}
	e.log = zaptest.NewLogger(t, zaptest.Level(logLevel()))
	e.zd = zendesktest.NewServer(zendesktest.WithExportLag(0))
	t.Cleanup(e.zd.Close)
	e.zd.AddTicketField(zendesktest.TicketField{ID: keysField, Type: "text", Title: "Jira keys", Active: true})
	e.zd.AddTicketField(zendesktest.TicketField{ID: statusField, Type: "text", Title: "Bug status", Active: true})
	e.jira = jiratest.NewServer()
	t.Cleanup(e.jira.Close)
	e.jira.AddProject("PROJ", "Product")

	hd, err := zendesk.New(zendesk.Options{
		BaseURL: e.zd.URL, Email: zendesktest.DefaultEmail, Token: zendesktest.DefaultToken,
		KeysFieldID: keysField, StatusFieldID: statusField, JobPoll: 5 * time.Millisecond, JobTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := jira.New(jira.Options{
		BaseURL: e.jira.URL, Email: jiratest.ServiceEmail, Token: jiratest.ServiceToken, HTTPClient: e.jira.Client(),
		Projects: []string{"PROJ"}, CustomerCountField: jiratest.CustomerCountField,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.rdb, e.prefix = redistest.Client(t)
	ro := webhook.Options{
		Redis: e.rdb, Prefix: e.prefix, ZendeskSecret: zdSecret, JiraSecret: jiraSecret,
		MaxBodyBytes: o.maxBody, Backstop: o.backstop, Logger: e.log, Observer: e.count,
	}
	if o.noJiraKey {
		ro.JiraSecret = ""
	}
	if e.recv, err = webhook.New(ro); err != nil {
		t.Fatal(err)
	}
	e.engineOpts = engine.Options{
		Helpdesk: hd, Tracker: tr, Store: state.New(e.rdb, e.prefix, time.Hour), Policy: policy(),
		Logger: e.log, Recorder: e.events, Workers: 4, Batch: 100, PollInterval: time.Hour,
		Wake: e.recv.Wake(), Pacer: e.recv, Latency: o.latency,
	}
	e.engine, err = engine.New(e.engineOpts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks/", e.capture(e.recv.Handler(e.engine)))
	e.hooks = httptest.NewServer(mux)
	t.Cleanup(e.hooks.Close)
	return e
}

func policy() engine.Policy {
	return engine.Policy{
		Projects:           []string{"PROJ"},
		CountBy:            engine.CountByOrganization,
		CountTickets:       engine.CountOpenTickets,
		DefaultWeight:      1,
		Thresholds:         []engine.Threshold{{Customers: 1000, Priority: "High"}},
		Priorities:         []string{"Highest", "High", "Medium", "Low", "Lowest"},
		StatusTags:         engine.StatusTags{ToDo: "bug_open", InProgress: "bug_in_progress", Done: "bug_fixed", WontFix: "bug_wont_fix"},
		WontFixResolutions: []string{"Won't Do"},
		Notes:              true,
	}
}

func logLevel() zapcore.Level {
	if os.Getenv("HS_TEST_LOG") == "info" {
		return zap.DebugLevel
	}
	return zap.WarnLevel
}

// hookZendesk points the Zendesk simulator's webhook at the receiver,
// signing with secret.
func (e *env) hookZendesk(secret string) {
	e.zd.SetWebhook(zendesktest.Webhook{URL: e.hooks.URL + "/webhooks/zendesk", Secret: secret})
}

// hookJira points the Jira simulator's admin webhook at the receiver.
func (e *env) hookJira(secret string) {
	e.jira.SetWebhook(jiratest.Webhook{URL: e.hooks.URL + "/webhooks/jira", Secret: secret,
		Events: []string{"jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "comment_created"}})
}

// flush waits until both simulators have delivered everything.
func (e *env) flush() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	if err := e.zd.FlushWebhooks(ctx); err != nil {
		e.t.Fatal(err)
	}
	e.jira.WaitWebhooks()
}

// bug creates an issue in PROJ.
func (e *env) bug() jiratest.Issue {
	return e.jira.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "Export fails for large files", Priority: "Low"})
}

// ticket creates an open ticket of a new organization linking keys.
func (e *env) ticket(keys string) int64 {
	org := e.zd.AddOrganization(zendesktest.Organization{Name: fmt.Sprintf("Customer %d", time.Now().UnixNano())})
	u := e.zd.AddUser(zendesktest.User{Name: "Requester", Email: fmt.Sprintf("r%d@example.com", time.Now().UnixNano()), OrganizationID: org.ID})
	tk := zendesktest.Ticket{Subject: "Cannot export", Status: "open", RequesterID: u.ID, OrganizationID: org.ID}
	if keys != "" {
		tk.CustomFields = []zendesktest.CustomField{{ID: keysField, Value: keys}}
	}
	return e.zd.CreateTicket(tk).ID
}

// settle builds the state with full cycles until two in a row write
// nothing, as the leader does before webhooks matter.
func (e *env) settle() {
	e.t.Helper()
	quiet := 0
	for range 8 {
		rep, err := e.engine.Cycle(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if rep.Writes() > 0 {
			quiet = 0
		} else if quiet++; quiet == 2 {
			return
		}
	}
	e.t.Fatal("no two quiet cycles in a row after 8")
}

func (e *env) drain() engine.Report {
	e.t.Helper()
	rep, err := e.engine.Drain(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return rep
}

func (e *env) statusField(id int64) string {
	e.t.Helper()
	tk, ok := e.zd.Ticket(id)
	if !ok {
		e.t.Fatalf("ticket %d missing", id)
	}
	s, _ := tk.Field(statusField).(string)
	return s
}

func (e *env) customers(key string) float64 {
	e.t.Helper()
	is, ok := e.jira.Issue(key)
	if !ok {
		e.t.Fatalf("issue %s missing", key)
	}
	if c := is.Custom[jiratest.CustomerCountField]; c != nil {
		return *c
	}
	return -1
}

// writes counts the write requests both simulators received since the
// last reset, by route.
func (e *env) writes() map[string]int {
	out := map[string]int{}
	for route, n := range e.zd.Writes() {
		out["zendesk "+route] = n
	}
	for route, n := range e.jira.Writes() {
		out["jira "+route] = n
	}
	return out
}

func (e *env) resetLogs() {
	e.zd.ResetRequests()
	e.jira.ResetLog()
}

// backlog is what waits on the read queues.
func (e *env) backlog() (tickets, bugs int64) {
	e.t.Helper()
	b, err := e.engine.Backlog(e.ctx)
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

// recorder keeps the engine's events with the time they happened.
type recorder struct {
	mu     sync.Mutex
	events []timedEvent
	notify func(engine.Event, time.Time)
}

type timedEvent struct {
	engine.Event
	at time.Time
}

func (r *recorder) Record(ev engine.Event) {
	now := time.Now()
	r.mu.Lock()
	r.events = append(r.events, timedEvent{ev, now})
	notify := r.notify
	r.mu.Unlock()
	if notify != nil {
		notify(ev, now)
	}
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
	req, err := http.NewRequestWithContext(e.ctx, method, e.hooks.URL+path, bytes.NewReader(body))
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

// replica starts a second replica's receiver (its own engine, the same
// Redis) and returns the URL its webhooks are served at.
func (e *env) replica() string {
	e.t.Helper()
	recv, err := webhook.New(webhook.Options{
		Redis: e.rdb, Prefix: e.prefix, ZendeskSecret: zdSecret, JiraSecret: jiraSecret, Logger: e.log, Observer: e.count,
		Backstop: e.opts.backstop,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	opts := e.engineOpts
	opts.Wake, opts.Pacer = recv.Wake(), recv
	eng, err := engine.New(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks/", recv.Handler(eng))
	srv := httptest.NewServer(mux)
	e.t.Cleanup(srv.Close)
	return srv.URL
}

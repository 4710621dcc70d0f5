// Package e2e_test drives the engine end to end: the Zendesk and Jira
// simulators, the real adapters over HTTP, a real Redis and the real code
// path, scenario by scenario, asserting what the vendors end up holding and
// exactly how many write requests got there.
package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

const (
	keysField   int64 = 360001
	statusField int64 = 360002
)

var t0 = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

var tierField = zendesktest.OrganizationField{Key: "tier", Title: "Tier", Type: "dropdown", Options: []zendesktest.FieldOption{
	{Name: "Enterprise", Value: "enterprise"}, {Name: "Pro", Value: "pro"}, {Name: "Free", Value: "free"},
}}

func policy() engine.Policy {
	return engine.Policy{
		Projects:      []string{"PROJ", "WEB"},
		LinkTagPrefix: "jira_",
		CountBy:       engine.CountByOrganization,
		CountTickets:  engine.CountOpenTickets,
		TierWeights:   map[string]float64{"enterprise": 5, "pro": 2, "free": 1},
		DefaultWeight: 1,
		Thresholds: []engine.Threshold{
			{Customers: 3, Priority: "Medium"}, {Customers: 10, Priority: "High"}, {Customers: 25, Priority: "Highest"},
		},
		Priorities:          []string{"Highest", "High", "Medium", "Low", "Lowest"},
		PriorityLockedLabel: "priority-locked",
		CountLabels:         []engine.CountLabel{{Customers: 10, Label: "customers-10plus"}},
		StatusTags:          engine.StatusTags{ToDo: "bug_open", InProgress: "bug_in_progress", Done: "bug_fixed", WontFix: "bug_wont_fix"},
		WontFixResolutions:  []string{"Won't Do"},
		Notes:               true,
		Stale: engine.StalePolicy{
			Label: "stale", DefaultWindow: 14 * 24 * time.Hour, ExemptLabels: []string{"long-term"},
		},
	}
}

// env is one deployment under test.
type env struct {
	t     *testing.T
	ctx   context.Context
	clock *clocktest.Manual // the one clock of both simulators, both adapters and the engine
	zd    *zendesktest.Server
	jira  *jiratest.Server
	hd    *zendesk.Client
	tr    *jira.Client
	store *state.Store
	opts  engine.Options
	// hook, when set, sees every HTTP request of both adapters before it
	// is sent (and may fail it).
	hookMu sync.Mutex
	hook   func(*http.Request) error
}

func newEnv(t *testing.T, mutate ...func(*engine.Options)) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), clock: clocktest.NewManual(t0)}
	e.zd = zendesktest.NewServer(zendesktest.WithExportLag(0), zendesktest.WithClock(e.clock.Now))
	t.Cleanup(e.zd.Close)
	e.zd.AddTicketField(zendesktest.TicketField{ID: keysField, Type: "text", Title: "Jira keys", Active: true})
	e.zd.AddTicketField(zendesktest.TicketField{ID: statusField, Type: "text", Title: "Bug status", Active: true})
	e.zd.AddOrganizationField(tierField)
	e.jira = jiratest.NewServer(jiratest.WithClock(e.clock.Now))
	t.Cleanup(e.jira.Close)
	e.jira.AddProject("PROJ", "Product")
	e.jira.AddProject("WEB", "Web")

	var err error
	e.hd, err = zendesk.New(zendesk.Options{
		BaseURL: e.zd.URL, Email: zendesktest.DefaultEmail, Token: zendesktest.DefaultToken,
		HTTPClient: &http.Client{Transport: e.transport(http.DefaultTransport)}, KeysFieldID: keysField,
		StatusFieldID: statusField, TierField: "tier", Clock: e.clock.Now, JobPoll: 2 * time.Millisecond, JobTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.tr, err = jira.New(jira.Options{
		BaseURL: e.jira.URL, Email: jiratest.ServiceEmail, Token: jiratest.ServiceToken,
		HTTPClient: &http.Client{Transport: e.transport(e.jira.Client().Transport)}, Projects: []string{"PROJ", "WEB"},
		CustomerCountField: jiratest.CustomerCountField, Clock: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, prefix := redistest.Client(t)
	e.store = state.New(c, prefix, time.Hour)
	e.opts = engine.Options{
		Helpdesk: e.hd, Tracker: e.tr, Store: e.store, Policy: policy(), Clock: e.clock,
		Logger: zaptest.NewLogger(t, zaptest.Level(logLevel())), Workers: 4, Batch: 100,
	}
	for _, m := range mutate {
		m(&e.opts)
	}
	return e
}

func logLevel() zapcore.Level {
	if os.Getenv("HS_TEST_LOG") == "info" {
		return zap.InfoLevel
	}
	return zap.WarnLevel
}

type hookTransport struct {
	e    *env
	next http.RoundTripper
}

// RoundTrip runs the hook first: an error fails the request unsent, except
// errAfter, which lets it reach the vendor, buffers the answer and then
// cancels the cycle (a process dying right after the vendor acted).
func (h hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h.e.hookMu.Lock()
	hook := h.e.hook
	h.e.hookMu.Unlock()
	if hook == nil {
		return h.next.RoundTrip(r)
	}
	err := hook(r)
	after, isAfter := err.(errAfter)
	if err != nil && !isAfter {
		return nil, err
	}
	if !isAfter {
		return h.next.RoundTrip(r)
	}
	resp, err := h.next.RoundTrip(r)
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	after.cancel()
	return resp, err
}

func (e *env) transport(next http.RoundTripper) http.RoundTripper {
	return hookTransport{e: e, next: next}
}

func (e *env) setHook(h func(*http.Request) error) {
	e.hookMu.Lock()
	e.hook = h
	e.hookMu.Unlock()
}

func (e *env) engine() *engine.Engine {
	e.t.Helper()
	eng, err := engine.New(e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return eng
}

// cycle runs one cycle on a fresh engine (a restart costs nothing: all
// state is in Redis), two minutes after the last.
func (e *env) cycle() engine.Report {
	e.t.Helper()
	e.clock.Advance(2 * time.Minute)
	rep, err := e.engine().Cycle(e.ctx)
	if err != nil {
		e.t.Fatalf("cycle: %v", err)
	}
	return rep
}

// settle cycles until two in a row write nothing.
func (e *env) settle() {
	e.t.Helper()
	quiet := 0
	for i := 0; i < 8; i++ {
		if rep := e.cycle(); rep.Writes() > 0 {
			quiet = 0
		} else if quiet++; quiet == 2 {
			return
		}
	}
	e.t.Fatal("no two quiet cycles in a row after 8")
}

// writes counts the write requests each simulator received since the last
// reset, by route.
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

func (e *env) reads() map[string]int {
	out := map[string]int{}
	for _, r := range e.zd.Requests() {
		if r.Method == http.MethodGet {
			out["zendesk "+r.Route]++
		}
	}
	for route, n := range e.jira.Counts() {
		if strings.HasPrefix(route, "GET ") || strings.Contains(route, "/search") {
			out["jira "+route] += n
		}
	}
	return out
}

func (e *env) resetLogs() {
	e.zd.ResetRequests()
	e.jira.ResetLog()
}

func (e *env) expectWrites(want map[string]int) {
	e.t.Helper()
	if got := e.writes(); fmt.Sprint(got) != fmt.Sprint(want) {
		e.t.Fatalf("write requests:\n got %v\nwant %v", got, want)
	}
}

// expectIdle asserts a cycle costs one read per system and no write.
func (e *env) expectIdle() {
	e.t.Helper()
	e.resetLogs()
	e.cycle()
	if w := e.writes(); len(w) != 0 {
		e.t.Fatalf("idle cycle wrote %v", w)
	}
	reads := e.reads()
	total := 0
	for _, n := range reads {
		total += n
	}
	if total != 2 || len(reads) != 2 {
		e.t.Fatalf("idle cycle read %v; want one request per system", reads)
	}
}

// org creates an organization with a tier ("" for none).
func (e *env) org(id int64, tier string) {
	o := zendesktest.Organization{ID: id, Name: fmt.Sprintf("Customer %d", id)}
	if tier != "" {
		o.Fields = map[string]any{"tier": tier}
	}
	e.zd.AddOrganization(o)
}

// ticket creates an open ticket of a new requester in org with keys.
func (e *env) ticket(org int64, keys string, tags ...string) int64 {
	u := e.zd.AddUser(zendesktest.User{Name: "Requester", Email: fmt.Sprintf("r%d@example.com", time.Now().UnixNano()), OrganizationID: org})
	tk := zendesktest.Ticket{Subject: fmt.Sprintf("Customer %d cannot export", org), Status: "open",
		RequesterID: u.ID, OrganizationID: org, Tags: tags}
	if keys != "" {
		tk.CustomFields = []zendesktest.CustomField{{ID: keysField, Value: keys}}
	}
	return e.zd.CreateTicket(tk).ID
}

func (e *env) bug(project, priority string) jiratest.Issue {
	return e.jira.MustCreateIssue(jiratest.NewIssue{Project: project, Summary: "Export fails for large files", Priority: priority})
}

func (e *env) expectTicket(id int64, field string, tags ...string) {
	e.t.Helper()
	tk, ok := e.zd.Ticket(id)
	if !ok {
		e.t.Fatalf("ticket %d missing", id)
	}
	got, _ := tk.Field(statusField).(string)
	var managed []string
	for _, tag := range tk.Tags {
		if strings.HasPrefix(tag, "bug_") || slices.Contains(tags, tag) {
			managed = append(managed, tag)
		}
	}
	sort.Strings(managed)
	sort.Strings(tags)
	if got != field || !slices.Equal(managed, tags) {
		e.t.Fatalf("ticket %d shows %q with tags %q; want %q with %q", id, got, managed, field, tags)
	}
}

func (e *env) notes(id int64) []string {
	var out []string
	for _, c := range e.zd.Comments(id) {
		if !c.Public {
			out = append(out, c.Body)
		}
	}
	return out
}

func (e *env) issue(key string) jiratest.Issue {
	e.t.Helper()
	is, ok := e.jira.Issue(key)
	if !ok {
		e.t.Fatalf("issue %s missing", key)
	}
	return is
}

func (e *env) expectIssue(key, priority string, count float64, labels ...string) {
	e.t.Helper()
	is := e.issue(key)
	got := slices.Clone(is.Labels)
	sort.Strings(got)
	sort.Strings(labels)
	c := is.Custom[jiratest.CustomerCountField]
	if is.Priority != priority || c == nil || *c != count || !slices.Equal(got, labels) {
		e.t.Fatalf("issue %s: priority %q count %v labels %q; want %q %v %q", key, is.Priority, deref(c), got, priority, count, labels)
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func (e *env) serviceComments(key string) []string {
	var out []string
	for _, c := range e.jira.Comments(key) {
		if c.Author == jiratest.ServiceAccount {
			out = append(out, c.Body)
		}
	}
	return out
}

// linkedTickets are the tickets the service's remote links on an issue
// point at.
func (e *env) linkedTickets(key string) []int64 {
	var out []int64
	for _, l := range e.jira.RemoteLinks(key) {
		if !strings.HasPrefix(l.GlobalID, "helpdesk-sync:") {
			continue
		}
		url, _ := l.Object["url"].(string)
		if id, ok := e.hd.TicketRef(url); ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

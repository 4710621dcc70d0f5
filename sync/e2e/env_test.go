// Package e2e_test drives the engine end to end: the Zendesk and Jira
// simulators, the real adapters over HTTP, a real Redis and the real code
// path, scenario by scenario, asserting what the vendors end up holding and
// exactly how many write requests got there.
package e2e_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// policy is the e2e policy over servicetest's fixture: a bump at three
// customers, one count label, a stale window of two weeks whatever the
// priority, no blast-radius limits, and two of the simulation's projects.
func policy() map[string]string {
	const window = "336h"
	return map[string]string{
		"JIRA_PROJECTS":               "PROJ,WEB",
		"POLICY_THRESHOLDS":           "3=Medium,10=High,25=Highest",
		"POLICY_COUNT_LABELS":         "10=customers-10plus",
		"POLICY_STALE_LABEL":          "stale",
		"POLICY_STALE_WINDOWS":        "Highest=" + window + ",High=" + window + ",Medium=" + window + ",Low=" + window + ",Lowest=" + window,
		"POLICY_STALE_DEFAULT_WINDOW": window,
		"POLICY_STALE_EXEMPT_LABELS":  "long-term",
		"POLICY_MAX_PRIORITY_CHANGES": "0",
		"POLICY_MAX_TICKET_UPDATES":   "0",
		"POLICY_MAX_BUG_EDITS":        "0",
	}
}

// env is one deployment under test: servicetest's, with a hook on every
// HTTP request of both adapters.
type env struct {
	*servicetest.Env
	t *testing.T
	// hook, when set, sees every HTTP request of both adapters before it
	// is sent (and may fail it).
	hookMu sync.Mutex
	hook   func(*http.Request) error
}

func newEnv(t *testing.T, change ...func(*servicetest.Options)) *env {
	t.Helper()
	e := &env{t: t}
	o := servicetest.Options{Config: policy(), Service: []service.Option{servicetest.WithTransport(e.transport(http.DefaultTransport))}}
	for _, c := range change {
		c(&o)
	}
	e.Env = servicetest.New(t, o)
	return e
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

// engine is the service's engine.
func (e *env) engine() *engine.Engine { return e.Service.Engine }

// cycle runs one cycle two minutes after the last.
func (e *env) cycle() engine.Report {
	e.t.Helper()
	return e.Cycle()
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

func (e *env) reads() map[string]int {
	out := map[string]int{}
	for _, r := range e.Zendesk.Requests() {
		if r.Method == http.MethodGet {
			out["zendesk "+r.Route]++
		}
	}
	for route, n := range e.Jira.Counts() {
		if strings.HasPrefix(route, "GET ") || strings.Contains(route, "/search") {
			out["jira "+route] += n
		}
	}
	return out
}

func (e *env) expectWrites(want map[string]int) {
	e.t.Helper()
	if got := e.Writes(); fmt.Sprint(got) != fmt.Sprint(want) {
		e.t.Fatalf("write requests:\n got %v\nwant %v", got, want)
	}
}

// expectIdle asserts a cycle costs one read per system and no write.
func (e *env) expectIdle() {
	e.t.Helper()
	e.ResetLogs()
	e.cycle()
	if w := e.Writes(); len(w) != 0 {
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
		o.Fields = map[string]any{simulation.TierField: tier}
	}
	e.Zendesk.AddOrganization(o)
}

func (e *env) expectTicket(id int64, field string, tags ...string) {
	e.t.Helper()
	tk, ok := e.Zendesk.Ticket(id)
	if !ok {
		e.t.Fatalf("ticket %d missing", id)
	}
	got, _ := tk.Field(simulation.StatusFieldID).(string)
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
	for _, c := range e.Zendesk.Comments(id) {
		if !c.Public {
			out = append(out, c.Body)
		}
	}
	return out
}

func (e *env) issue(key string) jiratest.Issue {
	e.t.Helper()
	is, ok := e.Jira.Issue(key)
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
	for _, c := range e.Jira.Comments(key) {
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
	for _, l := range e.Jira.RemoteLinks(key) {
		if !strings.HasPrefix(l.GlobalID, "helpdesk-sync:") {
			continue
		}
		url, _ := l.Object["url"].(string)
		if id, ok := e.Service.Helpdesk.TicketRef(url); ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

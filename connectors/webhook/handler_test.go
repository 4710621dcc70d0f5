package webhook_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
)

// linked is a settled deployment: one bug, one ticket linking it, webhooks
// not yet pointed at the receiver.
func linked(t *testing.T, o envOptions) (e *env, key string, ticket int64) {
	t.Helper()
	e = newEnv(t, o)
	b := e.bug()
	ticket = e.ticket(b.Key)
	e.Settle()
	if got := e.statusField(ticket); got != b.Key+": To Do" {
		t.Fatalf("settled ticket shows %q", got)
	}
	e.ResetLogs()
	return e, b.Key, ticket
}

// The simulators' signed deliveries are accepted, and only queue: the
// drain that follows reads the named items afresh and writes.
func TestValidDeliveries(t *testing.T) {
	e, key, ticket := linked(t, envOptions{})
	e.hookZendesk(zdSecret)
	e.hookJira(jiraSecret)
	if err := e.Jira.Transition(key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.Zendesk.AddTags(ticket, "vip")
	e.flush()
	for _, d := range e.Zendesk.Deliveries() {
		if d.Status != http.StatusAccepted {
			t.Fatalf("zendesk delivery answered %d (%s)", d.Status, d.Err)
		}
	}
	for _, d := range e.Jira.Deliveries() {
		if d.Status != http.StatusAccepted {
			t.Fatalf("jira delivery %s answered %d (%v)", d.Event, d.Status, d.Err)
		}
	}
	if got := fmt.Sprint(e.count.snapshot()); got != "map[jira accepted:1 zendesk accepted:1]" {
		t.Fatalf("deliveries %s", got)
	}
	if w := e.Writes(); len(w) != 0 {
		t.Fatalf("a delivery wrote to a vendor: %v", w)
	}
	if tk, bugs := e.backlog(); tk != 1 || bugs != 1 {
		t.Fatalf("backlog %d tickets, %d bugs; want one each", tk, bugs)
	}
	e.drain()
	if got := e.statusField(ticket); got != key+": In Progress" {
		t.Fatalf("ticket shows %q after the drain", got)
	}
}

// Deliveries that fail a check are refused, and queue nothing.
func TestRefusedDeliveries(t *testing.T) {
	tests := []struct {
		name   string
		opts   envOptions
		send   func(e *env, key string, ticket int64) int // status of the delivery
		status int
		result string
	}{
		{name: "zendesk bad signature", status: 401, result: "zendesk unauthorized",
			send: func(e *env, _ string, ticket int64) int {
				e.hookZendesk("not-the-secret")
				e.Zendesk.AddTags(ticket, "vip")
				return lastZendesk(e)
			}},
		{name: "zendesk old timestamp", status: 401, result: "zendesk bad_timestamp",
			send: func(e *env, _ string, ticket int64) int {
				e.Zendesk.SetNow(time.Now().Add(-6 * time.Minute))
				e.hookZendesk(zdSecret)
				e.Zendesk.AddTags(ticket, "vip")
				return lastZendesk(e)
			}},
		{name: "zendesk future timestamp", status: 401, result: "zendesk bad_timestamp",
			send: func(e *env, _ string, ticket int64) int {
				e.Zendesk.SetNow(time.Now().Add(6 * time.Minute))
				e.hookZendesk(zdSecret)
				e.Zendesk.AddTags(ticket, "vip")
				return lastZendesk(e)
			}},
		{name: "zendesk unsigned", status: 401, result: "zendesk unauthorized",
			send: func(e *env, _ string, ticket int64) int {
				return e.post(http.MethodPost, "/webhooks/zendesk", http.Header{"Content-Type": {"application/json"}},
					fmt.Appendf(nil, `{"ticket_id":"%d"}`, ticket))
			}},
		{name: "jira bad signature", status: 401, result: "jira unauthorized",
			send: func(e *env, key string, _ int64) int {
				e.hookJira("not-the-secret")
				return transition(e, key)
			}},
		{name: "jira unsigned", status: 401, result: "jira unauthorized",
			send: func(e *env, key string, _ int64) int {
				e.hookJira("")
				return transition(e, key)
			}},
		{name: "jira without a secret configured", opts: envOptions{noJiraKey: true}, status: 401, result: "jira unauthorized",
			send: func(e *env, key string, _ int64) int {
				e.hookJira(jiraSecret)
				return transition(e, key)
			}},
		{name: "oversized", opts: envOptions{maxBody: 256}, status: 413, result: "jira too_large",
			send: func(e *env, key string, _ int64) int {
				e.hookJira(jiraSecret)
				return transition(e, key)
			}},
		{name: "zendesk malformed JSON", status: 400, result: "zendesk malformed",
			send: func(e *env, _ string, _ int64) int {
				body := []byte(`{"ticket_id":`)
				ts := time.Now().UTC().Format(time.RFC3339)
				return e.post(http.MethodPost, "/webhooks/zendesk", http.Header{
					"X-Zendesk-Webhook-Signature-Timestamp": {ts},
					"X-Zendesk-Webhook-Signature":           {zendesktest.Signature(zdSecret, ts, body)},
				}, body)
			}},
		{name: "jira malformed JSON", status: 400, result: "jira malformed",
			send: func(e *env, _ string, _ int64) int {
				body := []byte(`{"webhookEvent":"jira:issue_updated","issue":`)
				return e.post(http.MethodPost, "/webhooks/jira", http.Header{"X-Hub-Signature": {jiratest.Sign(jiraSecret, body)}}, body)
			}},
		{name: "not a POST", status: 405, result: "zendesk method",
			send: func(e *env, _ string, _ int64) int {
				return e.post(http.MethodGet, "/webhooks/zendesk", nil, nil)
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, key, ticket := linked(t, tc.opts)
			if got := tc.send(e, key, ticket); got != tc.status {
				t.Fatalf("status %d, want %d", got, tc.status)
			}
			if got, want := fmt.Sprint(e.count.snapshot()), fmt.Sprintf("map[%s:1]", tc.result); got != want {
				t.Fatalf("deliveries %s, want %s", got, want)
			}
			if tk, bugs := e.backlog(); tk+bugs != 0 {
				t.Fatalf("a refused delivery queued %d tickets and %d bugs", tk, bugs)
			}
		})
	}
}

// lastZendesk flushes the Zendesk simulator's deliveries and returns the
// status of the last.
func lastZendesk(e *env) int {
	e.t.Helper()
	e.flush()
	ds := e.Zendesk.Deliveries()
	if len(ds) == 0 {
		e.t.Fatal("no zendesk delivery")
	}
	return ds[len(ds)-1].Status
}

// transition moves the bug and returns the status of its delivery.
func transition(e *env, key string) int {
	e.t.Helper()
	if err := e.Jira.Transition(key, "In Progress", jiratest.Engineer); err != nil {
		e.t.Fatal(err)
	}
	e.flush()
	ds := e.Jira.Deliveries()
	if len(ds) != 1 {
		e.t.Fatalf("%d jira deliveries, want 1", len(ds))
	}
	return ds[0].Status
}

// A delivery replayed as it was sent is answered 2xx and queues nothing
// more, even after the first was worked off.
func TestDuplicateDeliveries(t *testing.T) {
	e, key, ticket := linked(t, envOptions{})
	e.hookZendesk(zdSecret)
	e.hookJira(jiraSecret)
	if err := e.Jira.Transition(key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.Zendesk.AddTags(ticket, "vip")
	e.flush()
	zd, jr := e.lastSent("/webhooks/zendesk"), e.lastSent("/webhooks/jira")
	e.drain()
	e.flush()
	e.drain() // the echo of the engine's own write: read, found unchanged
	e.Zendesk.SetWebhook(zendesktest.Webhook{})
	e.count.reset()
	e.ResetLogs()
	for _, r := range []sentRequest{zd, jr, zd, jr} {
		if got := e.post(http.MethodPost, r.path, r.header, r.body); got != http.StatusOK {
			t.Fatalf("replay of %s answered %d, want 200", r.path, got)
		}
	}
	if got := fmt.Sprint(e.count.snapshot()); got != "map[jira duplicate:2 zendesk duplicate:2]" {
		t.Fatalf("deliveries %s", got)
	}
	if tk, bugs := e.backlog(); tk+bugs != 0 {
		t.Fatalf("replays queued %d tickets and %d bugs", tk, bugs)
	}
	if rep := e.drain(); rep.TicketsObserved+rep.BugsObserved+rep.Writes() != 0 {
		t.Fatalf("replays caused work: %+v", rep)
	}
}

// A flood of deliveries about one bug and one ticket collapses: one read
// of each, one reconcile, and exactly the writes one change needs.
func TestFloodCollapses(t *testing.T) {
	e, key, ticket := linked(t, envOptions{})
	e.hookZendesk(zdSecret)
	e.hookJira(jiraSecret)
	if err := e.Jira.Transition(key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	const flood = 40
	for i := range flood {
		if err := e.Jira.AddLabels(key, jiratest.Engineer, "triage-"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		e.Zendesk.AddTags(ticket, "seen-"+strconv.Itoa(i))
	}
	e.flush()
	if got, want := fmt.Sprint(e.count.snapshot()), fmt.Sprintf("map[jira accepted:%d zendesk accepted:%d]", flood+1, flood); got != want {
		t.Fatalf("deliveries %s, want %s", got, want)
	}
	if tk, bugs := e.backlog(); tk != 1 || bugs != 1 {
		t.Fatalf("backlog %d tickets, %d bugs; want the flood collapsed into one each", tk, bugs)
	}
	e.Zendesk.SetWebhook(zendesktest.Webhook{}) // count the engine's own writes only once
	e.ResetLogs()
	e.drain()
	if got := fmt.Sprint(e.Writes()); got != "map[zendesk PUT /api/v2/tickets/{id}:1]" {
		t.Fatalf("writes %s; want one update of the one ticket", got)
	}
	if got := fmt.Sprint(e.Jira.Counts()); got != "map[GET /rest/api/2/search/jql:1]" {
		t.Fatalf("jira requests %s; want one read of the bug", got)
	}
	if n := e.Zendesk.Count(http.MethodGet, "/api/v2/tickets/show_many"); n != 1 {
		t.Fatalf("%d ticket reads for the flood, want 1", n)
	}
	if got := e.statusField(ticket); got != key+": In Progress" {
		t.Fatalf("ticket shows %q", got)
	}
	if notes := privateNotes(e, ticket); notes != 1 {
		t.Fatalf("%d private notes, want 1", notes)
	}
}

func privateNotes(e *env, ticket int64) int {
	n := 0
	for _, c := range e.Zendesk.Comments(ticket) {
		if !c.Public {
			n++
		}
	}
	return n
}

// A replay whose headers are spelled differently but whose signed content
// is the same is still a duplicate: the Zendesk signature re-encoded (base64
// has several spellings of the same bytes), the Jira signature in upper-case
// hex, and the Jira delivery identifier, which nothing signs, changed,
// dropped or upper-cased.
func TestRespelledReplaysAreDuplicates(t *testing.T) {
	e, key, ticket := linked(t, envOptions{})
	e.hookZendesk(zdSecret)
	e.hookJira(jiraSecret)
	if err := e.Jira.Transition(key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.Zendesk.AddTags(ticket, "vip")
	e.flush()
	zd, jr := e.lastSent("/webhooks/zendesk"), e.lastSent("/webhooks/jira")
	e.drain()
	e.flush()
	e.drain() // the echo of the engine's own write
	e.Zendesk.SetWebhook(zendesktest.Webhook{})
	e.count.reset()
	e.ResetLogs()

	respell := func(r sentRequest, name string, edit func(h http.Header)) sentRequest {
		t.Helper()
		h := r.header.Clone()
		edit(h)
		if name != "" && fmt.Sprint(h[name]) == fmt.Sprint(r.header[name]) {
			t.Fatalf("%s was not respelled: %q", name, h.Get(name))
		}
		return sentRequest{path: r.path, header: h, body: r.body}
	}
	const zdSig, jiraSig, jiraID = "X-Zendesk-Webhook-Signature", "X-Hub-Signature", "X-Atlassian-Webhook-Identifier"
	replays := map[string]sentRequest{
		"zendesk signature re-encoded": respell(zd, zdSig, func(h http.Header) { h.Set(zdSig, reencode(t, h.Get(zdSig))) }),
		"jira signature in upper case": respell(jr, jiraSig, func(h http.Header) {
			h.Set(jiraSig, "sha256="+strings.ToUpper(strings.TrimPrefix(h.Get(jiraSig), "sha256=")))
		}),
		"jira identifier new":        respell(jr, jiraID, func(h http.Header) { h.Set(jiraID, "replayed-1") }),
		"jira identifier missing":    respell(jr, jiraID, func(h http.Header) { h.Del(jiraID) }),
		"jira identifier upper-case": respell(jr, jiraID, func(h http.Header) { h.Set(jiraID, strings.ToUpper(h.Get(jiraID))) }),
	}
	for name, r := range replays {
		if got := e.post(http.MethodPost, r.path, r.header, r.body); got != http.StatusOK {
			t.Errorf("%s: answered %d, want 200 (duplicate)", name, got)
		}
	}
	if got := fmt.Sprint(e.count.snapshot()); got != "map[jira duplicate:4 zendesk duplicate:1]" {
		t.Fatalf("deliveries %s", got)
	}
	if tk, bugs := e.backlog(); tk+bugs != 0 {
		t.Fatalf("replays queued %d tickets and %d bugs", tk, bugs)
	}
	if rep := e.drain(); rep.TicketsObserved+rep.BugsObserved+rep.Writes() != 0 {
		t.Fatalf("replays caused work: %+v", rep)
	}
	if n := len(e.Jira.Counts()); n != 0 {
		t.Fatalf("replays caused Jira requests: %v", e.Jira.Counts())
	}
}

// reencode spells sig's bytes differently: the last base64 digit of 32
// bytes carries 4 bits of data and 2 of padding, which a lenient decoder
// ignores.
func reencode(t *testing.T, sig string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(raw) != 32 || !strings.HasSuffix(sig, "=") {
		t.Fatalf("%q is not a base64 SHA-256 MAC", sig)
	}
	last := len(sig) - 2
	i := strings.IndexByte(alphabet, sig[last])
	out := sig[:last] + string(alphabet[i^1]) + "="
	if again, err := base64.StdEncoding.DecodeString(out); err != nil || !bytes.Equal(again, raw) {
		t.Fatalf("%q does not decode to the bytes of %q", out, sig)
	}
	return out
}

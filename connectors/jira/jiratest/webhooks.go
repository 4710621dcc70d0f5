package jiratest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
)

// Webhook is an admin webhook: Jira POSTs event payloads to URL, signed
// with Secret as X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>.
type Webhook struct {
	URL    string
	Secret string
	// Events limits delivery to these event names (jira:issue_created,
	// jira:issue_updated, jira:issue_deleted, comment_created,
	// jira:version_created, jira:version_released, jira:version_unreleased,
	// jira:version_updated); empty sends all.
	Events []string
	Client *http.Client // default http.DefaultClient
}

// Delivery is one webhook POST and its outcome.
type Delivery struct {
	Event      string
	Identifier string // X-Atlassian-Webhook-Identifier
	Body       []byte
	Status     int
	Err        error
}

type eventKind int

const (
	eventCreated eventKind = iota
	eventUpdated
	eventDeleted
	eventComment
)

// event is a rendered set of payloads, built under the site lock and sent
// after it is released (the receiver may call back into the site).
type event struct {
	payloads []payload
}

type payload struct {
	name string
	body []byte
}

// SetWebhook registers (or, with an empty URL, removes) the admin webhook.
func (s *Site) SetWebhook(h Webhook) { s.webhooks.set(h) }

// WaitWebhooks blocks until every queued delivery was attempted.
func (s *Site) WaitWebhooks() { s.webhooks.wait() }

// Deliveries returns the webhook deliveries attempted so far.
func (s *Site) Deliveries() []Delivery {
	s.webhooks.mu.Lock()
	defer s.webhooks.mu.Unlock()
	return slices.Clone(s.webhooks.done)
}

// issueEvent renders the webhook payloads for a change; nil when no webhook
// is registered. Payloads use the REST v2 shapes, as Jira's webhooks do.
func (s *Site) issueEvent(kind eventKind, is *issue, by string, h *history, c *comment) *event {
	if !s.webhooks.enabled() {
		return nil
	}
	v := s.webhookView()
	now := s.now()
	common := func(name, typeName string) map[string]any {
		m := map[string]any{
			"timestamp": now.UnixMilli(), "webhookEvent": name,
			"user":  v.user(s.data.users[by]),
			"issue": v.issue(s.data, is, parseFields(nil, "*navigable"), nil),
		}
		if typeName != "" {
			m["issue_event_type_name"] = typeName
		}
		return m
	}
	var ev event
	add := func(name string, m map[string]any) {
		body, _ := json.Marshal(m)
		ev.payloads = append(ev.payloads, payload{name, body})
	}
	switch kind {
	case eventCreated:
		add("jira:issue_created", common("jira:issue_created", "issue_created"))
	case eventDeleted:
		add("jira:issue_deleted", common("jira:issue_deleted", "issue_deleted"))
	case eventUpdated:
		m := common("jira:issue_updated", "issue_generic")
		if h != nil {
			hist := v.history(s.data, h)
			m["changelog"] = map[string]any{"id": hist["id"], "items": hist["items"]}
		}
		add("jira:issue_updated", m)
	case eventComment:
		cm := v.comment(s.data, is, c)
		m := common("jira:issue_updated", "issue_commented")
		m["comment"] = cm
		add("jira:issue_updated", m)
		add("comment_created", map[string]any{"timestamp": now.UnixMilli(), "webhookEvent": "comment_created",
			"comment": cm, "issue": v.issue(s.data, is, parseFields([]string{"summary,status,priority,issuetype,project"}, ""), nil)})
	}
	return &ev
}

// webhookView renders payloads in the REST v2 shapes, as Jira's webhooks do.
func (s *Site) webhookView() view {
	base := s.cfg.baseURL
	if base == "" {
		base = "http://jira.invalid"
	}
	return view{base: base, version: "2", dc: s.cfg.deployment == DataCenter}
}

// webhooks delivers payloads in order from one background goroutine.
type webhooks struct {
	mu   sync.Mutex
	idle *sync.Cond
	hook Webhook
	seq  int
	todo []payload
	busy bool
	done []Delivery
}

func newWebhooks() *webhooks {
	w := &webhooks{}
	w.idle = sync.NewCond(&w.mu)
	return w
}

func (w *webhooks) set(h Webhook) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.hook = h
}

func (w *webhooks) enabled() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hook.URL != ""
}

func (w *webhooks) send(ev *event) {
	if ev == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range ev.payloads {
		if len(w.hook.Events) == 0 || slices.Contains(w.hook.Events, p.name) {
			w.todo = append(w.todo, p)
		}
	}
	if !w.busy && len(w.todo) > 0 {
		w.busy = true
		go w.run()
	}
}

func (w *webhooks) run() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.todo) > 0 {
		p := w.todo[0]
		w.todo = w.todo[1:]
		w.seq++
		hook, id := w.hook, fmt.Sprintf("jiratest-%d", w.seq)
		w.mu.Unlock()
		d := deliver(hook, id, p)
		w.mu.Lock()
		w.done = append(w.done, d)
	}
	w.busy = false
	w.idle.Broadcast()
}

func (w *webhooks) wait() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.busy {
		w.idle.Wait()
	}
}

func (w *webhooks) close() { w.wait() }

// Sign returns the X-Hub-Signature value Jira sends for body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func deliver(h Webhook, id string, p payload) Delivery {
	d := Delivery{Event: p.name, Identifier: id, Body: p.body}
	req, err := http.NewRequest(http.MethodPost, h.URL, bytes.NewReader(p.body))
	if err != nil {
		d.Err = err
		return d
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Atlassian Webhook HTTP Client")
	req.Header.Set("X-Atlassian-Webhook-Identifier", id)
	if h.Secret != "" {
		req.Header.Set("X-Hub-Signature", Sign(h.Secret, p.body))
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		d.Err = err
		return d
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	d.Status = resp.StatusCode
	return d
}

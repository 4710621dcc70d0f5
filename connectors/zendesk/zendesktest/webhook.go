package zendesktest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Webhook is a Zendesk webhook fed by a trigger on every ticket change. Its
// body is the JSON the README tells users to configure in the trigger:
//
//	{"ticket_id":"{{ticket.id}}","updated_at":"{{ticket.updated_at_with_timestamp}}","status":"{{ticket.status}}"}
//
// and it is signed as Zendesk signs [ZD-WHV]: X-Zendesk-Webhook-Signature =
// base64(HMAC-SHA256(secret, timestamp + body)).
type Webhook struct {
	URL    string
	Secret string
	ID     string       // X-Zendesk-Webhook-Id; a fixed id when empty
	Client *http.Client // nil: a client with a 10s timeout
}

// Delivery is one webhook request sent and its outcome.
type Delivery struct {
	TicketID int64
	Body     []byte
	Status   int    // 0 when the request failed
	Err      string // transport error, if any
}

// Signature is Zendesk's webhook signature of body sent at timestamp (the
// X-Zendesk-Webhook-Signature-Timestamp value) with the signing secret.
func Signature(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SetWebhook starts (or, with a zero Webhook, stops) webhook deliveries.
func (s *Server) SetWebhook(h Webhook) { s.hooks.set(h) }

// Deliveries returns the webhook requests sent so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return slices.Clone(s.hooks.done)
}

// FlushWebhooks waits until every queued webhook has been delivered.
func (s *Server) FlushWebhooks(ctx context.Context) error {
	for {
		s.hooks.mu.Lock()
		idle := len(s.hooks.queue) == 0 && !s.hooks.busy
		s.hooks.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

type webhooks struct {
	srv    *Server
	mu     sync.Mutex
	hook   Webhook
	queue  []event
	busy   bool
	done   []Delivery
	signal chan struct{}
}

type event struct {
	ticketID  int64
	status    string
	updatedAt time.Time
}

func newWebhooks(s *Server) *webhooks {
	return &webhooks{srv: s, signal: make(chan struct{}, 1)}
}

func (h *webhooks) set(hook Webhook) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if hook.ID == "" {
		hook.ID = "01HZSIMULATEDWEBHOOK000000"
	}
	if hook.Client == nil {
		hook.Client = &http.Client{Timeout: 10 * time.Second}
	}
	h.hook = hook
}

// enqueue is called with the server's lock held; it never blocks.
func (h *webhooks) enqueue(id int64, status string, updatedAt time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hook.URL == "" {
		return
	}
	h.queue = append(h.queue, event{id, status, updatedAt})
	select {
	case h.signal <- struct{}{}:
	default:
	}
}

func (h *webhooks) run() {
	defer h.srv.workers.Done()
	for {
		select {
		case <-h.srv.closing:
			return
		case <-h.signal:
		}
		for {
			h.mu.Lock()
			if len(h.queue) == 0 {
				h.mu.Unlock()
				break
			}
			ev, hook := h.queue[0], h.hook
			h.queue = h.queue[1:]
			h.busy = true
			h.mu.Unlock()
			d := h.deliver(hook, ev)
			h.mu.Lock()
			h.done = append(h.done, d)
			h.busy = false
			h.mu.Unlock()
		}
	}
}

func (h *webhooks) deliver(hook Webhook, ev event) Delivery {
	body, _ := json.Marshal(map[string]string{
		"ticket_id":  strconv.FormatInt(ev.ticketID, 10),
		"updated_at": stamp(ev.updatedAt),
		"status":     ev.status,
	})
	d := Delivery{TicketID: ev.ticketID, Body: body}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-h.srv.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(body))
	if err != nil {
		d.Err = err.Error()
		return d
	}
	ts := stamp(h.srv.Now())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Zendesk Webhook")
	req.Header.Set("X-Zendesk-Webhook-Id", hook.ID)
	req.Header.Set("X-Zendesk-Webhook-Signature-Timestamp", ts)
	req.Header.Set("X-Zendesk-Webhook-Signature", Signature(hook.Secret, ts, body))
	resp, err := hook.Client.Do(req)
	if err != nil {
		d.Err = err.Error()
		return d
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	d.Status = resp.StatusCode
	return d
}

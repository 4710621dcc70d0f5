package webhook_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
)

// A change in either simulator reaches the other within seconds through a
// webhook, with no poll in between: the delivery lands on replica B, whose
// notice wakes replica A's running engine, which reads the named item
// afresh and writes.
func TestEndToEnd(t *testing.T) {
	e, key, first := linked(t, envOptions{backstop: time.Hour})
	ctx, cancel := context.WithCancel(e.Ctx)
	done := make(chan error, 2)
	go func() { done <- e.Service.Webhooks.Run(ctx) }()
	go func() { done <- e.Service.Engine.Run(ctx) }()
	defer func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}()
	// Run's first step is a poll; wait for it (and the wake-up
	// subscription) before counting.
	waitFor(t, "the first poll", func() bool { return e.Zendesk.Count(http.MethodGet, "/api/v2/incremental/tickets/cursor") > 0 })
	time.Sleep(50 * time.Millisecond)
	e.ResetLogs()

	b := e.replica()
	e.Zendesk.SetWebhook(zendesktest.Webhook{URL: b + "/webhooks/zendesk", Secret: zdSecret})
	e.Jira.SetWebhook(jiratest.Webhook{URL: b + "/webhooks/jira", Secret: jiraSecret, Events: []string{"jira:issue_updated"}})

	// An agent links a second customer's ticket: the bug counts two.
	start := time.Now()
	second := e.ticket(key)
	waitFor(t, "the bug's customer count", func() bool { return e.customers(key) == 2 })
	t.Logf("ticket linked → customer count written in %s", time.Since(start).Round(time.Millisecond))

	// An engineer starts work on the bug: both tickets show it.
	start = time.Now()
	if err := e.Jira.Transition(key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the tickets' bug status", func() bool {
		return e.statusField(first) == key+": In Progress" && e.statusField(second) == key+": In Progress"
	})
	t.Logf("bug moved → ticket status written in %s", time.Since(start).Round(time.Millisecond))

	if n := e.Zendesk.Count(http.MethodGet, "/api/v2/incremental/tickets/cursor"); n != 0 {
		t.Fatalf("%d polls; webhooks alone should have carried the changes", n)
	}
	if d := e.Service.Webhooks.PollInterval(e.Ctx); d != time.Hour {
		t.Fatalf("poll interval %s while both vendors deliver; want the backstop", d)
	}
}

// Polling is the backstop only while both vendors deliver.
func TestPollInterval(t *testing.T) {
	e, key, ticket := linked(t, envOptions{backstop: 10 * time.Minute})
	if d := e.Service.Webhooks.PollInterval(e.Ctx); d != 0 {
		t.Fatalf("poll interval %s before any delivery; want 0 (the engine's own)", d)
	}
	e.hookZendesk(zdSecret)
	e.Zendesk.AddTags(ticket, "vip")
	e.flush()
	if d := e.Service.Webhooks.PollInterval(e.Ctx); d != 0 {
		t.Fatalf("poll interval %s with Zendesk alone delivering; want 0", d)
	}
	e.hookJira(jiraSecret)
	if err := e.Jira.Transition(key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.flush()
	if d := e.Service.Webhooks.PollInterval(e.Ctx); d != 10*time.Minute {
		t.Fatalf("poll interval %s with both delivering; want the 10m backstop", d)
	}
}

// waitFor polls cond until it holds, failing after 10s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
	}
}

// Run wakes once when subscribed (a notice missed while down is made up
// for), once per accepted delivery, not for a refused one, and stops when
// its context ends.
func TestRunWakes(t *testing.T) {
	e, _, ticket := linked(t, envOptions{})
	ctx, cancel := context.WithCancel(e.Ctx)
	done := make(chan error, 1)
	go func() { done <- e.Service.Webhooks.Run(ctx) }()
	woken := func() bool {
		select {
		case <-e.Service.Webhooks.Wake():
			return true
		case <-time.After(10 * time.Second):
			return false
		}
	}
	if !woken() {
		t.Fatal("no wake-up on subscribing")
	}
	e.hookZendesk("not-the-secret")
	e.Zendesk.AddTags(ticket, "a")
	e.flush()
	e.hookZendesk(zdSecret)
	e.Zendesk.AddTags(ticket, "b")
	e.flush()
	if !woken() {
		t.Fatal("no wake-up after an accepted delivery")
	}
	select {
	case <-e.Service.Webhooks.Wake():
		t.Fatal("woken twice: the refused delivery woke too")
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

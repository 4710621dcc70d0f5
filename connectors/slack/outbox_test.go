package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack/slacktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

type rig struct {
	box  *Outbox
	srv  *slacktest.Server
	clk  *clocktest.Manual
	hook *Client
}

func newRig(t *testing.T) rig {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	clk := clocktest.NewManual(t0)
	srv := slacktest.New(t)
	// One attempt per Post: the Sender reschedules, so no test waits.
	hook, err := NewClient(srv.WebhookURL(), ClientOptions{Name: "ops", Clock: clk, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return rig{box: NewOutbox(rdb, prefix, clk, time.Hour), srv: srv, clk: clk, hook: hook}
}

func (r rig) sender(policy Interrupted) *Sender {
	return NewSender(r.box, SenderOptions{Webhooks: map[string]Poster{"ops": r.hook}, Clock: r.clk,
		Interrupted: policy, Budget: time.Minute, MaxAttempts: 3, RetryDelay: 10 * time.Second})
}

// drain sends until nothing is due.
func drain(t *testing.T, s *Sender) {
	t.Helper()
	for range 1000 {
		if err := s.Next(context.Background()); errors.Is(err, ErrNothingDue) {
			return
		}
	}
	t.Fatal("the outbox never ran dry")
}

func event(id string) Event {
	return Event{ID: id, Webhook: "ops", Message: Message{Text: "notice " + id, Blocks: []Block{section("notice " + id)}}}
}

func (r rig) state(t *testing.T, id string) Status {
	t.Helper()
	s, err := r.box.Status(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEnqueueIsIdempotent(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	for i, want := range []bool{true, false, false} {
		e := event("raised:P-1:High")
		e.Message.Text = fmt.Sprint("version ", i) // a later copy does not replace the first
		if got, err := r.box.Enqueue(ctx, e); err != nil || got != want {
			t.Fatalf("Enqueue #%d = %v, %v; want %v", i, got, err, want)
		}
	}
	drain(t, r.sender(ResendInterrupted))
	// Delivered: enqueueing the id again is still a no-op.
	if got, err := r.box.Enqueue(ctx, event("raised:P-1:High")); err != nil || got {
		t.Fatalf("Enqueue after delivery = %v, %v", got, err)
	}
	drain(t, r.sender(ResendInterrupted))
	if m := r.srv.Messages(); len(m) != 1 || m[0].Text != "version 0" {
		t.Fatalf("Slack got %+v, want the first version once", m)
	}
	if s := r.state(t, "raised:P-1:High"); s.State != "done" {
		t.Fatalf("state %+v", s)
	}
}

func TestEnqueueRefusesBadEvents(t *testing.T) {
	r := newRig(t)
	for _, e := range []Event{{Webhook: "ops"}, {ID: strings.Repeat("x", maxID+1), Webhook: "ops"}, {ID: "x"}} {
		if _, err := r.box.Enqueue(context.Background(), e); err == nil {
			t.Errorf("Enqueue(%.20q, webhook %q) accepted", e.ID, e.Webhook)
		}
	}
}

// A sender killed at each point of its work: the next sender (after the
// lease) delivers every event exactly once, except in the documented
// window, where the policy decides.
func TestKilledSender(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		policy   Interrupted
		kill     func(t *testing.T, r rig, c claim) // what the dying sender got done
		messages int
		repeat   bool
		state    string
	}{
		{"after the claim", ResendInterrupted, func(t *testing.T, r rig, c claim) {}, 1, false, "done"},
		{"after begin, before the post reached Slack", ResendInterrupted, func(t *testing.T, r rig, c claim) {
			must(t, r.box.begin(ctx, c, 90*time.Second))
		}, 1, true, "done"},
		{"between send and mark, resend policy", ResendInterrupted, func(t *testing.T, r rig, c claim) {
			must(t, r.box.begin(ctx, c, 90*time.Second))
			must(t, r.hook.Post(ctx, c.message))
		}, 2, true, "done"},
		{"between send and mark, drop policy", DropInterrupted, func(t *testing.T, r rig, c claim) {
			must(t, r.box.begin(ctx, c, 90*time.Second))
			must(t, r.hook.Post(ctx, c.message))
		}, 1, false, "uncertain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			if _, err := r.box.Enqueue(ctx, event("e1")); err != nil {
				t.Fatal(err)
			}
			c, err := r.box.claim(ctx, 90*time.Second)
			must(t, err)
			tc.kill(t, r, c)
			// Within the lease, no one else takes it.
			next := r.sender(tc.policy)
			drain(t, next)
			if got := r.srv.Posts(); got > 1 {
				t.Fatalf("another sender posted during the lease (%d posts)", got)
			}
			r.clk.Advance(91 * time.Second)
			drain(t, next)
			msgs := r.srv.Messages()
			if len(msgs) != tc.messages {
				t.Fatalf("Slack got %d messages, want %d", len(msgs), tc.messages)
			}
			last := msgs[len(msgs)-1]
			hasNote := len(last.Blocks) > 0 && strings.Contains(fmt.Sprint(last.Blocks[len(last.Blocks)-1].Elements), "Possibly a repeat")
			if hasNote != tc.repeat {
				t.Errorf("repeat note %v, want %v", hasNote, tc.repeat)
			}
			if s := r.state(t, "e1"); s.State != tc.state {
				t.Errorf("state %+v, want %s", s, tc.state)
			}
			// The dead sender's late bookkeeping changes nothing.
			if err := r.box.finish(ctx, c, "done", ""); !errors.Is(err, errLeaseLost) {
				t.Errorf("a stale token finished the event: %v", err)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Two senders (two replicas) on one outbox post every event exactly once.
func TestTwoSendersDeliverEachEventOnce(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	const n = 60
	for i := range n {
		if _, err := r.box.Enqueue(ctx, event(fmt.Sprint("ev-", i))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 2 {
		s := r.sender(ResendInterrupted)
		wg.Go(func() { drain(t, s) })
	}
	wg.Wait()
	seen := map[string]int{}
	for _, m := range r.srv.Messages() {
		seen[m.Text]++
	}
	if len(seen) != n || r.srv.Posts() != n {
		t.Fatalf("%d distinct of %d posts, want %d", len(seen), r.srv.Posts(), n)
	}
	for text, k := range seen {
		if k != 1 {
			t.Errorf("%q posted %d times", text, k)
		}
	}
}

func TestSenderReschedulesAndGivesUp(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	s := r.sender(ResendInterrupted)
	must(t, func() error { _, err := r.box.Enqueue(ctx, event("throttled")); return err }())
	r.srv.Then(slacktest.Reply{Status: 429, RetryAfter: 120}, slacktest.Reply{Status: 500})
	drain(t, s)
	if st := r.state(t, "throttled"); st.State != "pending" || st.Attempts != 1 || !strings.Contains(st.LastError, "429") {
		t.Fatalf("after a 429: %+v", st)
	}
	r.clk.Advance(119 * time.Second)
	drain(t, s)
	if r.srv.Posts() != 1 {
		t.Fatal("retried before Retry-After")
	}
	r.clk.Advance(time.Second)
	drain(t, s) // the 500: backoff 10s·2
	r.clk.Advance(20 * time.Second)
	drain(t, s)
	if st := r.state(t, "throttled"); st.State != "done" || len(r.srv.Messages()) != 1 {
		t.Fatalf("after the retries: %+v, %d messages", st, len(r.srv.Messages()))
	}

	must(t, func() error { _, err := r.box.Enqueue(ctx, event("archived")); return err }())
	r.srv.Then(slacktest.Reply{Status: 410, Body: "channel_is_archived"})
	drain(t, s)
	if st := r.state(t, "archived"); st.State != "failed" || !strings.Contains(st.LastError, "channel_is_archived") {
		t.Fatalf("a permanent error: %+v", st)
	}

	must(t, func() error {
		_, err := r.box.Enqueue(ctx, Event{ID: "nowhere", Webhook: "gone", Message: note})
		return err
	}())
	drain(t, s)
	if st := r.state(t, "nowhere"); st.State != "failed" || !strings.Contains(st.LastError, "gone") {
		t.Fatalf("an unknown webhook: %+v", st)
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	must(t, func() error { _, err := r.box.Enqueue(ctx, event("e")); return err }())
	done := make(chan struct{})
	go func() { r.sender(ResendInterrupted).Run(ctx); close(done) }()
	deadline := time.Now().Add(time.Minute)
	for r.state(t, "e").State != "done" {
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("the sender did not deliver the event within a minute")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return within a minute of its context ending")
	}
}

func TestOutboxLimitAndOutcomes(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	r.box.Limit(2)
	for _, id := range []string{"a", "b"} {
		must(t, func() error { _, err := r.box.Enqueue(ctx, event(id)); return err }())
	}
	if _, err := r.box.Enqueue(ctx, event("c")); !errors.Is(err, ErrFull) {
		t.Fatalf("a third event with a limit of 2: %v, want ErrFull", err)
	}
	if fresh, err := r.box.Enqueue(ctx, event("a")); err != nil || fresh {
		t.Fatalf("a known event when full: fresh %v, %v; want a quiet no-op", fresh, err)
	}
	var mu sync.Mutex
	outcomes := map[string]int{}
	s := NewSender(r.box, SenderOptions{Webhooks: map[string]Poster{"ops": r.hook}, Clock: r.clk, Budget: time.Minute,
		Outcome: func(o string) { mu.Lock(); outcomes[o]++; mu.Unlock() }})
	r.srv.Then(slacktest.Reply{Status: 500})
	drain(t, s)
	r.clk.Advance(time.Hour)
	drain(t, s)
	if outcomes["sent"] != 2 || outcomes["retried"] != 1 {
		t.Errorf("outcomes = %v, want 2 sent, 1 retried", outcomes)
	}
	must(t, func() error { _, err := r.box.Enqueue(ctx, event("c")); return err }())
}

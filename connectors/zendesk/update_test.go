package zendesk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func ptr[T any](v T) *T { return &v }

func TestUpdateTicketsBatch(t *testing.T) {
	srv, c := newPair(t, nil)
	srv.CreateTicket(zendesktest.Ticket{ID: 1, Status: "open", Tags: []string{"keep", "bug_open"}})
	srv.CreateTicket(zendesktest.Ticket{ID: 2, Status: "solved",
		CustomFields: []zendesktest.CustomField{{ID: statusField, Value: "Open"}}})
	srv.CreateTicket(zendesktest.Ticket{ID: 3, Status: "open"})

	res, err := c.UpdateTickets(context.Background(), []engine.TicketUpdate{
		{ID: 1, StatusField: ptr("In Progress"), AddTags: []string{"bug_in_progress"}, RemoveTags: []string{"bug_open"},
			Note: "PROJ-1 is in progress [hs:1]"},
		{ID: 2, StatusField: ptr("Fixed"), Reopen: true},
		{ID: 3, StatusField: ptr("")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("ticket %d: %v", r.ID, r.Err)
		}
	}
	if n := srv.Count("PUT", "/api/v2/tickets/update_many"); n != 1 {
		t.Fatalf("%d update_many requests, want 1", n)
	}
	if n := srv.Count("PUT", "/api/v2/tickets/{id}"); n != 0 {
		t.Fatalf("%d single updates, want 0", n)
	}

	t1, _ := srv.Ticket(1)
	if !t1.HasTag("keep") || !t1.HasTag("bug_in_progress") || t1.HasTag("bug_open") || t1.Field(statusField) != "In Progress" {
		t.Errorf("ticket 1 = %+v", t1)
	}
	notes := srv.Comments(1)
	if len(notes) != 1 || notes[0].Public || notes[0].AuthorID != noteAuthor || notes[0].Body != "PROJ-1 is in progress [hs:1]" {
		t.Errorf("ticket 1 comments = %+v", notes)
	}
	t2, _ := srv.Ticket(2)
	if t2.Status != "open" || t2.Field(statusField) != "Fixed" || len(srv.Comments(2)) != 0 {
		t.Errorf("ticket 2 = %+v", t2)
	}
	if t3, _ := srv.Ticket(3); t3.Field(statusField) != nil {
		t.Errorf("ticket 3 status field = %v, want cleared", t3.Field(statusField))
	}
}

func TestUpdateTicketsJobResults(t *testing.T) {
	srv, c := newPair(t, nil)
	srv.CreateTicket(zendesktest.Ticket{ID: 1, Status: "open"})
	srv.CreateTicket(zendesktest.Ticket{ID: 2, Status: "closed"})
	srv.CreateTicket(zendesktest.Ticket{ID: 3, Status: "open"})

	res, err := c.UpdateTickets(context.Background(), []engine.TicketUpdate{
		{ID: 1, AddTags: []string{"a"}},
		{ID: 2, AddTags: []string{"a"}},
		{ID: 404, AddTags: []string{"a"}},
		{ID: 3, AddTags: []string{"a"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]error{1: nil, 2: engine.ErrPermanent, 404: engine.ErrNotFound, 3: nil}
	for _, r := range res {
		if (r.Err == nil) != (want[r.ID] == nil) || (want[r.ID] != nil && !errors.Is(r.Err, want[r.ID])) {
			t.Errorf("ticket %d: %v, want %v", r.ID, r.Err, want[r.ID])
		}
	}
	if msg := res[1].Err.Error(); !strings.Contains(msg, "ticket 2") || !strings.Contains(msg, "closed prevents ticket update") {
		t.Errorf("closed ticket message %q", msg)
	}
	if msg := res[2].Err.Error(); !strings.Contains(msg, "ticket 404") {
		t.Errorf("missing ticket message %q", msg)
	}
	if tk, _ := srv.Ticket(3); !tk.HasTag("a") {
		t.Errorf("ticket 3 after a failure earlier in the batch: %+v", tk)
	}
}

func TestUpdateTicketsFailedJobsAreRetryable(t *testing.T) {
	for _, status := range []string{"failed", "killed"} {
		t.Run(status, func(t *testing.T) {
			srv, c := newPair(t, nil)
			srv.CreateTicket(zendesktest.Ticket{ID: 1})
			srv.CreateTicket(zendesktest.Ticket{ID: 2})
			srv.FailNextJobs(1, status)
			res, err := c.UpdateTickets(context.Background(), []engine.TicketUpdate{
				{ID: 1, AddTags: []string{"x"}}, {ID: 2, AddTags: []string{"x"}}})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Err == nil || errors.Is(r.Err, engine.ErrPermanent) || errors.Is(r.Err, engine.ErrNotFound) {
					t.Fatalf("ticket %d: %v, want a retryable error", r.ID, r.Err)
				}
				if !strings.Contains(r.Err.Error(), "job "+status) || !strings.Contains(r.Err.Error(), "1,2") {
					t.Fatalf("message %q", r.Err)
				}
			}
		})
	}
}

// fakePace follows jobs without waiting: a sleep moves its time on.
type fakePace struct {
	mu      sync.Mutex
	now     time.Time
	sleeps  []time.Duration
	onSleep func(n int) // called with the sleep's number, from 1
}

func (p *fakePace) Now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now
}

func (p *fakePace) Sleep(ctx context.Context, d time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err := ctx.Err() // as the sleep starts: onSleep may end ctx during it
	p.now = p.now.Add(d)
	p.sleeps = append(p.sleeps, d)
	if p.onSleep != nil {
		p.onSleep(len(p.sleeps))
	}
	return err
}

// withFakePace follows jobs on a fake clock: JobPoll 1s and JobTimeout 1m
// of it take no real time (a minute of real time bounds the test).
func withFakePace(t *testing.T, c *Client) *fakePace {
	t.Helper()
	p := &fakePace{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	c.pace, c.jobPoll, c.jobTimeout = p, time.Second, time.Minute
	return p
}

func TestUpdateTicketsJobNeverFinishes(t *testing.T) {
	srv, c := newPair(t, nil, zendesktest.WithJobDelay(time.Hour))
	pace := withFakePace(t, c)
	srv.CreateTicket(zendesktest.Ticket{ID: 1})
	res, err := c.UpdateTickets(context.Background(), []engine.TicketUpdate{{ID: 1, AddTags: []string{"x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "not finished after 1m0s") || errors.Is(res[0].Err, engine.ErrPermanent) {
		t.Fatalf("result %v, want a retryable timeout failure", res[0].Err)
	}
	// Waits of 1, 2, 4 and then 8 s up to the minute, a poll after each.
	want := []time.Duration{1, 2, 4, 8, 8, 8, 8, 8, 8, 5}
	for i := range want {
		want[i] *= time.Second
	}
	if fmt.Sprint(pace.sleeps) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v", pace.sleeps, want)
	}
	if n := srv.Count("GET", "/api/v2/job_statuses/{id}"); n != len(want) {
		t.Fatalf("job polled %d times, want %d", n, len(want))
	}
}

func TestUpdateTicketsJobStatusUnreadable(t *testing.T) {
	srv, c := newPair(t, nil)
	withFakePace(t, c)
	srv.CreateTicket(zendesktest.Ticket{ID: 1})
	// Every read of the job status fails: the ticket must not be reported
	// written, and the failure names the vendor's last answer.
	srv.Inject(zendesktest.Fault{Path: "/api/v2/job_statuses/{id}", Status: 502, Times: 1000})
	res, _ := c.UpdateTickets(context.Background(), []engine.TicketUpdate{{ID: 1, AddTags: []string{"x"}}})
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "not finished after 1m0s") ||
		!strings.Contains(res[0].Err.Error(), "HTTP 502") {
		t.Fatalf("result %v, want a timeout naming the last error", res[0].Err)
	}
}

func TestUpdateTicketsJobFollowingEndsWithTheContext(t *testing.T) {
	srv, c := newPair(t, nil)
	pace := withFakePace(t, c)
	srv.CreateTicket(zendesktest.Ticket{ID: 1})
	srv.Inject(zendesktest.Fault{Path: "/api/v2/job_statuses/{id}", Status: 502, Times: 1000})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The context ends during the third wait, after two polls: the third
	// poll fails for it, and the next wait ends following.
	pace.onSleep = func(n int) {
		if n == 3 {
			cancel()
		}
	}
	res, _ := c.UpdateTickets(ctx, []engine.TicketUpdate{{ID: 1, AddTags: []string{"x"}}})
	if !errors.Is(res[0].Err, context.Canceled) || !strings.Contains(res[0].Err.Error(), "HTTP 502") {
		t.Fatalf("result %v, want the cancellation and the vendor's last answer", res[0].Err)
	}
	if n := srv.Count("GET", "/api/v2/job_statuses/{id}"); n != 2 {
		t.Errorf("job polled %d times, want 2", n)
	}
}

func TestUpdateTicketsChunksOf100(t *testing.T) {
	srv, c := newPair(t, nil)
	var updates []engine.TicketUpdate
	for i := int64(1); i <= 250; i++ {
		srv.CreateTicket(zendesktest.Ticket{ID: i})
		updates = append(updates, engine.TicketUpdate{ID: i, AddTags: []string{"bug_fixed"}})
	}
	res, err := c.UpdateTickets(context.Background(), updates)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("ticket %d: %v", r.ID, r.Err)
		}
	}
	if n := srv.Count("PUT", "/api/v2/tickets/update_many"); n != 3 {
		t.Fatalf("%d update_many requests, want 3", n)
	}
	// Three jobs are followed together through show_many.
	if n := srv.Count("GET", "/api/v2/job_statuses/show_many"); n == 0 {
		t.Fatal("jobs not followed with show_many")
	}
	for i := int64(1); i <= 250; i++ {
		if tk, _ := srv.Ticket(i); !tk.HasTag("bug_fixed") {
			t.Fatalf("ticket %d not updated", i)
		}
	}
}

func TestUpdateTicketsSafeUpdate(t *testing.T) {
	srv, c := newPair(t, nil)
	tk := srv.CreateTicket(zendesktest.Ticket{ID: 1, Status: "open"})
	read := tk.UpdatedAt
	srv.AddTags(1, "agent_was_here") // the ticket changes after it was read

	res, _ := c.UpdateTickets(context.Background(), []engine.TicketUpdate{{ID: 1, AddTags: []string{"x"}, UpdatedStamp: read}})
	if !errors.Is(res[0].Err, engine.ErrConflict) || !strings.Contains(res[0].Err.Error(), "ticket 1") ||
		!strings.Contains(res[0].Err.Error(), "HTTP 409") {
		t.Fatalf("stale stamp: %v", res[0].Err)
	}
	if now, _ := srv.Ticket(1); now.HasTag("x") {
		t.Fatal("stale safe update was applied")
	}

	fresh, _ := srv.Ticket(1)
	res, _ = c.UpdateTickets(context.Background(), []engine.TicketUpdate{
		{ID: 1, AddTags: []string{"x"}, Note: "hello", UpdatedStamp: fresh.UpdatedAt}})
	if res[0].Err != nil {
		t.Fatalf("fresh stamp: %v", res[0].Err)
	}
	if now, _ := srv.Ticket(1); !now.HasTag("x") || !now.HasTag("agent_was_here") {
		t.Fatalf("after safe update: %+v", now)
	}
	if n := srv.Count("PUT", "/api/v2/tickets/{id}"); n != 2 {
		t.Fatalf("%d single updates, want 2", n)
	}
	if n := srv.Count("PUT", "/api/v2/tickets/update_many"); n != 0 {
		t.Fatalf("%d update_many for stamped updates", n)
	}
}

func TestUpdateTicketsStatusFieldNeedsConfig(t *testing.T) {
	srv, c := newPair(t, func(o *Options) { o.StatusFieldID = 0 })
	res, _ := c.UpdateTickets(context.Background(), []engine.TicketUpdate{{ID: 1, StatusField: ptr("Fixed")}})
	if !errors.Is(res[0].Err, engine.ErrPermanent) || !strings.Contains(res[0].Err.Error(), "StatusFieldID") {
		t.Fatalf("result %v", res[0].Err)
	}
	if len(srv.Requests()) != 0 {
		t.Fatal("request sent for an update that cannot be expressed")
	}
}

func TestUpdateTicketsSubmitFailure(t *testing.T) {
	srv, c := newPair(t, nil)
	srv.CreateTicket(zendesktest.Ticket{ID: 1})
	srv.Inject(zendesktest.Fault{Method: "PUT", Path: "/api/v2/tickets/update_many", Status: 500})
	res, _ := c.UpdateTickets(context.Background(), []engine.TicketUpdate{{ID: 1, AddTags: []string{"x"}}})
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "update tickets 1: HTTP 500") {
		t.Fatalf("result %v", res[0].Err)
	}
}

// TestUpdateTicketsStatusAndAssignee checks the status automation's fields
// on the wire: status and assignment go in a batch, a pointer to 0
// unassigns (assignee_id null), and a conditional one goes through
// safe_update; the read back shows what was written.
func TestUpdateTicketsStatusAndAssignee(t *testing.T) {
	srv, c := newPair(t, nil)
	agent := srv.AddUser(zendesktest.User{Name: "Agent", Email: "agent@example.com", Role: "agent"})
	srv.CreateTicket(zendesktest.Ticket{ID: 1, Status: "open", AssigneeID: zendesktest.DefaultUserID, GroupID: 5})
	srv.CreateTicket(zendesktest.Ticket{ID: 2, Status: "hold", AssigneeID: zendesktest.DefaultUserID, GroupID: 5})
	tk3 := srv.CreateTicket(zendesktest.Ticket{ID: 3, Status: "hold", GroupID: 5})

	res, err := c.UpdateTickets(context.Background(), []engine.TicketUpdate{
		{ID: 1, Status: engine.StatusHold},
		{ID: 2, Status: engine.StatusOpen, AssigneeID: ptr(int64(0)), GroupID: ptr(int64(7))},
		{ID: 3, Status: engine.StatusOpen, AssigneeID: ptr(agent.ID), UpdatedStamp: tk3.UpdatedAt},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("ticket %d: %v", r.ID, r.Err)
		}
	}
	if n := srv.Count("PUT", "/api/v2/tickets/update_many"); n != 1 {
		t.Errorf("%d update_many requests, want 1", n)
	}
	got, err := c.Tickets(context.Background(), []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64][3]any{
		1: {engine.StatusHold, zendesktest.DefaultUserID, int64(5)},
		2: {engine.StatusOpen, int64(0), int64(7)},
		3: {engine.StatusOpen, agent.ID, int64(5)},
	}
	for _, tk := range got {
		if w := want[tk.ID]; tk.Status != w[0] || tk.AssigneeID != w[1] || tk.GroupID != w[2] {
			t.Errorf("ticket %d: status %s, assignee %d, group %d; want %v", tk.ID, tk.Status, tk.AssigneeID, tk.GroupID, w)
		}
	}

	// An end user cannot be assigned: a refusal, not retried.
	res, _ = c.UpdateTickets(context.Background(), []engine.TicketUpdate{{ID: 1, AssigneeID: ptr(int64(999))}})
	if !errors.Is(res[0].Err, engine.ErrPermanent) {
		t.Errorf("unknown assignee: %v, want a permanent failure", res[0].Err)
	}
}

package zendesk

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// withTransport puts the shared connectors.Transport under the adapter, as
// the service wires it, with short backoffs for tests. base is what the
// transport sends through (nil: the default transport).
func withTransport(counter *connectors.Counter, base http.RoundTripper, limits ...connectors.Limit) func(*Options) {
	return func(o *Options) {
		o.HTTPClient = &http.Client{Transport: connectors.NewTransport(connectors.Options{
			Vendor: "zendesk", Base: base, Limits: limits, Observer: counter,
			BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond,
		})}
	}
}

func seedTickets(srv *zendesktest.Server, n int64) {
	for i := int64(1); i <= n; i++ {
		srv.CreateTicket(zendesktest.Ticket{ID: i, Subject: "broken", Status: "open"})
	}
}

func withStatus(srv *zendesktest.Server, status int) []zendesktest.Request {
	var out []zendesktest.Request
	for _, r := range srv.Requests() {
		if r.Status == status {
			out = append(out, r)
		}
	}
	return out
}

func exportIDs(t *testing.T, pages []engine.TicketPage) map[int64]int {
	t.Helper()
	seen := map[int64]int{}
	for _, p := range pages {
		for _, tk := range p.Tickets {
			seen[tk.ID]++
		}
	}
	return seen
}

// TestRateLimitStormThroughTheSharedTransport exports through an export
// budget the client does not know about (another replica spent it, or the
// configuration is above the plan): every 429 is waited out as Retry-After
// says, nothing is lost, and the client does not hammer the account.
func TestRateLimitStormThroughTheSharedTransport(t *testing.T) {
	counter := &connectors.Counter{}
	srv, c := newPair(t, func(o *Options) {
		o.PageSize = 5
		withTransport(counter, nil)(o)
	})
	seedTickets(srv, 30)
	srv.ResetRequests()
	// A rate-limit minute lasts one real second.
	srv.SetRateLimits(zendesktest.RateLimits{Account: 1000, Export: 2, TimeScale: 60})

	pages := collect(t, c, "")
	seen := exportIDs(t, pages)
	if len(seen) != 30 {
		t.Fatalf("%d tickets through the storm, want 30", len(seen))
	}
	throttled := withStatus(srv, http.StatusTooManyRequests)
	if len(throttled) == 0 {
		t.Fatal("the export budget never ran out: the test proves nothing")
	}
	// Honouring Retry-After, a client meets at most one 429 per window it
	// waits out; one that retried at once would meet dozens.
	if len(throttled) > len(pages) {
		t.Errorf("%d 429s for %d pages: Retry-After was not waited out", len(throttled), len(pages))
	}
	if sent, seen := counter.Total(), len(srv.Requests()); sent != seen {
		t.Errorf("the transport counted %d attempts, the simulator saw %d", sent, seen)
	}
}

// TestClientLimitsKeepTheAdapterUnderTheBudget gives the transport the
// simulator's budgets as client-side limits, shared in Redis as the
// service keeps them: a whole sync's worth of requests (export, reads,
// notes, a batch update and its job) never exceeds a budget in any window,
// so the account never answers 429. The budgets hold by construction,
// however late requests arrive, so their windows are the simulator's.
func TestClientLimitsKeepTheAdapterUnderTheBudget(t *testing.T) {
	const account, export = 8, 3
	window := 500 * time.Millisecond // TimeScale 120
	rdb, prefix := redistest.Client(t)
	limits := []connectors.Limit{
		{Name: "account", Limiter: connectors.NewRedisLimiter(rdb, prefix+"account", account, window)},
		{Name: "export", Match: func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/incremental/") },
			Limiter: connectors.NewRedisLimiter(rdb, prefix+"export", export, window)},
	}
	srv, c := newPair(t, func(o *Options) {
		o.PageSize = 5
		withTransport(&connectors.Counter{}, nil, limits...)(o)
	})
	seedTickets(srv, 20)
	srv.ResetRequests()
	srv.SetRateLimits(zendesktest.RateLimits{Account: account, Export: export, TimeScale: 120})
	ctx := context.Background()

	pages := collect(t, c, "")
	if n := len(exportIDs(t, pages)); n != 20 {
		t.Fatalf("%d tickets exported, want 20", n)
	}
	tickets, err := c.Tickets(ctx, []int64{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	var updates []engine.TicketUpdate
	for _, tk := range tickets { // notes, conditional on the ticket's stamp
		updates = append(updates, engine.TicketUpdate{ID: tk.ID, Note: "PROJ-1 is in progress", UpdatedStamp: tk.UpdatedAt})
	}
	for id := int64(5); id <= 12; id++ { // tags, in one batch
		updates = append(updates, engine.TicketUpdate{ID: id, AddTags: []string{"bug_open"}})
	}
	res, err := c.UpdateTickets(ctx, updates)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("ticket %d: %v", r.ID, r.Err)
		}
	}

	reqs := srv.Requests()
	slices.SortFunc(reqs, func(a, b zendesktest.Request) int { return a.At.Compare(b.At) })
	if n := len(withStatus(srv, http.StatusTooManyRequests)); n != 0 {
		t.Fatalf("%d requests answered 429 with the client-side limits at the budget", n)
	}
	// No window of the simulator's length, wherever it starts, holds more
	// requests than the budget.
	for i, first := range reqs {
		all, exports := 0, 0
		for _, r := range reqs[i:] {
			if r.At.Sub(first.At) >= window {
				break
			}
			all++
			if r.Route == "/api/v2/incremental/tickets/cursor" {
				exports++
			}
		}
		if all > account || exports > export {
			t.Fatalf("%d requests (%d exports) in the window from %s: budgets %d and %d", all, exports,
				first.At.Format("15:04:05.000"), account, export)
		}
	}
}

// TestServerErrorBurstsThroughTheSharedTransport: reads and idempotent
// writes are resent through bursts of 5xx; an update_many carrying a note
// is not, since Zendesk may have queued its job, and so no note is posted
// twice.
func TestServerErrorBurstsThroughTheSharedTransport(t *testing.T) {
	lost := &loseResponse{}
	counter := &connectors.Counter{}
	srv, c := newPair(t, withTransport(counter, lost))
	seedTickets(srv, 6)
	ctx := context.Background()
	privateNotes := func(id int64) int {
		n := 0
		for _, cm := range srv.Comments(id) {
			if !cm.Public {
				n++
			}
		}
		return n
	}

	// Reads.
	srv.Inject(zendesktest.Fault{Method: "GET", Path: "/api/v2/tickets/show_many", Status: 502, Times: 2})
	if got, err := c.Tickets(ctx, []int64{1, 2}); err != nil || len(got) != 2 {
		t.Fatalf("show_many through a 502 burst: %v, %v", got, err)
	}
	srv.Inject(zendesktest.Fault{Method: "GET", Path: "/api/v2/incremental/tickets/cursor", Status: 500, Times: 2})
	if n := len(exportIDs(t, collect(t, c, ""))); n != 6 {
		t.Fatalf("export through a 500 burst: %d tickets", n)
	}
	if n := srv.Count("GET", "/api/v2/tickets/show_many"); n != 3 {
		t.Errorf("show_many sent %d times, want 3", n)
	}

	// A batch without a note changes the same thing however often it is
	// applied: resent through the burst.
	srv.Inject(zendesktest.Fault{Method: "PUT", Path: "/api/v2/tickets/update_many", Status: 500, Times: 2})
	res, err := c.UpdateTickets(ctx, []engine.TicketUpdate{{ID: 1, AddTags: []string{"bug_open"}}, {ID: 2, AddTags: []string{"bug_open"}}})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("tag batch through a 500 burst: %+v, %v", res, err)
	}
	if tk, _ := srv.Ticket(2); !tk.HasTag("bug_open") || srv.Count("PUT", "/api/v2/tickets/update_many") != 3 {
		t.Fatalf("ticket 2 tags %v after %d update_many requests", tk.Tags, srv.Count("PUT", "/api/v2/tickets/update_many"))
	}

	// A conditional note is resent: a copy Zendesk applied already would
	// fail the stamp check instead of posting twice.
	tk3, _ := srv.Ticket(3)
	srv.Inject(zendesktest.Fault{Method: "PUT", Path: "/api/v2/tickets/{id}", Status: 502, Times: 2})
	res, _ = c.UpdateTickets(ctx, []engine.TicketUpdate{{ID: 3, Note: "PROJ-1 is fixed", UpdatedStamp: tk3.UpdatedAt}})
	if res[0].Err != nil || privateNotes(3) != 1 {
		t.Fatalf("conditional note through a 502 burst: %v, %d notes", res[0].Err, privateNotes(3))
	}

	// A batch with a note that failed with a 500 is not resent: the result
	// is a retryable error, and the note is posted once when the caller
	// retries. The same holds when Zendesk did queue the job and only its
	// answer was lost on the way.
	for _, tc := range []struct {
		name   string
		ticket int64
		fail   func()
	}{
		{"500 from Zendesk", 4, func() {
			srv.Inject(zendesktest.Fault{Method: "PUT", Path: "/api/v2/tickets/update_many", Status: 500})
		}},
		{"answer lost after the job was queued", 5, func() { lost.arm("/api/v2/tickets/update_many") }},
	} {
		before := srv.Count("PUT", "/api/v2/tickets/update_many")
		tc.fail()
		res, _ := c.UpdateTickets(ctx, []engine.TicketUpdate{{ID: tc.ticket, Note: "PROJ-2 is in progress"}})
		var zerr *Error
		if !errors.As(res[0].Err, &zerr) || zerr.Status != http.StatusInternalServerError && zerr.Status != http.StatusBadGateway ||
			errors.Is(res[0].Err, engine.ErrPermanent) {
			t.Fatalf("%s: result %v, want a retryable 5xx", tc.name, res[0].Err)
		}
		if n := srv.Count("PUT", "/api/v2/tickets/update_many") - before; n != 1 {
			t.Errorf("%s: the note's batch was sent %d times, want once", tc.name, n)
		}
		if n := privateNotes(tc.ticket); n > 1 {
			t.Fatalf("%s: %d notes on ticket %d", tc.name, n, tc.ticket)
		}
	}
	// The caller retries the ticket Zendesk never saw; the other already
	// has its note (the engine asks HasNote before a retry).
	if res, _ := c.UpdateTickets(ctx, []engine.TicketUpdate{{ID: 4, Note: "PROJ-2 is in progress"}}); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if privateNotes(4) != 1 || privateNotes(5) != 1 {
		t.Errorf("notes: ticket 4 has %d, ticket 5 %d; want one each", privateNotes(4), privateNotes(5))
	}

	// 503 means Zendesk did nothing: even a batch with a note is resent.
	srv.Inject(zendesktest.Fault{Method: "PUT", Path: "/api/v2/tickets/update_many", Status: 503})
	if res, _ := c.UpdateTickets(ctx, []engine.TicketUpdate{{ID: 6, Note: "PROJ-3 is fixed"}}); res[0].Err != nil || privateNotes(6) != 1 {
		t.Fatalf("note through a 503: %v, %d notes", res[0].Err, privateNotes(6))
	}

	// A burst longer than the attempts comes back as a retryable error.
	srv.Inject(zendesktest.Fault{Method: "GET", Path: "/api/v2/tickets/show_many", Status: 503, Times: 10})
	_, err = c.Tickets(ctx, []int64{1})
	var zerr *Error
	if !errors.As(err, &zerr) || zerr.Status != http.StatusServiceUnavailable || errors.Is(err, engine.ErrPermanent) {
		t.Fatalf("after the last attempt: %v", err)
	}
	srv.ClearFaults()
	if sent, seen := counter.Total(), len(srv.Requests()); sent != seen {
		t.Errorf("the transport counted %d attempts, the simulator saw %d", sent, seen)
	}
}

// loseResponse delivers a request and then, once armed for its path, throws
// Zendesk's answer away and reports a 502, as a gateway that lost the
// upstream connection would: the write happened, the client cannot know.
type loseResponse struct {
	mu   sync.Mutex
	path string
}

func (l *loseResponse) arm(path string) {
	l.mu.Lock()
	l.path = path
	l.mu.Unlock()
}

func (l *loseResponse) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	l.mu.Lock()
	armed := l.path != "" && strings.TrimSuffix(r.URL.Path, ".json") == l.path
	if armed {
		l.path = ""
	}
	l.mu.Unlock()
	if err != nil || !armed {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	body := `<html><body>502 Bad Gateway</body></html>`
	return &http.Response{StatusCode: http.StatusBadGateway, Status: "502 Bad Gateway", Proto: "HTTP/1.1",
		ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"Content-Type": {"text/html"}},
		Body: io.NopCloser(bytes.NewReader([]byte(body))), ContentLength: int64(len(body)), Request: r}, nil
}

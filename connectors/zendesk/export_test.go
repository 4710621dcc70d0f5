package zendesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// collect runs ChangedTickets and returns the pages handed to handle.
func collect(t *testing.T, c *Client, cursor string) []engine.TicketPage {
	t.Helper()
	var pages []engine.TicketPage
	err := c.ChangedTickets(context.Background(), cursor, func(_ context.Context, p engine.TicketPage) error {
		pages = append(pages, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

func TestChangedTicketsPagesMapsAndResumes(t *testing.T) {
	srv, c := newPair(t, func(o *Options) { o.PageSize = 10 })
	srv.AddOrganizationField(zendesktest.OrganizationField{Key: "tier", Title: "Tier", Type: "dropdown"})
	srv.AddOrganization(zendesktest.Organization{ID: 7, Name: "Acme", Fields: map[string]any{"tier": "enterprise"}})
	srv.AddOrganization(zendesktest.Organization{ID: 8, Name: "Initech"})
	opened := srv.Now().Add(-400 * 24 * time.Hour).Truncate(time.Second) // long before the export reads it
	// Requesters 101 and 102 exist, one German, one with the default
	// locale; the other requesters are unknown to the account.
	srv.AddUser(zendesktest.User{ID: 101, Name: "Kunde", Email: "k@example.com", Locale: "de"})
	srv.AddUser(zendesktest.User{ID: 102, Name: "Customer", Email: "c@example.com"})
	for i := int64(1); i <= 25; i++ {
		tk := zendesktest.Ticket{ID: i, Subject: fmt.Sprintf("ticket %d", i), Status: "open", RequesterID: 100 + i}
		switch i {
		case 1:
			tk.CreatedAt = opened
			tk.OrganizationID = 7
			tk.Tags = []string{"jira_proj_1", "vip"}
			tk.CustomFields = []zendesktest.CustomField{{ID: keysField, Value: "PROJ-1"}, {ID: statusField, Value: "In Progress"}}
		case 2:
			tk.OrganizationID = 8
			tk.CustomFields = []zendesktest.CustomField{{ID: keysField, Value: 12345}}
		case 3:
			tk.CustomFields = []zendesktest.CustomField{{ID: keysField, Value: []string{"proj_1", "proj_2"}}, {ID: 999, Value: true}}
		case 4:
			tk.CustomFields = []zendesktest.CustomField{{ID: keysField, Value: 1.5}, {ID: statusField, Value: nil}}
		}
		srv.CreateTicket(tk)
	}
	srv.DeleteTicket(5)

	pages := collect(t, c, "")
	if len(pages) != 3 {
		t.Fatalf("%d pages, want 3", len(pages))
	}
	got := map[int64]engine.Ticket{}
	for i, p := range pages {
		if p.Done != (i == len(pages)-1) {
			t.Errorf("page %d: Done = %v", i, p.Done)
		}
		if p.Cursor == "" {
			t.Errorf("page %d has no cursor", i)
		}
		for _, tk := range p.Tickets {
			if _, dup := got[tk.ID]; dup {
				t.Errorf("ticket %d on two pages", tk.ID)
			}
			got[tk.ID] = tk
		}
	}
	if len(got) != 25 {
		t.Fatalf("%d tickets, want 25", len(got))
	}
	t1 := got[1]
	if t1.KeysField != "PROJ-1" || t1.StatusField != "In Progress" || t1.OrganizationID != 7 || t1.RequesterID != 101 || t1.Locale != "de" ||
		t1.Subject != "ticket 1" || t1.Status != engine.StatusOpen || len(t1.Tags) != 2 ||
		t1.URL != srv.URL+"/agent/tickets/1" || t1.UpdatedAt.IsZero() || !t1.CreatedAt.Equal(opened) {
		t.Errorf("ticket 1 = %+v", t1)
	}
	for id, want := range map[int64]string{2: "12345", 3: "proj_1,proj_2", 4: "1.5", 6: ""} {
		if got[id].KeysField != want {
			t.Errorf("ticket %d KeysField = %q, want %q", id, got[id].KeysField, want)
		}
	}
	if got[2].Locale != zendesktest.DefaultLocale || got[3].Locale != "" {
		t.Errorf("locales %q, %q; want %q and none for an unknown requester", got[2].Locale, got[3].Locale, zendesktest.DefaultLocale)
	}
	if got[5].Status != engine.StatusDeleted {
		t.Errorf("deleted ticket status %q", got[5].Status)
	}
	var orgs []engine.Organization
	for _, p := range pages {
		orgs = append(orgs, p.Organizations...)
	}
	if len(orgs) != 2 {
		t.Fatalf("sideloaded organizations %+v", orgs)
	}
	for _, o := range orgs {
		if (o.ID == 7 && (o.Tier != "enterprise" || o.Name != "Acme")) || (o.ID == 8 && o.Tier != "") {
			t.Errorf("organization %+v", o)
		}
	}

	// Every request re-sends per_page and include, the first start_time,
	// the rest the cursor.
	for i, r := range srv.Requests() {
		q, _ := url.ParseQuery(r.Query)
		if q.Get("per_page") != "10" || q.Get("include") != "users,organizations" {
			t.Errorf("request %d query %q", i, r.Query)
		}
		if (i == 0) != q.Has("start_time") || (i > 0) != q.Has("cursor") {
			t.Errorf("request %d query %q", i, r.Query)
		}
	}

	// Resuming from the last cursor: an idle poll is one request and one
	// empty, done page; a change shows up once.
	last := pages[len(pages)-1].Cursor
	srv.ResetRequests()
	idle := collect(t, c, last)
	if len(idle) != 1 || len(idle[0].Tickets) != 0 || !idle[0].Done || srv.Count("GET", "/api/v2/incremental/tickets/cursor") != 1 {
		t.Fatalf("idle poll: %+v, %d requests", idle, len(srv.Requests()))
	}
	srv.SetCustomField(9, keysField, "PROJ-9")
	next := collect(t, c, idle[0].Cursor)
	if len(next) != 1 || len(next[0].Tickets) != 1 || next[0].Tickets[0].KeysField != "PROJ-9" {
		t.Fatalf("after change: %+v", next)
	}
}

func TestChangedTicketsStopsWhenHandleFails(t *testing.T) {
	srv, c := newPair(t, func(o *Options) { o.PageSize = 2 })
	for range 5 {
		srv.CreateTicket(zendesktest.Ticket{})
	}
	boom := errors.New("store down")
	calls := 0
	err := c.ChangedTickets(context.Background(), "", func(context.Context, engine.TicketPage) error {
		calls++
		return boom
	})
	if !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("err %v after %d calls; want the handler's error after 1", err, calls)
	}
	// The page read ahead, if its request started, is dropped: no more.
	if n := srv.Count("GET", "/api/v2/incremental/tickets/cursor"); n > 2 {
		t.Fatalf("%d export requests after the handler failed on the first page, want at most 2", n)
	}
}

func TestChangedTicketsReadsAheadOnePage(t *testing.T) {
	srv, c := newPair(t, func(o *Options) { o.PageSize = 2 })
	for range 7 {
		srv.CreateTicket(zendesktest.Ticket{})
	}
	requests := func() int { return srv.Count("GET", "/api/v2/incremental/tickets/cursor") }
	var seen []int // requests made by the time each page was handed over
	err := c.ChangedTickets(context.Background(), "", func(_ context.Context, p engine.TicketPage) error {
		if len(seen) == 0 {
			// The second page is being read while the first is handled.
			deadline := time.Now().Add(5 * time.Second)
			for requests() < 2 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
		}
		seen = append(seen, requests())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 4 || seen[0] != 2 {
		t.Fatalf("requests made when each page was handled: %v; want 4 pages, the second read during the first", seen)
	}
	for i, n := range seen {
		if n > i+2 {
			t.Errorf("page %d handled after %d requests: more than one page read ahead", i+1, n)
		}
	}
}

func TestChangedTicketsStartTime(t *testing.T) {
	srv := zendesktest.NewServer() // Zendesk's one-minute lag
	t.Cleanup(srv.Close)
	now := time.Now()
	srv.SetNow(now.Add(-time.Hour))
	srv.CreateTicket(zendesktest.Ticket{ID: 1}) // an hour ago
	srv.SetNow(now.Add(-10 * time.Minute))
	srv.CreateTicket(zendesktest.Ticket{ID: 2})
	srv.SetNow(now)
	srv.CreateTicket(zendesktest.Ticket{ID: 3}) // too recent to be exported yet

	for _, tt := range []struct {
		name  string
		start time.Time
		want  []int64
	}{
		{"beginning", time.Time{}, []int64{1, 2}},
		{"half an hour ago", now.Add(-30 * time.Minute), []int64{2}},
		{"now is clamped to a minute ago", now, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Options{BaseURL: srv.URL, Email: zendesktest.DefaultEmail, Token: zendesktest.DefaultToken,
				StartTime: tt.start})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, p := range collect(t, c, "") {
				for _, tk := range p.Tickets {
					ids = append(ids, tk.ID)
				}
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
				t.Fatalf("exported %v, want %v", ids, tt.want)
			}
		})
	}
}

func TestChangedTicketsErrors(t *testing.T) {
	tests := []struct {
		name    string
		fault   zendesktest.Fault
		status  int
		kind    error
		message string
	}{
		{"server error", zendesktest.Fault{Status: 503}, 503, nil, "HTTP 503"},
		{"truncated body", zendesktest.Fault{Truncate: true}, 0, nil, "malformed response body"},
		{"html body", zendesktest.Fault{Malformed: true}, 0, nil, "malformed response body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newPair(t, nil)
			srv.CreateTicket(zendesktest.Ticket{})
			srv.Inject(tt.fault)
			err := c.ChangedTickets(context.Background(), "", func(context.Context, engine.TicketPage) error {
				t.Fatal("handle called on a failed page")
				return nil
			})
			var ze *Error
			if !errors.As(err, &ze) || ze.Status != tt.status {
				t.Fatalf("error %v, want a zendesk.Error with status %d", err, tt.status)
			}
			for _, k := range []error{engine.ErrPermanent, engine.ErrNotFound, engine.ErrConflict} {
				if errors.Is(err, k) {
					t.Fatalf("%v should be retryable, wraps %v", err, k)
				}
			}
			if msg := err.Error(); !strings.Contains(msg, tt.message) || !strings.Contains(msg, "export tickets page 1") {
				t.Fatalf("message %q", msg)
			}
		})
	}
}

func TestChangedTicketsNeedsAnAdmin(t *testing.T) {
	srv, _ := newPair(t, nil)
	srv.AddUser(zendesktest.User{Email: "agent@example.com", Role: "agent"})
	srv.AddAPIToken("agent@example.com", "agent-token")
	c, err := New(Options{BaseURL: srv.URL, Email: "agent@example.com", Token: "agent-token"})
	if err != nil {
		t.Fatal(err)
	}
	err = c.ChangedTickets(context.Background(), "", func(context.Context, engine.TicketPage) error { return nil })
	if !errors.Is(err, engine.ErrPermanent) || !strings.Contains(err.Error(), "HTTP 403") || strings.Contains(err.Error(), "agent-token") {
		t.Fatalf("agent export: %v", err)
	}
}

// BenchmarkDecodeExportPage measures decoding and mapping one full export
// page of 1000 tickets, as the simulator renders them.
func BenchmarkDecodeExportPage(b *testing.B) {
	srv, c := newPair(b, nil)
	srv.AddOrganization(zendesktest.Organization{ID: 1, Name: "Acme", Fields: map[string]any{"tier": "pro"}})
	for i := range 1000 {
		srv.CreateTicket(zendesktest.Ticket{Subject: "Crash on save", Status: "open", RequesterID: int64(i + 1),
			OrganizationID: 1, Tags: []string{"jira_proj_12", "vip", "billing"},
			CustomFields: []zendesktest.CustomField{{ID: keysField, Value: "PROJ-12"}, {ID: statusField, Value: "In Progress"},
				{ID: 77, Value: 42}, {ID: 78, Value: []string{"a", "b"}}, {ID: 79, Value: true}}})
	}
	body, err := c.api.Get(context.Background(), "/incremental/tickets/cursor.json?start_time=0&include=users,organizations")
	if err != nil {
		b.Fatal(err)
	}
	var check exportWire
	if err := json.Unmarshal(body, &check); err != nil || len(check.Tickets) != 1000 {
		b.Fatalf("page of %d tickets: %v", len(check.Tickets), err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := c.decodeExport("bench", body)
		if err != nil || len(p.Tickets) != 1000 {
			b.Fatal(err)
		}
	}
}

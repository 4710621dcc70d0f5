package zendesk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestTicketsShowManyInChunks(t *testing.T) {
	srv, c := newPair(t, nil)
	var ids []int64
	de := srv.AddUser(zendesktest.User{Name: "Kunde", Email: "k@example.com", Locale: "de"})
	for i := int64(1); i <= 150; i++ {
		srv.CreateTicket(zendesktest.Ticket{ID: i, RequesterID: de.ID, CustomFields: []zendesktest.CustomField{{ID: keysField, Value: i}}})
		ids = append(ids, i)
	}
	srv.DeleteTicket(150)
	ids = append(ids, 1, 9999) // a duplicate and a missing id

	got, err := c.Tickets(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 149 {
		t.Fatalf("%d tickets, want 149", len(got))
	}
	sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
	// The requester's locale comes sideloaded with each chunk (the second
	// chunk's tickets too), never from a request of its own.
	if got[41].Locale != "de" || got[148].Locale != "de" {
		t.Fatalf("locales %q, %q; want de", got[41].Locale, got[148].Locale)
	}
	if got[41].ID != 42 || got[41].KeysField != "42" || got[41].URL != srv.URL+"/agent/tickets/42" || got[41].CreatedAt.IsZero() {
		t.Fatalf("ticket 42 = %+v", got[41])
	}
	if n := srv.Count("GET", "/api/v2/tickets/show_many"); n != 2 {
		t.Fatalf("%d show_many requests, want 2", n)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Fatalf("%d requests, want the 2 show_many only", n)
	}
}

func TestOrganizations(t *testing.T) {
	srv, c := newPair(t, nil)
	srv.AddOrganizationField(zendesktest.OrganizationField{Key: "tier", Title: "Tier", Type: "dropdown"})
	srv.AddOrganization(zendesktest.Organization{ID: 1, Name: "Acme", Fields: map[string]any{"tier": "enterprise"}})
	srv.AddOrganization(zendesktest.Organization{ID: 2, Name: "Initech"})
	srv.AddOrganization(zendesktest.Organization{ID: 3, Name: "Globex", Fields: map[string]any{"tier": 3}})

	got, err := c.Organizations(context.Background(), []int64{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.Organization{{ID: 1, Name: "Acme", Tier: "enterprise"}, {ID: 2, Name: "Initech"}, {ID: 3, Name: "Globex", Tier: "3"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got, err := c.Organizations(context.Background(), nil); err != nil || len(got) != 0 || len(srv.Requests()) != 1 {
		t.Fatalf("no ids: %v %v, %d requests", got, err, len(srv.Requests()))
	}
}

func TestHasNoteReadsEveryPage(t *testing.T) {
	srv, c := newPair(t, nil)
	srv.CreateTicket(zendesktest.Ticket{ID: 1, Description: "it crashes", RequesterID: 5})
	for i := range 230 {
		srv.AddComment(1, zendesktest.Comment{Body: fmt.Sprintf("comment %d", i), Public: true, AuthorID: 5})
	}
	srv.AddComment(1, zendesktest.Comment{Body: "PROJ-1 fixed in 2.3 [helpdesk-sync:1:PROJ-1:done]", AuthorID: noteAuthor})

	ok, err := c.HasNote(context.Background(), 1, "[helpdesk-sync:1:PROJ-1:done]")
	if err != nil || !ok {
		t.Fatalf("HasNote = %v, %v", ok, err)
	}
	if n := srv.Count("GET", "/api/v2/tickets/1/comments"); n != 3 {
		t.Fatalf("%d comment pages read, want 3", n)
	}
	ok, err = c.HasNote(context.Background(), 1, "[helpdesk-sync:1:PROJ-1:indeterminate]")
	if err != nil || ok {
		t.Fatalf("absent marker: %v, %v", ok, err)
	}
	_, err = c.HasNote(context.Background(), 404, "x")
	if !errors.Is(err, engine.ErrNotFound) || !strings.Contains(err.Error(), "ticket 404") {
		t.Fatalf("missing ticket: %v", err)
	}
}

func TestRequestErrors(t *testing.T) {
	t.Run("wrong token", func(t *testing.T) {
		srv, _ := newPair(t, nil)
		c, err := New(Options{BaseURL: srv.URL, Email: zendesktest.DefaultEmail, Token: "not-the-token-s3cr3t"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Tickets(context.Background(), []int64{1})
		if !errors.Is(err, engine.ErrPermanent) || !strings.Contains(err.Error(), "HTTP 401") ||
			!strings.Contains(err.Error(), "Couldn't authenticate you") || strings.Contains(err.Error(), "s3cr3t") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		srv, c := newPair(t, nil)
		srv.Inject(zendesktest.Fault{Status: 429, RetryAfter: 7})
		_, err := c.Tickets(context.Background(), []int64{1})
		var ze *Error
		if !errors.As(err, &ze) || ze.Status != 429 || ze.RetryAfter != 7*time.Second {
			t.Fatalf("error %v", err)
		}
		if errors.Is(err, engine.ErrPermanent) {
			t.Fatal("429 must be retryable")
		}
	})
	t.Run("hanging response", func(t *testing.T) {
		srv, c := newPair(t, func(o *Options) { o.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond} })
		srv.Inject(zendesktest.Fault{Hang: true})
		_, err := c.Organizations(context.Background(), []int64{1, 2})
		if err == nil || !strings.Contains(err.Error(), "read organizations 1,2") || errors.Is(err, engine.ErrPermanent) {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		srv, c := newPair(t, nil)
		srv.Inject(zendesktest.Fault{Malformed: true})
		_, err := c.Tickets(context.Background(), []int64{3})
		if err == nil || !strings.Contains(err.Error(), "read tickets 3: malformed response body") {
			t.Fatalf("error %v", err)
		}
	})
}

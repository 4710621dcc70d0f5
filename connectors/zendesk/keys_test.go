package zendesk

import (
	"context"
	"errors"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestEditKeysField(t *testing.T) {
	srv, c := newPair(t, nil)
	srv.CreateTicket(zendesktest.Ticket{ID: 1, Status: "open",
		CustomFields: []zendesktest.CustomField{{ID: keysField, Value: "PROJ-1"}}})
	ctx := context.Background()

	calls := 0
	got, err := c.EditKeysField(ctx, 1, func(cur string) string {
		calls++
		if calls == 1 {
			srv.AddTags(1, "agent_was_here") // an agent edits between the read and the write
		}
		return cur + ", PROJ-2"
	})
	if err != nil || got != "PROJ-1, PROJ-2" {
		t.Fatalf("EditKeysField = %q, %v", got, err)
	}
	if calls != 2 {
		t.Errorf("edit called %d times, want 2 (a conflict, then a fresh read)", calls)
	}
	tk, _ := srv.Ticket(1)
	if tk.Field(keysField) != "PROJ-1, PROJ-2" || !tk.HasTag("agent_was_here") {
		t.Errorf("ticket = %+v", tk)
	}

	before := srv.Count("PUT", "/api/v2/tickets/{id}")
	if _, err := c.EditKeysField(ctx, 1, func(cur string) string { return cur }); err != nil {
		t.Fatal(err)
	}
	if srv.Count("PUT", "/api/v2/tickets/{id}") != before {
		t.Error("an unchanged field was written")
	}
	if _, err := c.EditKeysField(ctx, 1, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if tk, _ := srv.Ticket(1); tk.Field(keysField) != nil {
		t.Errorf("cleared field = %v", tk.Field(keysField))
	}

	if _, err := c.EditKeysField(ctx, 99, func(string) string { return "X-1" }); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("unknown ticket: %v", err)
	}
	_, bare := newPair(t, func(o *Options) { o.KeysFieldID = 0 })
	if _, err := bare.EditKeysField(ctx, 1, func(string) string { return "X-1" }); !errors.Is(err, engine.ErrPermanent) {
		t.Errorf("no keys field: %v", err)
	}
}

package zendesk

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestLogsProgressWithoutSecrets(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	srv, c := newPair(t, func(o *Options) { o.Logger = zap.New(core); o.PageSize = 2 })
	for range 5 {
		srv.CreateTicket(zendesktest.Ticket{})
	}
	if err := c.ChangedTickets(context.Background(), "", func(context.Context, engine.TicketPage) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateTickets(context.Background(), []engine.TicketUpdate{{ID: 1, AddTags: []string{"x"}}}); err != nil {
		t.Fatal(err)
	}
	pages := logs.FilterMessage("zendesk export page").All()
	if len(pages) != 3 {
		t.Fatalf("%d export progress lines, want 3", len(pages))
	}
	if f := pages[2].ContextMap(); f["page"] != int64(3) || f["tickets"] != int64(1) || f["tickets_total"] != int64(5) ||
		f["end_of_stream"] != true {
		t.Fatalf("last page line %v", f)
	}
	if n := logs.FilterMessage("zendesk update job completed").Len(); n != 1 {
		t.Fatalf("%d job lines", n)
	}
	for _, e := range logs.All() {
		if line := e.Message + fmt.Sprint(e.ContextMap()); strings.Contains(line, zendesktest.DefaultToken) {
			t.Fatalf("log line leaks the token: %s", line)
		}
	}
}

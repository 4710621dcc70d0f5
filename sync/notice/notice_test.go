package notice

import (
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// A rule routing by revenue needs revenue counted: config refuses it
// first, and New again for any other caller.
func TestNewRefusesMinRevenueWithoutRevenue(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	hooks := map[string]slack.Poster{"sales": nil}
	rules := slack.Rules{{Webhook: "sales", MinRevenue: 100000}}
	base := Options{Redis: rdb, Prefix: prefix, Store: state.New(rdb, prefix, time.Hour), Webhooks: hooks, Rules: rules}
	_, err := New(base)
	if err == nil || !strings.Contains(err.Error(), "slack.rules[0].min_revenue") || !strings.Contains(err.Error(), "revenue.field") {
		t.Fatalf("New = %v, want min_revenue refused while revenue is not counted", err)
	}
	base.Revenue = engine.RevenuePolicy{Enabled: true, Currency: "EUR"}
	if _, err := New(base); err != nil {
		t.Fatalf("New with revenue counted: %v", err)
	}
}

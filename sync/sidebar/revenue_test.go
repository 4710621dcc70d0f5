package sidebar

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// The panel's count carries the revenue waiting where revenue is counted,
// and nothing about it elsewhere.
func TestCustomersRevenueOnlyWhereCounted(t *testing.T) {
	c := engine.Customers{Distinct: 2, Weighted: 2, Revenue: 120000}
	with := &viewer{Source: Source{Policy: engine.Policy{Revenue: engine.RevenuePolicy{Enabled: true, Currency: "EUR"}}}}
	got := with.customers(c)
	if got.Revenue == nil || *got.Revenue != 120000 || got.Currency != "EUR" || got.RevenueText != "120,000 EUR" {
		t.Fatalf("counted: %+v", got)
	}
	without := &viewer{Source: Source{Policy: engine.Policy{}}}
	b, err := json.Marshal(without.customers(c))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Contains(s, "revenue") || strings.Contains(s, "currency") {
		t.Fatalf("not counted: %s", s)
	}
}

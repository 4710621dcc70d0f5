package zendesk

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestParseRevenue(t *testing.T) {
	tests := []struct {
		raw     string
		want    float64
		problem string
	}{
		{`120000`, 120000, ""},
		{`120000.75`, 120000.75, ""},
		{`0`, 0, ""},
		{`"50000"`, 50000, ""},
		{`" 42.5 "`, 42.5, ""},
		{`1e3`, 1000, ""},
		{``, 0, "missing"},
		{`null`, 0, "missing"},
		{`""`, 0, "missing"},
		{`-5`, 0, "negative"},
		{`"-5"`, 0, "negative"},
		{`"abc"`, 0, "not a number"},
		{`"12,000"`, 0, "not a number"},
		{`"NaN"`, 0, "not a number"},
		{`"Inf"`, 0, "not a number"},
		{`1e999`, 0, "not a number"},
		{`true`, 0, "not a number"},
		{`[1]`, 0, "not a number"},
		{`{"a":1}`, 0, "not a number"},
	}
	for _, tt := range tests {
		got, problem := parseRevenue(json.RawMessage(tt.raw))
		if got != tt.want || problem != tt.problem {
			t.Errorf("parseRevenue(%s) = %v, %q; want %v, %q", tt.raw, got, problem, tt.want, tt.problem)
		}
	}
}

// TestRevenueWarnsOncePerOrganization reads organizations with numeric,
// string and bad revenue values through show_many and the export's
// sideload, several times: the bad ones count 0 and are warned about once
// each, until their value is fixed and breaks again.
func TestRevenueWarnsOncePerOrganization(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	srv, c := newPair(t, func(o *Options) { o.Logger = zap.New(core); o.RevenueField = "arr" })
	srv.AddOrganizationField(zendesktest.OrganizationField{Key: "arr", Title: "ARR", Type: "decimal"})
	values := map[int64]any{1: 120000, 2: "50000.5", 3: nil, 4: -10, 5: "lots", 6: true}
	for id, v := range values {
		fields := map[string]any{"tier": "pro"}
		if v != nil {
			fields["arr"] = v
		}
		srv.AddOrganization(zendesktest.Organization{ID: id, Name: "Org", Fields: fields})
		srv.CreateTicket(zendesktest.Ticket{Status: "open", RequesterID: id, OrganizationID: id})
	}
	want := map[int64]float64{1: 120000, 2: 50000.5}
	read := func() {
		t.Helper()
		orgs, err := c.Organizations(context.Background(), []int64{1, 2, 3, 4, 5, 6})
		if err != nil {
			t.Fatal(err)
		}
		if len(orgs) != 6 {
			t.Fatalf("%d organizations", len(orgs))
		}
		for _, o := range orgs {
			if o.Revenue != want[o.ID] || o.Tier != "pro" {
				t.Errorf("organization %d: revenue %v tier %q, want %v pro", o.ID, o.Revenue, o.Tier, want[o.ID])
			}
		}
		err = c.ChangedTickets(context.Background(), "", func(_ context.Context, p engine.TicketPage) error {
			for _, o := range p.Organizations {
				if o.Revenue != want[o.ID] {
					t.Errorf("sideloaded organization %d: revenue %v, want %v", o.ID, o.Revenue, want[o.ID])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	warned := func() map[int64]int {
		out := map[int64]int{}
		for _, e := range logs.FilterMessage("organization revenue counted as 0").All() {
			f := e.ContextMap()
			if f["field"] != "arr" {
				t.Errorf("warning names field %v", f["field"])
			}
			out[f["organization_id"].(int64)]++
		}
		return out
	}
	read()
	read()
	read()
	if got := warned(); len(got) != 4 || got[3] != 1 || got[4] != 1 || got[5] != 1 || got[6] != 1 {
		t.Fatalf("warnings per organization %v, want one each for 3, 4, 5 and 6", got)
	}
	// Fixed, then broken again: warned about once more.
	srv.SetOrganizationField(4, "arr", 10)
	want[4] = 10
	read()
	srv.SetOrganizationField(4, "arr", "ten")
	want[4] = 0
	read()
	read()
	if got := warned(); got[4] != 2 || got[3] != 1 {
		t.Fatalf("warnings per organization %v, want a second one for 4 only", got)
	}
}

func TestRevenueWarningsAreBounded(t *testing.T) {
	var w revenueWarnings
	for id := range int64(maxRevenueWarned + 10) {
		if !w.first(id) {
			t.Fatalf("organization %d not new", id)
		}
	}
	if len(w.warned) > maxRevenueWarned {
		t.Fatalf("%d remembered, bound %d", len(w.warned), maxRevenueWarned)
	}
	if w.first(maxRevenueWarned + 9) {
		t.Fatal("the last organization warned about was forgotten")
	}
}

func TestNoRevenueFieldReadsNone(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	srv, c := newPair(t, func(o *Options) { o.Logger = zap.New(core) })
	srv.AddOrganization(zendesktest.Organization{ID: 1, Name: "Org", Fields: map[string]any{"arr": 5000}})
	orgs, err := c.Organizations(context.Background(), []int64{1})
	if err != nil || len(orgs) != 1 || orgs[0].Revenue != 0 {
		t.Fatalf("%+v, %v", orgs, err)
	}
	if logs.Len() != 0 {
		t.Fatalf("logged %v", logs.All())
	}
}

func TestPreflightChecksTheRevenueField(t *testing.T) {
	tests := []struct {
		name  string
		field *zendesktest.OrganizationField
		want  string
	}{
		{name: "decimal", field: &zendesktest.OrganizationField{Key: "arr", Title: "ARR", Type: "decimal"}},
		{name: "missing", want: `no organization field has the key "arr"`},
		{name: "dropdown", field: &zendesktest.OrganizationField{Key: "arr", Title: "ARR", Type: "dropdown"}, want: `of type "dropdown"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newPair(t, func(o *Options) { o.TierField, o.RevenueField = "", "arr" })
			if tt.field != nil {
				srv.AddOrganizationField(*tt.field)
			}
			var got error
			found := false
			for _, ch := range c.Preflight(context.Background()) {
				if ch.Name == "revenue_field" {
					got, found = ch.Err, true
				}
			}
			switch {
			case !found:
				t.Fatal("no revenue_field check")
			case tt.want == "" && got != nil, tt.want != "" && (got == nil || !strings.Contains(got.Error(), tt.want)):
				t.Fatalf("revenue_field: %v, want %q", got, tt.want)
			}
		})
	}
}

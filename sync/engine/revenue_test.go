package engine

import (
	"strings"
	"testing"
	"time"
)

// revenuePolicy is testPolicy counting revenue in EUR, with revenue
// thresholds beside the customer ones.
func revenuePolicy() Policy {
	p := testPolicy()
	p.Revenue = RevenuePolicy{Enabled: true, Currency: "EUR", Field: true}
	p.Thresholds = append(p.Thresholds,
		Threshold{Revenue: 100000, Priority: "High"},
		Threshold{Revenue: 500000, Priority: "Highest"},
		Threshold{Customers: 50, Revenue: 1000000, Priority: "Highest"},
	)
	return p
}

func TestReach(t *testing.T) {
	p := revenuePolicy()
	tests := []struct {
		name           string
		count, revenue float64
		want           Reached
		reason         string
	}{
		{name: "nothing reached", count: 1, revenue: 10},
		{name: "customers only", count: 12, want: Reached{Priority: "High", Customers: 10}, reason: "customers"},
		{name: "revenue only", count: 1, revenue: 150000, want: Reached{Priority: "High", Revenue: 100000}, reason: "revenue"},
		{name: "both reach the same priority", count: 12, revenue: 150000, want: Reached{Priority: "High", Customers: 10, Revenue: 100000}, reason: "customers and revenue"},
		{name: "revenue higher than customers", count: 12, revenue: 600000, want: Reached{Priority: "Highest", Revenue: 500000}, reason: "revenue"},
		{name: "customers higher than revenue", count: 30, revenue: 150000, want: Reached{Priority: "Highest", Customers: 25}, reason: "customers"},
		{name: "a threshold on both is reached by either", count: 60, revenue: 0, want: Reached{Priority: "Highest", Customers: 25}, reason: "customers"},
		{name: "exactly at a revenue threshold", revenue: 100000, want: Reached{Priority: "High", Revenue: 100000}, reason: "revenue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Reach(tt.count, tt.revenue)
			if got != tt.want || got.Reason() != tt.reason {
				t.Fatalf("Reach(%v, %v) = %+v (%q), want %+v (%q)", tt.count, tt.revenue, got, got.Reason(), tt.want, tt.reason)
			}
		})
	}
	if got := p.Floor(1); got != "" {
		t.Errorf("Floor(1) = %q: a revenue threshold must not be reached by a count alone", got)
	}
}

func TestValidateRevenueThresholds(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Policy)
		wantErr string
	}{
		{name: "revenue counted", edit: func(*Policy) {}},
		{name: "neither criterion", edit: func(p *Policy) { p.Thresholds = []Threshold{{Priority: "High"}} }, wantErr: "thresholds[0]: set customers, revenue or both"},
		{name: "negative revenue", edit: func(p *Policy) { p.Thresholds = []Threshold{{Revenue: -1, Priority: "High"}} }, wantErr: "thresholds[0].revenue"},
		{name: "negative customers", edit: func(p *Policy) { p.Thresholds = []Threshold{{Customers: -1, Priority: "High"}} }, wantErr: "thresholds[0].customers"},
		{name: "revenue threshold without revenue", edit: func(p *Policy) { p.Revenue = RevenuePolicy{} }, wantErr: "thresholds[3].revenue: set, but revenue is not counted"},
		{name: "no currency", edit: func(p *Policy) { p.Revenue.Currency = "" }, wantErr: "revenue.currency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := revenuePolicy()
			tt.edit(&p)
			err := p.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRevenueWaiting(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ticket := func(id, org, requester int64, status TicketStatus) TicketRecord {
		return TicketRecord{ID: id, OrganizationID: org, RequesterID: requester, Status: status, CreatedAt: at}
	}
	revenues := map[int64]float64{1: 100000, 2: 25000.5, 3: 70000}
	tests := []struct {
		name    string
		tickets []TicketRecord
		want    float64
	}{
		{name: "no tickets"},
		{name: "one organization", tickets: []TicketRecord{ticket(10, 1, 100, StatusOpen)}, want: 100000},
		{name: "an organization counts once however many tickets", tickets: []TicketRecord{
			ticket(10, 1, 100, StatusOpen), ticket(11, 1, 101, StatusOpen), ticket(12, 1, 102, StatusPending)}, want: 100000},
		{name: "distinct organizations sum", tickets: []TicketRecord{
			ticket(10, 1, 100, StatusOpen), ticket(11, 2, 101, StatusOpen), ticket(12, 1, 102, StatusNew)}, want: 125000.5},
		{name: "solved tickets do not count", tickets: []TicketRecord{
			ticket(10, 1, 100, StatusOpen), ticket(11, 3, 101, StatusSolved)}, want: 100000},
		{name: "an organization without revenue adds nothing", tickets: []TicketRecord{
			ticket(10, 1, 100, StatusOpen), ticket(11, 9, 101, StatusOpen)}, want: 100000},
		{name: "requesters without organization add nothing", tickets: []TicketRecord{
			ticket(10, 0, 100, StatusOpen), ticket(11, 2, 101, StatusOpen)}, want: 25000.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := revenuePolicy()
			if got := revenueOf(p.waitingOrganizations(tt.tickets), revenues); got != tt.want {
				t.Fatalf("revenue waiting = %v, want %v", got, tt.want)
			}
			// Counting by requester changes who a customer is, not which
			// organizations wait.
			p.CountBy = CountByRequester
			if got := revenueOf(p.waitingOrganizations(tt.tickets), revenues); got != tt.want {
				t.Fatalf("by requester: revenue waiting = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFormatRevenue(t *testing.T) {
	r := RevenuePolicy{Currency: "EUR"}
	for v, want := range map[float64]string{0: "0 EUR", 999: "999 EUR", 1000: "1,000 EUR", 120000: "120,000 EUR",
		1234567.5: "1,234,567.50 EUR", 99.999: "100 EUR", 0.05: "0.05 EUR"} {
		if got := r.FormatRevenue(v); got != want {
			t.Errorf("FormatRevenue(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestBumpTextNamesTheReason(t *testing.T) {
	p := revenuePolicy()
	tests := []struct {
		name string
		c    Customers
		to   string
		want string
	}{
		{name: "revenue", c: Customers{Distinct: 2, Weighted: 2, Revenue: 150000}, to: "High",
			want: "2 customers now report this (150,000 EUR waiting); raised to High by helpdesk-sync (revenue threshold 100,000 EUR).\nm"},
		{name: "customers", c: Customers{Distinct: 12, Weighted: 12, Revenue: 50}, to: "High",
			want: "12 customers now report this (50 EUR waiting); raised to High by helpdesk-sync (threshold 10).\nm"},
		{name: "both", c: Customers{Distinct: 12, Weighted: 12, Revenue: 100000}, to: "High",
			want: "12 customers now report this (100,000 EUR waiting); raised to High by helpdesk-sync (threshold 10; revenue threshold 100,000 EUR).\nm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.bumpText(tt.c, "Low", tt.to, "m"); got != tt.want {
				t.Fatalf("bumpText =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
	// Where revenue is not counted the comment says nothing of it.
	if got := testPolicy().bumpText(Customers{Distinct: 12, Weighted: 12}, "Low", "High", "m"); strings.Contains(got, "revenue") || strings.Contains(got, "waiting") {
		t.Fatalf("without revenue: %q", got)
	}
}

func TestPlanBugRevenue(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	// Two tickets of organization 1 and one of organization 2: 1 counts once.
	view := func(bugRevenue *float64, labels ...string) bugView {
		v := bugView{Bug: BugRecord{Bug: Bug{ID: "5", Key: "PROJ-5", Priority: "Low", Labels: labels, Revenue: bugRevenue, CustomerCount: f(2)}}, Epoch: "ep"}
		v.Tickets, v.Links = openTickets(3, func(i int) int64 { return int64(min(i, 2)) })
		v.Revenues = map[int64]float64{1: 90000, 2: 30000}
		return v
	}
	tests := []struct {
		name        string
		policy      func() Policy
		v           bugView
		wantRevenue *float64
		wantPrio    string
		wantBump    string
	}{
		{name: "revenue raises and is written in the same edit", policy: revenuePolicy, v: view(nil),
			wantRevenue: f(120000), wantPrio: "High", wantBump: "(revenue threshold 100,000 EUR)"},
		{name: "unchanged revenue is not written again", policy: revenuePolicy, v: view(f(120000), "priority-locked")},
		{name: "the lock holds against revenue", policy: revenuePolicy, v: view(f(100), "priority-locked"), wantRevenue: f(120000)},
		{name: "no field: counted and raised, not written", policy: func() Policy {
			p := revenuePolicy()
			p.Revenue.Field = false
			return p
		}, v: view(nil), wantPrio: "High", wantBump: "revenue threshold"},
		{name: "revenue off: nothing of it", policy: testPolicy, v: view(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.policy()
			plan := p.planBug(tt.v)
			if !sameCount(plan.Edit.Revenue, tt.wantRevenue) {
				t.Errorf("edit revenue = %v, want %v", plan.Edit.Revenue, tt.wantRevenue)
			}
			if plan.Edit.Priority != tt.wantPrio {
				t.Errorf("edit priority = %q, want %q", plan.Edit.Priority, tt.wantPrio)
			}
			switch {
			case tt.wantBump == "" && plan.Bump != nil:
				t.Errorf("bump %q, want none", plan.Bump.Text)
			case tt.wantBump != "" && (plan.Bump == nil || !strings.Contains(plan.Bump.Text, tt.wantBump)):
				t.Errorf("bump %+v, want one containing %q", plan.Bump, tt.wantBump)
			}
			wantSum := 120000.0
			if !p.Revenue.Enabled {
				wantSum = 0
			}
			if plan.Customers.Revenue != wantSum {
				t.Errorf("revenue waiting = %v, want %v", plan.Customers.Revenue, wantSum)
			}
		})
	}
}

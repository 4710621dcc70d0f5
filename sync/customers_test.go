package sync

import (
	"maps"
	"slices"
	"testing"
	"time"
)

func TestCountCustomers(t *testing.T) {
	tiers := map[int64]string{1: "enterprise", 2: "pro", 3: "free", 4: ""}
	tk := func(id int64, st TicketStatus, req, org int64) TicketRecord {
		return TicketRecord{ID: id, Status: st, RequesterID: req, OrganizationID: org}
	}
	tests := []struct {
		name    string
		mutate  func(*Policy)
		tickets []TicketRecord
		want    Customers
	}{
		{name: "nothing linked", want: Customers{}},
		{name: "organizations count once, weighted by tier",
			tickets: []TicketRecord{tk(1, StatusOpen, 10, 1), tk(2, StatusNew, 11, 1), tk(3, StatusPending, 12, 2), tk(4, StatusHold, 13, 3)},
			want:    Customers{Distinct: 3, Weighted: 8, ByTier: map[string]int{"enterprise": 1, "pro": 1, "free": 1}}},
		{name: "a ticket without organization counts its requester at the default weight",
			tickets: []TicketRecord{tk(1, StatusOpen, 10, 0), tk(2, StatusOpen, 10, 0), tk(3, StatusOpen, 11, 4)},
			want:    Customers{Distinct: 2, Weighted: 2}},
		{name: "solved, closed and deleted tickets do not count when counting open ones",
			tickets: []TicketRecord{tk(1, StatusSolved, 10, 1), tk(2, StatusClosed, 11, 2), tk(3, StatusDeleted, 12, 3), tk(4, StatusOpen, 13, 3)},
			want:    Customers{Distinct: 1, Weighted: 1, ByTier: map[string]int{"free": 1}}},
		{name: "all tickets count when configured, deleted never",
			mutate:  func(p *Policy) { p.CountTickets = CountAllTickets },
			tickets: []TicketRecord{tk(1, StatusSolved, 10, 1), tk(2, StatusClosed, 11, 2), tk(3, StatusDeleted, 12, 3)},
			want:    Customers{Distinct: 2, Weighted: 7, ByTier: map[string]int{"enterprise": 1, "pro": 1}}},
		{name: "requesters only: two people of one organization are two customers at their organization's weight",
			mutate:  func(p *Policy) { p.CountBy = CountByRequester },
			tickets: []TicketRecord{tk(1, StatusOpen, 10, 1), tk(2, StatusOpen, 11, 1)},
			want:    Customers{Distinct: 2, Weighted: 10, ByTier: map[string]int{"enterprise": 2}}},
		{name: "a requester seen in two organizations counts once, at the higher weight",
			mutate:  func(p *Policy) { p.CountBy = CountByRequester },
			tickets: []TicketRecord{tk(1, StatusOpen, 10, 3), tk(2, StatusOpen, 10, 1)},
			want:    Customers{Distinct: 1, Weighted: 5, ByTier: map[string]int{"enterprise": 1}}},
		{name: "tickets with neither organization nor requester are nobody",
			tickets: []TicketRecord{tk(1, StatusOpen, 0, 0)},
			want:    Customers{}},
		{name: "fractional weights round to two decimals",
			mutate:  func(p *Policy) { p.TierWeights = map[string]float64{"free": 0.1}; p.DefaultWeight = 0.2 },
			tickets: []TicketRecord{tk(1, StatusOpen, 10, 3), tk(2, StatusOpen, 11, 3+100), tk(3, StatusOpen, 12, 3+200)},
			want:    Customers{Distinct: 3, Weighted: 0.5, ByTier: map[string]int{"free": 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy()
			if tt.mutate != nil {
				tt.mutate(&p)
			}
			got := p.CountCustomers(tt.tickets, tiers)
			if got.Distinct != tt.want.Distinct || got.Weighted != tt.want.Weighted || !maps.Equal(got.ByTier, tt.want.ByTier) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDescribeCustomers(t *testing.T) {
	p := testPolicy()
	for _, tt := range []struct {
		c    Customers
		want string
	}{
		{Customers{Distinct: 1, Weighted: 1}, "1 customer"},
		{Customers{Distinct: 12, Weighted: 12}, "12 customers"},
		{Customers{Distinct: 12, Weighted: 24, ByTier: map[string]int{"enterprise": 3, "free": 9}}, "12 customers (3 enterprise)"},
		{Customers{Distinct: 5, Weighted: 13.5, ByTier: map[string]int{"pro": 2, "enterprise": 1}}, "5 customers (1 enterprise, 2 pro)"},
	} {
		if got := p.Describe(tt.c); got != tt.want {
			t.Errorf("Describe(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestWaitingOrganizations(t *testing.T) {
	tk := func(id int64, st TicketStatus, org int64) TicketRecord {
		return TicketRecord{ID: id, Status: st, RequesterID: 100 + id, OrganizationID: org}
	}
	tickets := []TicketRecord{tk(1, StatusOpen, 7), tk(2, StatusPending, 3), tk(3, StatusOpen, 7), tk(4, StatusSolved, 9),
		tk(5, StatusDeleted, 11), tk(6, StatusOpen, 0)}
	tests := []struct {
		name  string
		count CountTickets
		want  []int64
	}{
		{"open tickets: each organization once, in order; no organization is not listed", CountOpenTickets, []int64{3, 7}},
		{"all tickets: solved ones too, deleted never", CountAllTickets, []int64{3, 7, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy()
			p.CountTickets = tt.count
			if got := p.waitingOrganizations(tickets); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWaitingSince(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	now := t0.Add(72 * time.Hour)
	before := map[int64]time.Time{3: t0, 7: t0.Add(time.Hour)}
	tests := []struct {
		name string
		orgs []int64
		want map[int64]time.Time
	}{
		{"those still waiting keep their time, new ones start now, gone ones are dropped", []int64{3, 9}, map[int64]time.Time{3: t0, 9: now}},
		{"unchanged", []int64{3, 7}, before},
		{"nobody", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := waitingSince(before, tt.orgs, now)
			if !maps.EqualFunc(got, tt.want, time.Time.Equal) || (tt.want == nil) != (got == nil) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

package engine

import (
	"maps"
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
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	tk := func(id int64, st TicketStatus, org int64, age time.Duration) TicketRecord {
		r := TicketRecord{ID: id, Status: st, RequesterID: 100 + id, OrganizationID: org}
		if age >= 0 {
			r.CreatedAt = t0.Add(-age)
		}
		return r
	}
	const unknown = -1 // a record stored before creation times were kept
	day := 24 * time.Hour
	tickets := []TicketRecord{tk(1, StatusOpen, 7, 2*day), tk(2, StatusPending, 3, unknown), tk(3, StatusOpen, 7, 9*day),
		tk(4, StatusSolved, 9, 30*day), tk(5, StatusDeleted, 11, day), tk(6, StatusOpen, 0, day), tk(7, StatusOpen, 3, day)}
	tests := []struct {
		name  string
		count CountTickets
		want  map[int64]opened
	}{
		{"open tickets: each organization with its oldest ticket; no organization is not listed", CountOpenTickets,
			map[int64]opened{3: {Oldest: t0.Add(-day), Unknown: true}, 7: {Oldest: t0.Add(-9 * day)}}},
		{"all tickets: solved ones too, deleted never", CountAllTickets,
			map[int64]opened{3: {Oldest: t0.Add(-day), Unknown: true}, 7: {Oldest: t0.Add(-9 * day)}, 9: {Oldest: t0.Add(-30 * day)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy()
			p.CountTickets = tt.count
			if got := p.waitingOrganizations(tickets); !maps.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	if got := testPolicy().waitingOrganizations([]TicketRecord{tk(1, StatusSolved, 7, day)}); got != nil {
		t.Fatalf("nobody waits, got %v", got)
	}
}

func TestWaitingSince(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	now := t0.Add(72 * time.Hour)
	before := map[int64]time.Time{3: t0, 7: t0.Add(time.Hour)}
	long := t0.Add(-400 * 24 * time.Hour)
	tests := []struct {
		name string
		orgs map[int64]opened
		want map[int64]time.Time
	}{
		{"since the oldest ticket was opened, not since the service saw it", map[int64]opened{3: {Oldest: long}, 9: {Oldest: long}},
			map[int64]time.Time{3: long, 9: long}},
		{"a ticket opened after the organization was first seen waiting does not move it", map[int64]opened{3: {Oldest: t0.Add(time.Minute), Unknown: true}},
			map[int64]time.Time{3: t0}},
		{"a ticket opened before it does", map[int64]opened{3: {Oldest: long, Unknown: true}}, map[int64]time.Time{3: long}},
		{"creation unknown: those still waiting keep their time, new ones start now, gone ones are dropped",
			map[int64]opened{3: {Unknown: true}, 9: {Unknown: true}}, map[int64]time.Time{3: t0, 9: now}},
		{"creation unknown, unchanged", map[int64]opened{3: {Unknown: true}, 7: {Unknown: true}}, before},
		{"nobody", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := waitingSince(before, tt.orgs, now)
			if !maps.EqualFunc(got, tt.want, time.Time.Equal) || (tt.want == nil) != (got == nil) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for org, since := range got {
				if since.IsZero() {
					t.Fatalf("organization %d waits since the zero time", org)
				}
			}
		})
	}
}

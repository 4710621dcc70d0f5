package engine

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/texts"
)

// Open reports whether a ticket in status s still waits for an answer.
func (s TicketStatus) Open() bool {
	switch s {
	case StatusNew, StatusOpen, StatusPending, StatusHold:
		return true
	}
	return false
}

// Customers is who waits on a bug.
type Customers struct {
	Distinct int
	Weighted float64        // rounded to two decimals; what thresholds compare
	ByTier   map[string]int // distinct customers per tier; customers without one are not listed
	// Revenue is the revenue waiting: the sum of the revenues of the
	// distinct waiting organizations, rounded to two decimals; 0 when
	// revenue is not counted.
	Revenue float64
}

// CountCustomers counts the distinct customers of a bug's linked tickets.
// tiers holds the tier of each organization that has one. A customer seen
// with several weights (a requester in several organizations) counts once,
// at the highest.
func (p Policy) CountCustomers(tickets []TicketRecord, tiers map[int64]string) Customers {
	type customer struct {
		weight float64
		tier   string
	}
	type who struct {
		org bool
		id  int64
	}
	seen := make(map[who]customer)
	for _, t := range tickets {
		if !p.counts(t) {
			continue
		}
		var id who
		switch {
		case p.CountBy == CountByOrganization && t.OrganizationID != 0:
			id = who{org: true, id: t.OrganizationID}
		case t.RequesterID != 0:
			id = who{id: t.RequesterID}
		default:
			continue // nobody to count
		}
		tier := tiers[t.OrganizationID]
		c := customer{weight: p.Weight(tier), tier: tier}
		if prev, ok := seen[id]; !ok || c.weight > prev.weight {
			seen[id] = c
		}
	}
	out := Customers{Distinct: len(seen)}
	for _, c := range seen {
		out.Weighted += c.weight
		if c.tier != "" {
			if out.ByTier == nil {
				out.ByTier = make(map[string]int)
			}
			out.ByTier[c.tier]++
		}
	}
	out.Weighted = round2(out.Weighted)
	return out
}

// counts reports whether a linked ticket counts towards its bug's customers.
func (p Policy) counts(t TicketRecord) bool {
	return t.Status != StatusDeleted && (p.CountTickets != CountOpenTickets || t.Status.Open())
}

// opened is when an organization's counted tickets on a bug were opened:
// the creation of the oldest, and whether one of them has no known creation
// (a record stored before creation times were kept).
type opened struct {
	Oldest  time.Time
	Unknown bool
}

// waitingOrganizations are the organizations of the tickets that count,
// with when their tickets were opened: who the impact board lists as
// waiting on the bug. Requesters without an organization are counted but
// not listed.
func (p Policy) waitingOrganizations(tickets []TicketRecord) map[int64]opened {
	var out map[int64]opened
	for _, t := range tickets {
		if t.OrganizationID == 0 || !p.counts(t) {
			continue
		}
		if out == nil {
			out = make(map[int64]opened)
		}
		o := out[t.OrganizationID]
		switch {
		case t.CreatedAt.IsZero():
			o.Unknown = true
		case o.Oldest.IsZero() || t.CreatedAt.Before(o.Oldest):
			o.Oldest = t.CreatedAt
		}
		out[t.OrganizationID] = o
	}
	return out
}

// waitingSince is since when each organization waits on a bug: since its
// oldest counted ticket was opened, however late the service saw it (a
// backfill links years-old tickets in minutes). A ticket whose creation is
// not known stands in with when the organization was first seen waiting
// (before, or now for one not waiting before), and the earlier time wins.
func waitingSince(before map[int64]time.Time, orgs map[int64]opened, now time.Time) map[int64]time.Time {
	if len(orgs) == 0 {
		return nil
	}
	out := make(map[int64]time.Time, len(orgs))
	for id, o := range orgs {
		since := o.Oldest
		if o.Unknown || since.IsZero() {
			seen, ok := before[id]
			if !ok {
				seen = now
			}
			if since.IsZero() || seen.Before(since) {
				since = seen
			}
		}
		out[id] = since
	}
	return out
}

func sameStanding(a, b Standing) bool {
	return a.Category == b.Category && a.Customers.Distinct == b.Customers.Distinct && a.Customers.Weighted == b.Customers.Weighted &&
		a.Customers.Revenue == b.Customers.Revenue &&
		maps.Equal(a.Customers.ByTier, b.Customers.ByTier) && maps.EqualFunc(a.Waiting, b.Waiting, time.Time.Equal) &&
		sameAwaiting(a.Release, b.Release)
}

// Describe renders a count for people with the customers text, by default
// "12 customers (3 enterprise, 2 pro)". Tiers that weigh more than the
// default are listed, heaviest first.
func (p Policy) Describe(c Customers) string {
	d := texts.CustomerCount{Count: c.Distinct}
	for tier, n := range c.ByTier {
		if p.Weight(tier) > p.DefaultWeight {
			d.Tiers = append(d.Tiers, texts.Tier{Tier: tier, Count: n})
		}
	}
	slices.SortFunc(d.Tiers, func(a, b texts.Tier) int {
		return cmp.Or(cmp.Compare(p.Weight(b.Tier), p.Weight(a.Tier)), cmp.Compare(a.Tier, b.Tier))
	})
	return p.Texts.Render("", texts.Customers, d)
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func formatCount(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

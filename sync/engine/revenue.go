package engine

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/helpdesk-sync/helpdesk-sync/sync/texts"
)

// RevenuePolicy weighs bugs by the revenue waiting on them: the sum of a
// numeric organization field (annual recurring revenue, say) over the
// distinct organizations waiting on each bug. Every value is taken as
// Currency; nothing is converted, so one installation counts in one
// currency.
type RevenuePolicy struct {
	// Enabled: organizations carry a revenue, and bugs a revenue waiting.
	// Off, nothing about revenue is computed, written or shown.
	Enabled bool
	// Currency is the ISO 4217 code the values are in, e.g. EUR.
	Currency string
	// Field: the tracker has a number field the revenue waiting is
	// written to.
	Field bool
}

// Reached is the priority floor the thresholds give a bug, and why: the
// lowest customers and revenue thresholds of that priority the bug
// reaches, 0 for a criterion that does not reach it.
type Reached struct {
	Priority  string // "" when no threshold is reached
	Customers float64
	Revenue   float64
}

// Reason names what reached the floor: customers, revenue, or customers
// and revenue; "" when nothing did.
func (r Reached) Reason() string {
	switch {
	case r.Customers > 0 && r.Revenue > 0:
		return "customers and revenue"
	case r.Revenue > 0:
		return "revenue"
	case r.Customers > 0:
		return "customers"
	}
	return ""
}

// reaches reports by which criteria a bug with a weighted count and a
// revenue waiting reaches t. A threshold set on both is reached by either.
func (t Threshold) reaches(count, revenue float64) (byCustomers, byRevenue bool) {
	return t.Customers > 0 && count >= t.Customers, t.Revenue > 0 && revenue >= t.Revenue
}

// Reach is the minimum priority for a weighted count and a revenue
// waiting: the highest priority of the thresholds either reaches.
func (p Policy) Reach(count, revenue float64) Reached {
	var out Reached
	best := len(p.Priorities) + 1
	for _, t := range p.Thresholds {
		byC, byR := t.reaches(count, revenue)
		if !byC && !byR {
			continue
		}
		r, ok := p.Rank(t.Priority)
		if !ok || r > best {
			continue
		}
		if r < best {
			out, best = Reached{Priority: t.Priority}, r
		}
		if byC && (out.Customers == 0 || t.Customers < out.Customers) {
			out.Customers = t.Customers
		}
		if byR && (out.Revenue == 0 || t.Revenue < out.Revenue) {
			out.Revenue = t.Revenue
		}
	}
	return out
}

// validateThresholds checks each threshold names a known priority and a
// criterion: a customer count, a revenue (only when revenue is counted),
// or both, neither negative.
func (p Policy) validateThresholds() []error {
	var errs []error
	for i, t := range p.Thresholds {
		if _, ok := p.Rank(t.Priority); !ok || t.Priority == "" {
			errs = append(errs, fmt.Errorf("thresholds[%d].priority: %q is not one of priorities %v", i, t.Priority, p.Priorities))
		}
		switch {
		case t.Customers < 0 || math.IsNaN(t.Customers):
			errs = append(errs, fmt.Errorf("thresholds[%d].customers: %v must be more than zero", i, t.Customers))
		case t.Revenue < 0 || math.IsNaN(t.Revenue):
			errs = append(errs, fmt.Errorf("thresholds[%d].revenue: %v must be more than zero", i, t.Revenue))
		case t.Customers == 0 && t.Revenue == 0:
			errs = append(errs, fmt.Errorf("thresholds[%d]: set customers, revenue or both", i))
		case t.Revenue > 0 && !p.Revenue.Enabled:
			errs = append(errs, fmt.Errorf("thresholds[%d].revenue: set, but revenue is not counted (no revenue field)", i))
		}
	}
	if p.Revenue.Enabled && p.Revenue.Currency == "" {
		errs = append(errs, errors.New("revenue.currency: required when revenue is counted"))
	}
	return errs
}

// revenueOf sums the revenue of the organizations waiting on a bug, each
// once however many of its tickets count.
func revenueOf(waiting map[int64]opened, revenues map[int64]float64) float64 {
	sum := 0.0
	for id := range waiting {
		sum += revenues[id]
	}
	return round2(sum)
}

// FormatRevenue writes an amount for people: whole units grouped by
// thousands, cents only when there are any, then the currency, e.g.
// "120,000 EUR" or "99.50 EUR".
func (r RevenuePolicy) FormatRevenue(v float64) string {
	neg := v < 0
	v = math.Abs(round2(v))
	whole := math.Floor(v)
	cents := int(math.Round((v - whole) * 100))
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(texts.Thousands(strconv.FormatFloat(whole, 'f', 0, 64)))
	if cents != 0 {
		fmt.Fprintf(&b, ".%02d", cents)
	}
	if r.Currency != "" {
		b.WriteString(" " + r.Currency)
	}
	return b.String()
}

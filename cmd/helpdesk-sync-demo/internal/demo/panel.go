package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/helpdesk-sync/helpdesk-sync/sync/sidebar"
)

// showPanel prints what the agents' sidebar shows beside a ticket,
// computed by the sidebar's own view from the service's state.
func (d *run) showPanel(ctx context.Context, ticket int64) error {
	v, err := sidebar.View(ctx, sidebar.Source{State: d.svc.Store, Versions: d.svc.Tracker, Policy: d.policy}, ticket)
	if err != nil {
		return fmt.Errorf("demo: the sidebar's view of ticket %d: %w", ticket, err)
	}
	d.facts.Linked.Panel = v
	d.out.f("   The sidebar beside ticket #%d shows:\n", ticket)
	if len(v.Bugs) == 0 {
		d.out.f("     │ No bug linked.\n")
	}
	for _, b := range v.Bugs {
		d.out.f("     │ %s %q: %s (%s), priority %s\n", b.Key, b.Summary, b.Status, b.Category, b.Priority)
		if b.Fix != "" {
			d.out.f("     │ %s\n", b.Fix)
		}
		if len(b.FixVersions) > 0 && (b.Fix == "" || len(b.FixVersions) > 1) {
			var fix []string
			for _, f := range b.FixVersions {
				fix = append(fix, f.String())
			}
			d.out.f("     │ Fix version %s\n", strings.Join(fix, ", "))
		}
		d.out.f("     │ %s waiting (weighted %s; %s revenue waiting). %s\n", capital(plural(b.Customers.Distinct, "customer", "customers")),
			formatCount(b.Customers.Weighted), b.Customers.RevenueText, b.Standing)
		if len(b.Others) > 0 {
			var others []string
			for _, o := range b.Others {
				others = append(others, fmt.Sprintf("#%d (%s)", o.ID, o.Status))
			}
			more := ""
			if b.MoreOthers > 0 {
				more = fmt.Sprintf(" and %d more", b.MoreOthers)
			}
			d.out.f("     │ Other customers waiting: %s%s\n", strings.Join(others, ", "), more)
		}
	}
	return nil
}

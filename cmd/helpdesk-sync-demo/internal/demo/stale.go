package demo

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// goesStale: days pass with nobody touching the bugs customers wait on;
// then an engineer answers on one.
func (d *run) goesStale(ctx context.Context) error {
	jump := d.policy.Window("High") + 24*time.Hour
	d.out.section(4, "Time passes: "+days(jump)+" later, nobody has touched the bugs customers wait on")
	d.clock.Advance(jump)
	d.out.f("   (The simulated clock moves; bugs at High may sit for %s, at Highest for %s.)\n",
		days(d.policy.Window("High")), days(d.policy.Window("Highest")))
	s, err := d.settle(ctx, days(jump)+" later")
	if err != nil {
		return err
	}
	flagged := ofKind(s.Events, engine.EventStaleFlagged)
	if len(flagged) == 0 {
		d.out.f("   No bug turned stale.\n")
		return nil
	}
	d.out.f("   %s flagged stale: labelled %s, with a comment%s. The most wanted:\n",
		capital(plural(len(flagged), "bug", "bugs")), d.policy.Stale.Label, agree(len(flagged), "", " each"))
	type staleBug struct {
		is     jiratest.Issue
		detail string
	}
	var stale []staleBug
	for _, e := range flagged {
		is, _ := d.st.Jira.Issue(e.BugKey)
		stale = append(stale, staleBug{is, strings.TrimPrefix(e.Detail, "stale: ")})
	}
	slices.SortStableFunc(stale, func(a, b staleBug) int { return cmp.Compare(count(b.is), count(a.is)) }) // ties keep key order
	for i, b := range stale {
		if i == 4 {
			d.out.f("     … and %d more\n", len(stale)-i)
			break
		}
		d.out.f("     %-8s %-8s %s\n", b.is.Key, b.is.Priority, b.detail)
	}
	d.out.notices(s.Slack)
	pick := stale[0].is
	f := StaleFact{Bug: pick.Key}
	if c := d.serviceComments(pick.Key); len(c) > 0 {
		f.Comment = c[len(c)-1]
		d.out.f("   The comment on %s:\n", pick.Key)
		d.out.quote(f.Comment)
	}

	const reply = "Picked this up: reproduced, a fix is planned for this sprint."
	if _, err := d.st.Jira.AddComment(pick.Key, jiratest.Engineer, reply); err != nil {
		return fmt.Errorf("demo: comment on %s: %w", pick.Key, err)
	}
	d.out.f("   An engineer comments on %s: %q\n", pick.Key, reply)
	s, err = d.settle(ctx, "engineer replies")
	if err != nil {
		return err
	}
	is, _ := d.st.Jira.Issue(pick.Key)
	f.Lifted = !slices.Contains(is.Labels, d.policy.Stale.Label)
	lifted := slices.ContainsFunc(ofKind(s.Events, engine.EventStaleUnflagged), func(e engine.Event) bool { return e.BugKey == pick.Key })
	switch {
	case f.Lifted && lifted:
		d.out.f("   Next cycle: the flag is lifted, %s removed; the service says nothing more.\n", d.policy.Stale.Label)
	default:
		d.out.f("   Next cycle: %s still carries %s (labels %v).\n", pick.Key, d.policy.Stale.Label, is.Labels)
	}
	d.out.notices(s.Slack)
	d.facts.Stale = f
	return nil
}

// idle: one more cycle with nothing new, and what it costs.
func (d *run) idle(ctx context.Context) error {
	d.out.section(5, "An idle cycle")
	d.st.Zendesk.ResetRequests()
	d.st.Jira.ResetLog()
	s, err := d.settle(ctx, "idle")
	if err != nil {
		return err
	}
	d.facts.Idle = d.requests()
	d.out.f("   Nothing changed. The cycle made %s and, as the simulators' logs show, %s to Zendesk and %s to Jira:\n",
		plural(s.Report.Writes(), "write", "writes"), plural(s.Zendesk, "request", "requests"), plural(s.Jira, "request", "requests"))
	routes := make([]string, 0, len(d.facts.Idle))
	for r := range d.facts.Idle {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	for _, r := range routes {
		d.out.f("     %3d× %s\n", d.facts.Idle[r], r)
	}
	d.out.notices(s.Slack)
	return nil
}

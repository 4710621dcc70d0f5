package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// agentLinks: an agent links three more enterprise customers' tickets to a
// bug, and the next cycle counts them.
func (d *run) agentLinks(ctx context.Context) error {
	d.out.section(2, "An agent links three more enterprise tickets to a bug")
	bug, ok := d.bugToLink()
	if !ok {
		d.out.f("   No bug is open and unlocked: nothing to link.\n")
		return nil
	}
	picked := d.enterpriseTickets(bug, 3)
	if len(picked) == 0 {
		d.out.f("   Every enterprise customer already waits on %s: nothing to link.\n", bug.Key)
		return nil
	}
	var names []string
	for _, t := range picked {
		if !d.st.Zendesk.SetCustomField(t.ID, simulation.KeysFieldID, bug.Key) {
			return fmt.Errorf("demo: set the keys field of ticket %d", t.ID)
		}
		names = append(names, fmt.Sprintf("#%d (%s)", t.ID, orgName(d.st.Dataset, t.OrganizationID)))
	}
	d.out.f("   %s %q is %s at %s with a weighted count of %s.\n", bug.Key, bug.Summary, bug.Status.Name,
		bug.Priority, formatCount(count(bug)))
	d.out.f("   The agent types %s into the keys field of %s.\n", bug.Key, strings.Join(names, ", "))

	s, err := d.settle(ctx, "agent links")
	if err != nil {
		return err
	}
	after, _ := d.st.Jira.Issue(bug.Key)
	f := LinkFact{Bug: bug.Key, CountBefore: count(bug), CountAfter: count(after),
		PriorityBefore: bug.Priority, PriorityAfter: after.Priority}
	for _, t := range picked {
		f.Tickets = append(f.Tickets, t.ID)
	}
	d.facts.Linked = f
	d.out.f("   Next cycle (%s): customer count %s → %s, ", plural(s.Report.LinksAdded, "link", "links"),
		formatCount(f.CountBefore), formatCount(f.CountAfter))
	if f.PriorityAfter != f.PriorityBefore {
		d.out.f("priority %s → %s. The comment on the bug:\n", f.PriorityBefore, f.PriorityAfter)
		if c := d.serviceComments(bug.Key); len(c) > 0 {
			d.out.quote(c[len(c)-1])
		}
	} else {
		d.out.f("priority stays %s (no threshold crossed).\n", f.PriorityAfter)
	}
	d.out.notices(s.Slack)
	if t, ok := d.st.Zendesk.Ticket(f.Tickets[0]); ok {
		d.out.f("   Ticket #%d now shows %q, tags %s.\n", t.ID, statusField(t), strings.Join(d.statusTags(t), " "))
	}
	return d.showPanel(ctx, f.Tickets[0])
}

// bugToLink is the open, unlocked bug that three enterprise customers
// would raise, the most popular first; failing that, the most popular.
func (d *run) bugToLink() (jiratest.Issue, bool) {
	w := d.policy.Weight(simulation.TierEnterprise)
	var best jiratest.Issue
	found, bestRaises := false, false
	for _, is := range d.bugs() {
		if done(is) || slices.Contains(is.Labels, d.policy.PriorityLockedLabel) {
			continue
		}
		raises := d.outranks(d.policy.Floor(count(is)+3*w), is.Priority)
		if !found || raises && !bestRaises || raises == bestRaises && count(is) > count(best) {
			best, found, bestRaises = is, true, raises
		}
	}
	return best, found
}

// enterpriseTickets finds n open tickets of distinct enterprise customers
// that do not wait on bug yet and name no bug; when the account has too
// few, the missing customers write in.
func (d *run) enterpriseTickets(bug jiratest.Issue, n int) []zendesktest.Ticket {
	waiting := map[int64]bool{}
	for _, t := range d.linkedTickets(bug.Key) {
		waiting[t.OrganizationID] = true
	}
	var out []zendesktest.Ticket
	for tk := range d.st.Dataset.Tickets() {
		if len(out) == n {
			return out
		}
		t, ok := d.st.Zendesk.Ticket(tk.ID)
		if !ok || !isOpen(t) || d.tiers[t.OrganizationID] != simulation.TierEnterprise || waiting[t.OrganizationID] ||
			t.Field(simulation.KeysFieldID) != nil || slices.ContainsFunc(t.Tags, isLinkTag) {
			continue
		}
		out = append(out, t)
		waiting[t.OrganizationID] = true
	}
	for o := range d.st.Dataset.Orgs() {
		if len(out) == n {
			break
		}
		if o.Tier != simulation.TierEnterprise || waiting[o.ID] {
			continue
		}
		out = append(out, d.st.Zendesk.CreateTicket(zendesktest.Ticket{Subject: "We see this too: " + bug.Summary,
			Status: string(engine.StatusOpen), RequesterID: o.Users[0].ID, OrganizationID: o.ID}))
		waiting[o.ID] = true
	}
	return out
}

func isLinkTag(tag string) bool { return strings.HasPrefix(tag, simulation.LinkTagPrefix) }

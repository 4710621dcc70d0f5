package e2e_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// revenueJiraField is the Number field the scenarios write revenue to.
const revenueJiraField = "customfield_10043"

// withRevenue counts the organizations' arr field in EUR, writes it to
// revenueJiraField, and raises at 100,000 EUR waiting to High.
func withRevenue(o *servicetest.Options) {
	o.Config["REVENUE_FIELD"] = "arr"
	o.Config["REVENUE_CURRENCY"] = "EUR"
	o.Config["REVENUE_JIRA_FIELD"] = revenueJiraField
	o.Config["POLICY_THRESHOLDS"] = "3=Medium,10=High,25=Highest,revenue:100000=High"
	o.Jira = append(o.Jira, jiratest.WithNumberField(revenueJiraField, "Revenue waiting"))
}

// revenueOrg adds an organization with a tier and, unless arr is nil, an
// arr value.
func (e *env) revenueOrg(id int64, tier string, arr any) {
	fields := map[string]any{simulation.TierField: tier}
	if arr != nil {
		fields["arr"] = arr
	}
	e.Zendesk.AddOrganization(zendesktest.Organization{ID: id, Name: fmt.Sprintf("Customer %d", id), Fields: fields})
}

func (e *env) expectRevenue(key string, want float64) {
	e.t.Helper()
	v := e.issue(key).Custom[revenueJiraField]
	if v == nil || *v != want {
		e.t.Fatalf("issue %s: revenue waiting %v, want %v", key, deref(v), want)
	}
}

// Revenue alone raises a bug two customers wait on; the comment names the
// reason; an organization counts once however many tickets; a bad value
// counts 0. The lock label holds against revenue. When an organization's
// revenue changes (seen with its next ticket change), the field follows,
// on the bugs it waits on that did not change themselves too.
func TestRevenueRaisesFollowsOrganizationsAndRespectsTheLock(t *testing.T) {
	e := newEnv(t, withRevenue)
	b := e.Bug("PROJ", "Low")
	other := e.Bug("WEB", "Low")
	e.revenueOrg(101, "free", 90000)
	e.revenueOrg(102, "free", "15000.5")
	e.revenueOrg(103, "free", "n/a")
	t1 := e.Ticket(101, b.Key)
	e.Ticket(101, b.Key)
	e.Ticket(102, b.Key)
	e.Ticket(103, b.Key)
	e.Ticket(102, other.Key)
	e.settle()
	e.expectIssue(b.Key, "High", 3)
	e.expectRevenue(b.Key, 105000.5)
	e.expectIssue(other.Key, "Low", 1)
	e.expectRevenue(other.Key, 15000.5)
	c := e.serviceComments(b.Key)
	if len(c) != 1 || !strings.HasPrefix(c[0], "3 customers now report this (105,000.50 EUR waiting); raised to High by helpdesk-sync (revenue threshold 100,000 EUR).") {
		t.Fatalf("comments %q", c)
	}

	// Idle: nothing is written again.
	e.ResetLogs()
	e.settle()
	e.expectWrites(map[string]int{})

	// Organization 102's revenue grows; the export shows it beside a
	// change to one of 101's tickets on the first bug, and the other bug,
	// which 102 waits on and no ticket of which changed, follows too.
	e.Zendesk.SetOrganizationField(102, "arr", 30000)
	e.Zendesk.AddTags(t1, "vip")
	// The export sideloads the organizations of the changed tickets: make
	// 102 one of them.
	e.Zendesk.AddTags(e.Ticket(102, ""), "unrelated")
	e.ResetLogs()
	e.settle()
	e.expectRevenue(b.Key, 120000)
	e.expectRevenue(other.Key, 30000)
	if w := e.Writes()[jiraEdit]; w != 2 {
		t.Fatalf("%d edits, want one per bug: %v", w, e.Writes())
	}

	// Locked: revenue far above every threshold does not move it.
	if err := e.Jira.SetPriority(other.Key, "Lowest", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	if err := e.Jira.AddLabels(other.Key, jiratest.Engineer, simulation.LockedLabel); err != nil {
		t.Fatal(err)
	}
	e.Zendesk.SetOrganizationField(102, "arr", 900000)
	e.Zendesk.AddTags(e.Ticket(102, ""), "unrelated")
	e.settle()
	e.expectRevenue(other.Key, 900000)
	if is := e.issue(other.Key); is.Priority != "Lowest" {
		t.Fatalf("locked bug's priority %q", is.Priority)
	}
	if c := e.serviceComments(other.Key); len(c) != 0 {
		t.Fatalf("locked bug got comments %q", c)
	}
}

// Without revenue configured, nothing about it is read or written, even
// with organizations that carry an arr field.
func TestNoRevenueWhereNotConfigured(t *testing.T) {
	e := newEnv(t, func(o *servicetest.Options) {
		o.Jira = append(o.Jira, jiratest.WithNumberField(revenueJiraField, "Revenue waiting"))
	})
	b := e.Bug("PROJ", "Low")
	e.revenueOrg(101, "free", 900000)
	e.Ticket(101, b.Key)
	e.settle()
	if v := e.issue(b.Key).Custom[revenueJiraField]; v != nil {
		t.Fatalf("revenue field written: %v", *v)
	}
	for _, c := range e.serviceComments(b.Key) {
		if strings.Contains(c, "EUR") || strings.Contains(c, "revenue") {
			t.Fatalf("comment mentions revenue: %q", c)
		}
	}
	e.expectIssue(b.Key, "Low", 1)
}

// Without tier weights the organizations are still read, for revenue.
func TestRevenueWithoutTierWeights(t *testing.T) {
	e := newEnv(t, withRevenue, func(o *servicetest.Options) { o.Config["POLICY_TIER_WEIGHTS"] = "" })
	if len(e.Config.Policy.TierWeights) > 0 {
		t.Fatalf("tier weights %v", e.Config.Policy.TierWeights)
	}
	b := e.Bug("PROJ", "Low")
	e.revenueOrg(101, "enterprise", 250000)
	e.Ticket(101, b.Key)
	e.settle()
	e.expectIssue(b.Key, "High", 1)
	e.expectRevenue(b.Key, 250000)
}

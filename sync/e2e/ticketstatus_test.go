package e2e_test

import (
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// statusEnv is an env with the ticket status automation on: hold while the
// bug is open, open and back to the last agent once it is fixed.
func statusEnv(t *testing.T) *env {
	return newEnv(t, func(o *servicetest.Options) {
		o.Config["POLICY_TICKET_STATUS_ENABLED"] = "true"
		o.Config["POLICY_TICKET_STATUS_ASSIGN"] = "last_agent"
	})
}

func (e *env) agent(name string) int64 {
	return e.Zendesk.AddUser(zendesktest.User{Name: name, Email: name + "@acme.example", Role: "agent"}).ID
}

func (e *env) assign(id, agent, group int64) {
	e.Zendesk.UpdateTicket(id, func(tk *zendesktest.Ticket) { tk.AssigneeID, tk.GroupID = agent, group })
}

func (e *env) expectStatus(id int64, status string, assignee, group int64) {
	e.t.Helper()
	tk, ok := e.Zendesk.Ticket(id)
	if !ok {
		e.t.Fatalf("ticket %d is gone", id)
	}
	if tk.Status != status || tk.AssigneeID != assignee || tk.GroupID != group {
		e.t.Fatalf("ticket %d: status %s, assignee %d, group %d; want %s, %d, %d",
			id, tk.Status, tk.AssigneeID, tk.GroupID, status, assignee, group)
	}
}

// A bug's open tickets go on hold; an agent who opens one again is left
// alone; once the bug is fixed they come back open to the agent who had
// them when they were held; a solved ticket is never touched; and nothing
// is written twice.
func TestTicketStatusFollowsTheBug(t *testing.T) {
	e := statusEnv(t)
	ann, bob := e.agent("ann"), e.agent("bob")
	b := e.Bug("PROJ", "Low")
	e.org(101, "")
	held, reopened, solved := e.Ticket(101, b.Key), e.Ticket(101, b.Key), e.Ticket(101, b.Key)
	for _, id := range []int64{held, reopened, solved} {
		e.assign(id, ann, 7)
	}
	e.Zendesk.SetStatus(solved, "solved")
	e.settle()
	e.expectStatus(held, "hold", ann, 7)
	e.expectStatus(reopened, "hold", ann, 7)
	e.expectStatus(solved, "solved", ann, 7)

	// The agent takes one back; someone hands the other to bob.
	e.Zendesk.UpdateTicket(reopened, func(tk *zendesktest.Ticket) { tk.Status = "open" })
	e.assign(held, bob, 8)
	e.settle()
	e.expectStatus(reopened, "open", ann, 7)
	e.expectStatus(held, "hold", bob, 8)
	e.expectIdle()

	if err := e.Jira.Resolve(b.Key, "Done", "2.3.1", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.settle()
	e.expectTicket(held, b.Key+": Done (Done in 2.3.1)", "bug_fixed")
	e.expectStatus(held, "open", ann, 7)
	e.expectStatus(reopened, "open", ann, 7)
	e.expectStatus(solved, "solved", ann, 7)

	// Done once: an agent who puts it on hold again keeps it there.
	e.Zendesk.SetStatus(held, "hold")
	e.settle()
	e.expectStatus(held, "hold", ann, 7)
	e.expectIdle()
}

// Off by default: the same story writes no status and no assignee.
func TestTicketStatusOffByDefault(t *testing.T) {
	e := newEnv(t)
	ann := e.agent("ann")
	b := e.Bug("PROJ", "Low")
	e.org(101, "")
	id := e.Ticket(101, b.Key)
	e.assign(id, ann, 7)
	e.settle()
	e.expectStatus(id, "open", ann, 7) // not held
	if err := e.Jira.Resolve(b.Key, "Done", "2.3.1", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.settle()
	e.expectTicket(id, b.Key+": Done (Done in 2.3.1)", "bug_fixed")
	e.expectStatus(id, "open", ann, 7)
}

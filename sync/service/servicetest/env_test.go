package servicetest_test

import (
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// An Env links a ticket to its bug through the assembled service, and once
// settled a cycle writes nothing.
func TestEnvLinksAndSettles(t *testing.T) {
	e := servicetest.New(t, servicetest.Options{})
	project := simulation.ProjectKeys()[0]
	bug := e.Bug(project, "Low")
	ticket := e.Ticket(e.Org("enterprise"), bug.Key)
	e.Settle()

	tk, ok := e.Zendesk.Ticket(ticket)
	if !ok {
		t.Fatalf("ticket %d missing", ticket)
	}
	if got, _ := tk.Field(simulation.StatusFieldID).(string); got == "" {
		t.Fatalf("ticket %d shows no bug status after settling", ticket)
	}
	if n := e.Events.Counts()[engine.EventLinkAdded]; n != 1 {
		t.Fatalf("recorded %d link_added events, want 1: %v", n, e.Events.Counts())
	}
	e.ResetLogs()
	e.Cycle()
	if w := e.Writes(); len(w) != 0 {
		t.Fatalf("a cycle after settling wrote %v", w)
	}
}

// A seeded dataset arrives in the simulators, and the service works it off.
func TestEnvSeedsADataset(t *testing.T) {
	d, err := simulation.Generate(7, simulation.Size{Tickets: 30, Bugs: 5, Orgs: 6})
	if err != nil {
		t.Fatal(err)
	}
	e := servicetest.New(t, servicetest.Options{Dataset: d})
	if e.Summary.Tickets != 30 || e.Summary.Bugs != 5 {
		t.Fatalf("seeded %+v", e.Summary)
	}
	e.Settle()
	if w := e.Writes(); len(w) == 0 {
		t.Fatal("the service wrote nothing to a seeded account")
	}
}

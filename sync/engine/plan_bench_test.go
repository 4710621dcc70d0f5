package engine

import (
	"strconv"
	"testing"
)

// BenchmarkPlanBug plans a bug with 1000 linked tickets (the per-bug cost of
// a reconcile, all in memory).
func BenchmarkPlanBug(b *testing.B) {
	p := testPolicy()
	v := bugView{Bug: BugRecord{Bug: Bug{ID: "1", Key: "PROJ-1", Priority: "Low"}}, Epoch: "ep",
		Tiers: map[int64]string{}}
	v.Tickets, v.Links = openTickets(1000, func(i int) int64 { return int64(i%300 + 1) })
	for i := range int64(301) {
		v.Tiers[i] = []string{"enterprise", "pro", "free"}[i%3]
	}
	v.Written = writtenFor(v.Tickets)
	b.ReportAllocs()
	for b.Loop() {
		if plan := p.planBug(v); plan.Customers.Distinct != 300 {
			b.Fatal(plan.Customers)
		}
	}
}

// BenchmarkPlanTicket plans a ticket linked to three bugs with a note due.
func BenchmarkPlanTicket(b *testing.B) {
	p := testPolicy()
	v := ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, Tags: []string{"bug_open"}}, Epoch: "ep", Marks: map[string]NoteMark{}}
	for i := range 3 {
		id := strconv.Itoa(10 + i)
		v.Bugs = append(v.Bugs, BugRecord{Bug: Bug{ID: id, Key: "PROJ-" + id, Status: "In Progress", Summary: "s"}, State: StateInProgress, Seq: 2})
		v.Marks[id] = NoteMark{Seq: 1}
	}
	b.ReportAllocs()
	for b.Loop() {
		if plan := p.planTicket(v); plan.Update.Note == "" {
			b.Fatal("no note")
		}
	}
}

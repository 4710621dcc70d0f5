package engine

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func followPolicy(mutate ...func(*FollowPolicy)) Policy {
	p := Policy{Follow: FollowPolicy{Enabled: true, WhileOpen: StatusHold, When: FollowFixed, Then: StatusOpen,
		Assign: Assign{Kind: AssignLastAgent}}}
	for _, m := range mutate {
		m(&p.Follow)
	}
	return p
}

func TestPlanStatus(t *testing.T) {
	stamp := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	bug := func(id string, s BugState) BugRecord { return BugRecord{Bug: Bug{ID: id, Key: "PROJ-" + id}, State: s} }
	ticket := func(s TicketStatus, assignee, group int64, act StatusAct) TicketRecord {
		return TicketRecord{ID: 7, Status: s, AssigneeID: assignee, GroupID: group, Act: act, UpdatedAt: stamp}
	}
	held := StatusAct{Phase: WaitOpen, Set: StatusHold, AgentID: 11, GroupID: 21}
	released := StatusAct{Phase: WaitOver, Set: StatusOpen}
	id := func(n int64) *int64 { return &n }
	type want struct {
		status          TicketStatus
		assignee, group *int64
		act             *StatusAct // nil: memory unchanged
	}
	tests := []struct {
		name   string
		policy Policy
		ticket TicketRecord
		bugs   []BugRecord
		reopen bool // the notes reopen the ticket in the same update
		want   want
	}{
		{name: "off by default: nothing", policy: Policy{},
			ticket: ticket(StatusOpen, 11, 21, StatusAct{}), bugs: []BugRecord{bug("1", StateToDo)}},
		{name: "bug open: hold, remembering the agent",
			policy: followPolicy(), ticket: ticket(StatusOpen, 11, 21, StatusAct{}), bugs: []BugRecord{bug("1", StateInProgress)},
			want: want{status: StatusHold, act: &held}},
		{name: "bug open, ticket already on hold: only remembered",
			policy: followPolicy(), ticket: ticket(StatusHold, 11, 21, StatusAct{}), bugs: []BugRecord{bug("1", StateToDo)},
			want: want{act: &held}},
		{name: "bug open, agent set it open after the hold: left alone",
			policy: followPolicy(), ticket: ticket(StatusOpen, 11, 21, held), bugs: []BugRecord{bug("1", StateToDo)}},
		{name: "bug open, agent reassigned after the hold: left alone",
			policy: followPolicy(), ticket: ticket(StatusHold, 12, 22, held), bugs: []BugRecord{bug("1", StateInProgress)}},
		{name: "bug open, solved ticket: not held, phase remembered",
			policy: followPolicy(), ticket: ticket(StatusSolved, 11, 21, StatusAct{}), bugs: []BugRecord{bug("1", StateToDo)},
			want: want{act: &StatusAct{Phase: WaitOpen, AgentID: 11, GroupID: 21}}},
		{name: "bug open, solved ticket with reopen_solved: still not held",
			policy: func() Policy { p := followPolicy(); p.ReopenSolved = true; return p }(),
			ticket: ticket(StatusSolved, 11, 21, StatusAct{}), bugs: []BugRecord{bug("1", StateToDo)},
			want: want{act: &StatusAct{Phase: WaitOpen, AgentID: 11, GroupID: 21}}},
		{name: "bug reopened on a solved ticket the notes reopen: held",
			policy: followPolicy(), ticket: ticket(StatusSolved, 11, 21, released), bugs: []BugRecord{bug("1", StateInProgress)},
			reopen: true, want: want{status: StatusHold, act: &held}},
		{name: "bug fixed: open and back to the agent",
			policy: followPolicy(), ticket: ticket(StatusHold, 12, 22, held), bugs: []BugRecord{bug("1", StateDone)},
			want: want{status: StatusOpen, assignee: id(11), group: id(21), act: &released}},
		{name: "bug fixed, same agent and group: status only",
			policy: followPolicy(), ticket: ticket(StatusHold, 11, 21, held), bugs: []BugRecord{bug("1", StateDone)},
			want: want{status: StatusOpen, act: &released}},
		{name: "bug fixed, agent had opened it: assigned back only",
			policy: followPolicy(), ticket: ticket(StatusOpen, 12, 21, held), bugs: []BugRecord{bug("1", StateDone)},
			want: want{assignee: id(11), act: &released}},
		{name: "bug fixed, nobody was assigned: status only",
			policy: followPolicy(), ticket: ticket(StatusHold, 12, 22, StatusAct{Phase: WaitOpen, Set: StatusHold}),
			bugs: []BugRecord{bug("1", StateDone)}, want: want{status: StatusOpen, act: &released}},
		{name: "bug fixed, assign none",
			policy: followPolicy(func(f *FollowPolicy) { f.Assign = Assign{Kind: AssignNone} }),
			ticket: ticket(StatusHold, 12, 22, held), bugs: []BugRecord{bug("1", StateDone)},
			want: want{status: StatusOpen, act: &released}},
		{name: "bug fixed, assign to a group: its queue, unassigned",
			policy: followPolicy(func(f *FollowPolicy) { f.Assign = Assign{Kind: AssignGroup, GroupID: 30} }),
			ticket: ticket(StatusHold, 12, 22, held), bugs: []BugRecord{bug("1", StateDone)},
			want: want{status: StatusOpen, assignee: id(0), group: id(30), act: &released}},
		{name: "bug won't fix: released too",
			policy: followPolicy(), ticket: ticket(StatusHold, 11, 21, held), bugs: []BugRecord{bug("1", StateWontFix)},
			want: want{status: StatusOpen, act: &released}},
		{name: "when released: a fixed bug still waits",
			policy: followPolicy(func(f *FollowPolicy) { f.When = FollowReleased }),
			ticket: ticket(StatusHold, 11, 21, held), bugs: []BugRecord{bug("1", StateDone)}},
		{name: "when released: released bug releases",
			policy: followPolicy(func(f *FollowPolicy) { f.When = FollowReleased }),
			ticket: ticket(StatusHold, 11, 21, held), bugs: []BugRecord{bug("1", StateReleased)},
			want: want{status: StatusOpen, act: &released}},
		{name: "two bugs, one still open: still waiting",
			policy: followPolicy(), ticket: ticket(StatusHold, 11, 21, held),
			bugs: []BugRecord{bug("1", StateDone), bug("2", StateInProgress)}},
		{name: "two bugs, the last fixed: released",
			policy: followPolicy(), ticket: ticket(StatusHold, 11, 21, held),
			bugs: []BugRecord{bug("1", StateDone), bug("2", StateWontFix)},
			want: want{status: StatusOpen, act: &released}},
		{name: "fixed, agent put it back on hold after the release: left alone",
			policy: followPolicy(), ticket: ticket(StatusHold, 11, 21, released), bugs: []BugRecord{bug("1", StateDone)}},
		{name: "fixed, solved meanwhile: left solved, phase remembered",
			policy: followPolicy(), ticket: ticket(StatusSolved, 11, 21, held), bugs: []BugRecord{bug("1", StateDone)},
			want: want{act: &StatusAct{Phase: WaitOver}}},
		{name: "fixed, solved meanwhile, reopen_solved: reopened to then",
			policy: func() Policy { p := followPolicy(); p.ReopenSolved = true; return p }(),
			ticket: ticket(StatusSolved, 12, 21, held), bugs: []BugRecord{bug("1", StateDone)},
			want: want{status: StatusOpen, assignee: id(11), act: &released}},
		{name: "fixed, never held: left alone",
			policy: followPolicy(), ticket: ticket(StatusPending, 11, 21, StatusAct{}), bugs: []BugRecord{bug("1", StateDone)}},
		{name: "reopened after the release: held again, remembering today's agent",
			policy: followPolicy(), ticket: ticket(StatusOpen, 12, 22, released), bugs: []BugRecord{bug("1", StateInProgress)},
			want: want{status: StatusHold, act: &StatusAct{Phase: WaitOpen, Set: StatusHold, AgentID: 12, GroupID: 22}}},
		{name: "unlinked while held: released, memory forgotten",
			policy: followPolicy(), ticket: ticket(StatusHold, 12, 22, held),
			want: want{status: StatusOpen, assignee: id(11), group: id(21), act: &StatusAct{}}},
		{name: "unlinked after the agent opened it: left, memory forgotten",
			policy: followPolicy(), ticket: ticket(StatusPending, 12, 22, held), want: want{act: &StatusAct{}}},
		{name: "unlinked after the release: memory forgotten",
			policy: followPolicy(), ticket: ticket(StatusOpen, 11, 21, released), want: want{act: &StatusAct{}}},
		{name: "no bugs, never acted: nothing",
			policy: followPolicy(), ticket: ticket(StatusOpen, 11, 21, StatusAct{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := ticketPlan{Update: TicketUpdate{ID: tt.ticket.ID, Reopen: tt.reopen}}
			tt.policy.planStatus(&plan, tt.ticket, tt.bugs)
			u := plan.Update
			if u.Status != tt.want.status {
				t.Errorf("status = %q, want %q", u.Status, tt.want.status)
			}
			if !sameID(u.AssigneeID, tt.want.assignee) || !sameID(u.GroupID, tt.want.group) {
				t.Errorf("assignee, group = %s, %s; want %s, %s", idText(u.AssigneeID), idText(u.GroupID), idText(tt.want.assignee), idText(tt.want.group))
			}
			switch {
			case (plan.Act == nil) != (tt.want.act == nil):
				t.Errorf("act = %+v, want %+v", plan.Act, tt.want.act)
			case plan.Act != nil && *plan.Act != *tt.want.act:
				t.Errorf("act = %+v, want %+v", *plan.Act, *tt.want.act)
			}
			if stamped := !u.UpdatedStamp.IsZero(); stamped != u.writesStatus() {
				t.Errorf("conditional = %v, but writes status = %v: a status write must not cross an agent's edit", stamped, u.writesStatus())
			}
		})
	}
}

// TestPlanTicketFollow checks the automation inside the whole ticket plan:
// closed tickets are never touched, and a status write makes the plan
// write, conditionally.
func TestPlanTicketFollow(t *testing.T) {
	stamp := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	p := followPolicy()
	bugs := []BugRecord{{Bug: Bug{ID: "1", Key: "PROJ-1"}, State: StateInProgress}}
	closed := p.planTicket(ticketView{Ticket: TicketRecord{ID: 1, Status: StatusClosed, UpdatedAt: stamp}, Bugs: bugs})
	if closed.writes() || closed.Act != nil {
		t.Errorf("closed ticket: plan %+v, want nothing", closed)
	}
	open := p.planTicket(ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, StatusField: "PROJ-1: ", UpdatedAt: stamp}, Bugs: bugs})
	if !open.writes() || open.Update.Status != StatusHold || !open.Update.UpdatedStamp.Equal(stamp) {
		t.Errorf("open ticket: update %+v, want a conditional hold", open.Update)
	}
}

func TestFollowValidate(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(*FollowPolicy)
		want   string // "" for valid
	}{
		{"valid", func(*FollowPolicy) {}, ""},
		{"disabled needs nothing", func(f *FollowPolicy) { *f = FollowPolicy{} }, ""},
		{"bad while_open", func(f *FollowPolicy) { f.WhileOpen = "on-hold" }, `ticket_status.while_open: "on-hold"`},
		{"solved is not a then", func(f *FollowPolicy) { f.Then = StatusSolved }, `ticket_status.then: "solved"`},
		{"same status", func(f *FollowPolicy) { f.Then = StatusHold }, "same as while_open"},
		{"bad when", func(f *FollowPolicy) { f.When = "shipped" }, `ticket_status.when: "shipped"`},
		{"bad assign", func(f *FollowPolicy) { f.Assign = Assign{Kind: "agent"} }, `ticket_status.assign: "agent"`},
		{"group without id", func(f *FollowPolicy) { f.Assign = Assign{Kind: AssignGroup} }, "group:<id>"},
	} {
		err := followPolicy(tt.mutate).Follow.validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: validate = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func sameID(a, b *int64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func idText(p *int64) string {
	if p == nil {
		return "nil"
	}
	return strconv.FormatInt(*p, 10)
}

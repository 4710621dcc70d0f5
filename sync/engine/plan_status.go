package engine

import (
	"errors"
	"fmt"
	"slices"
)

// FollowPolicy is the opt-in ticket-status automation: while a ticket's
// bugs are open it is set to WhileOpen (say on-hold, out of the agent's
// queue); once they are all done it is set to Then (say open, back in the
// queue) and optionally assigned back.
//
// The automation acts once per phase transition of the ticket's bugs, and
// remembers in the ticket's record (TicketRecord.Act) which phase it acted
// on: an agent who changes the status or assignee afterwards is never
// overruled within that phase.
type FollowPolicy struct {
	Enabled   bool
	WhileOpen TicketStatus
	When      FollowWhen
	Then      TicketStatus
	Assign    Assign
}

// FollowWhen chooses when a ticket's bugs count as done.
type FollowWhen string

const (
	// FollowFixed: every linked bug is fixed (done or released) or won't
	// be fixed.
	FollowFixed FollowWhen = "fixed"
	// FollowReleased: every linked bug's fix is released, or it won't be
	// fixed. A fixed bug whose version has not shipped still waits.
	FollowReleased FollowWhen = "released"
)

// AssignKind is whom a ticket goes back to when its bugs are done.
type AssignKind string

const (
	AssignNone      AssignKind = "none"       // the assignee is left as it is
	AssignLastAgent AssignKind = "last_agent" // the assignee when the ticket was set WhileOpen
	AssignGroup     AssignKind = "group"      // the group's queue, unassigned
)

// Assign is whom a ticket goes back to; GroupID is the group of
// AssignGroup.
type Assign struct {
	Kind    AssignKind
	GroupID int64
}

// WaitPhase is where a ticket's linked bugs stand for the automation.
type WaitPhase uint8

const (
	WaitNone WaitPhase = iota // no linked bug, or nothing acted on yet
	WaitOpen                  // some linked bug is still open
	WaitOver                  // every linked bug is done (per FollowWhen)
)

// StatusAct is what the automation last did to a ticket: the phase it
// acted on, the status it set ("" when it could not act, e.g. the ticket
// was solved), and, on WaitOpen, the assignee and group the ticket had,
// which AssignLastAgent gives it back.
type StatusAct struct {
	Phase   WaitPhase
	Set     TicketStatus
	AgentID int64
	GroupID int64
}

// followStatuses are the statuses the automation may set: a ticket that
// still waits for someone. new cannot be set on an existing ticket, and
// solved or closed would end the customer's conversation unanswered.
var followStatuses = []TicketStatus{StatusOpen, StatusPending, StatusHold}

func (f FollowPolicy) validate() error {
	if !f.Enabled {
		return nil
	}
	var errs []error
	if !slices.Contains(followStatuses, f.WhileOpen) {
		errs = append(errs, fmt.Errorf("ticket_status.while_open: %q must be one of open, pending, hold", f.WhileOpen))
	}
	if !slices.Contains(followStatuses, f.Then) {
		errs = append(errs, fmt.Errorf("ticket_status.then: %q must be one of open, pending, hold", f.Then))
	}
	if f.WhileOpen == f.Then {
		errs = append(errs, fmt.Errorf("ticket_status.then: %q is the same as while_open; the ticket would never move", f.Then))
	}
	switch f.When {
	case FollowFixed, FollowReleased:
	default:
		errs = append(errs, fmt.Errorf("ticket_status.when: %q is not fixed or released", f.When))
	}
	switch f.Assign.Kind {
	case AssignNone, AssignLastAgent:
	case AssignGroup:
		if f.Assign.GroupID <= 0 {
			errs = append(errs, fmt.Errorf("ticket_status.assign: group id %d must be a positive number (group:<id>)", f.Assign.GroupID))
		}
	default:
		errs = append(errs, fmt.Errorf("ticket_status.assign: %q is not none, last_agent or group:<id>", f.Assign.Kind))
	}
	return errors.Join(errs...)
}

// done reports whether a bug in state s no longer keeps its tickets
// waiting. Won't fix is done in both modes: nothing more will come, and the
// agent has to tell the customer.
func (f FollowPolicy) done(s BugState) bool {
	switch s {
	case StateWontFix, StateReleased:
		return true
	case StateDone:
		return f.When == FollowFixed
	}
	return false
}

// phase is where bugs stand: WaitNone without bugs.
func (f FollowPolicy) phase(bugs []BugRecord) WaitPhase {
	if len(bugs) == 0 {
		return WaitNone
	}
	for _, b := range bugs {
		if !f.done(b.State) {
			return WaitOpen
		}
	}
	return WaitOver
}

// planStatus adds the automation's status and assignment to the plan,
// with the Act to remember once the plan is carried out, when the
// ticket's bugs entered a phase the automation has not acted on:
//
//   - WaitOpen: the ticket is set to WhileOpen, remembering its assignee;
//     a solved ticket is left alone (its agent answered without the fix).
//   - WaitOver after WaitOpen: set to Then and assigned back; a solved
//     ticket only with ReopenSolved. A ticket never seen waiting is left
//     alone: it was not taken out of anyone's queue.
//   - WaitNone after WaitOpen (every bug unlinked): nothing keeps the
//     ticket waiting; it is released like WaitOver only while it still has
//     the status the automation set, and the memory is forgotten.
//
// Closed and deleted tickets never reach here. Any write is conditional
// on the ticket's stamp, so an agent's concurrent edit wins and the ticket
// is planned again from what the agent left.
func (p Policy) planStatus(plan *ticketPlan, t TicketRecord, bugs []BugRecord) {
	f := p.Follow
	if !f.Enabled {
		return
	}
	status := t.Status
	if plan.Update.Reopen {
		status = StatusOpen
	}
	last := t.Act
	now := f.phase(bugs)
	if now == last.Phase {
		return // acted on this phase already: what people did since stands
	}
	var act StatusAct
	switch {
	case now == WaitOpen:
		act = StatusAct{Phase: WaitOpen, AgentID: t.AssigneeID, GroupID: t.GroupID}
		if status.Open() {
			act.Set = f.WhileOpen
			p.setStatus(plan, status, f.WhileOpen)
		}
	case last.Phase != WaitOpen:
		// WaitOver or WaitNone after WaitOver: the ticket was not held.
		if now == WaitNone {
			plan.Act = &StatusAct{}
		}
		return
	case now == WaitOver:
		act = StatusAct{Phase: WaitOver}
		if status.Open() || status == StatusSolved && p.ReopenSolved {
			act.Set = f.Then
			p.release(plan, t, status, last)
		}
	default: // WaitNone after WaitOpen
		if last.Set != "" && status == last.Set {
			p.release(plan, t, status, last)
		}
	}
	plan.Act = &act
	if plan.Update.Status != "" || plan.Update.AssigneeID != nil || plan.Update.GroupID != nil {
		plan.Update.UpdatedStamp = t.UpdatedAt
	}
}

// release sets the ticket to Then and assigns it back.
func (p Policy) release(plan *ticketPlan, t TicketRecord, status TicketStatus, held StatusAct) {
	p.setStatus(plan, status, p.Follow.Then)
	switch a := p.Follow.Assign; a.Kind {
	case AssignLastAgent:
		if held.AgentID != 0 && held.AgentID != t.AssigneeID {
			agent := held.AgentID
			plan.Update.AssigneeID = &agent
			if held.GroupID != 0 && held.GroupID != t.GroupID {
				group := held.GroupID
				plan.Update.GroupID = &group
			}
		}
	case AssignGroup:
		if t.GroupID != a.GroupID || t.AssigneeID != 0 {
			group, nobody := a.GroupID, int64(0)
			plan.Update.GroupID, plan.Update.AssigneeID = &group, &nobody
		}
	}
}

// setStatus sets want unless the ticket already has it; a reopen the
// notes planned gives way to it.
func (p Policy) setStatus(plan *ticketPlan, status, want TicketStatus) {
	if status != want {
		plan.Update.Status = want
	}
}

// writesStatus reports whether u carries the automation's fields.
func (u TicketUpdate) writesStatus() bool {
	return u.Status != "" || u.AssigneeID != nil || u.GroupID != nil
}

package engine

import (
	"cmp"
	"slices"
	"strings"
)

// ticketView is everything reconciling one ticket looks at.
type ticketView struct {
	Ticket TicketRecord
	Bugs   []BugRecord         // the linked bugs the store knows
	Marks  map[string]NoteMark // by bug id; none in flight (resolved first)
	Epoch  string
}

// ticketPlan is the one minimal update a ticket needs, and the note marks
// that change with it.
type ticketPlan struct {
	Update TicketUpdate
	// Notes are the bug Seqs the update's note tells about, by bug id; their
	// marks advance only once the update succeeds.
	Notes map[string]int
	// Baseline are marks that advance without a note (the agent need not be
	// told, or cannot be); they are saved whether or not anything is written.
	Baseline map[string]NoteMark
	// Drop are marks of bugs the ticket no longer links to.
	Drop []string
	// Act, when not nil, is the status automation's new memory of the
	// ticket, saved once the update succeeds (at once when nothing is
	// written); see planStatus.
	Act *StatusAct
}

func (t ticketPlan) writes() bool {
	u := t.Update
	return u.StatusField != nil || len(u.AddTags) > 0 || len(u.RemoveTags) > 0 || u.Note != "" || u.Reopen || u.writesStatus()
}

func (p Policy) planTicket(v ticketView) ticketPlan {
	t := v.Ticket
	bugs := slices.SortedFunc(slices.Values(v.Bugs), func(a, b BugRecord) int { return cmp.Compare(a.Key, b.Key) })
	plan := ticketPlan{Update: TicketUpdate{ID: t.ID}}
	for id := range v.Marks {
		if !slices.ContainsFunc(bugs, func(b BugRecord) bool { return b.ID == id }) {
			plan.Drop = append(plan.Drop, id)
		}
	}
	slices.Sort(plan.Drop)
	if t.Status == StatusDeleted || t.Status == StatusClosed {
		// A closed ticket cannot be written; its agent has moved on.
		plan.Baseline = baselines(bugs, v.Marks)
		return plan
	}

	if field := statusFieldText(bugs); field != t.StatusField {
		plan.Update.StatusField = &field
	}
	plan.Update.AddTags, plan.Update.RemoveTags = p.tagDelta(t, bugs)
	if p.Notes {
		p.planNotes(&plan, v, bugs)
	}
	p.planStatus(&plan, t, bugs)
	if plan.Update.Note != "" {
		// A note (and a reopen) must not cross an agent's edit: it is
		// written only over the version it was planned on, which also keeps
		// it from going out twice. The field is the engine's own and tags go
		// as deltas, so without a note the write needs no stamp and can go
		// in a batch.
		plan.Update.UpdatedStamp = t.UpdatedAt
	}
	return plan
}

// tagDelta keeps exactly the status tag of the worst linked bug among the
// managed tags, leaving every other tag to people.
func (p Policy) tagDelta(t TicketRecord, bugs []BugRecord) (add, remove []string) {
	want := ""
	if len(bugs) > 0 {
		want = p.StatusTags.Tag(worst(bugs).State)
	}
	if want != "" && !slices.Contains(t.Tags, want) {
		add = []string{want}
	}
	for _, tag := range t.Tags {
		if tag != want && slices.Contains(p.StatusTags.All(), tag) {
			remove = append(remove, tag)
		}
	}
	return add, remove
}

// planNotes decides, per linked bug, whether the agent is owed a note: the
// bug changed state since the agent was last told (or, for a bug without a
// mark, since what the ticket's status tag shows), to a state worth telling,
// and the ticket still waits for an answer (a solved one only when reopening
// is allowed).
func (p Policy) planNotes(plan *ticketPlan, v ticketView, bugs []BugRecord) {
	t := v.Ticket
	eligible := t.Status.Open() || (t.Status == StatusSolved && p.ReopenSolved)
	var notes, noted []string
	for _, b := range bugs {
		m, marked := v.Marks[b.ID]
		var changed bool
		if marked {
			changed = b.Seq > m.Seq
		} else {
			changed = p.shownState(t, bugs, b) != b.State
		}
		if changed && eligible && noteWorthy(b.State) {
			if plan.Notes == nil {
				plan.Notes = map[string]int{}
			}
			plan.Notes[b.ID] = b.Seq
			notes = append(notes, p.noteText(b, t.Locale, noteMarker(v.Epoch, b.ID, b.Seq)))
			noted = append(noted, b.Key)
			continue
		}
		if !marked || m.Seq != b.Seq {
			if plan.Baseline == nil {
				plan.Baseline = map[string]NoteMark{}
			}
			plan.Baseline[b.ID] = NoteMark{Seq: b.Seq}
		}
	}
	if len(notes) == 0 {
		return
	}
	note := strings.Join(notes, "\n\n")
	if t.Status == StatusSolved {
		plan.Update.Reopen = true
		note = p.reopenText(t.Locale, noted) + "\n\n" + note
	}
	plan.Update.Note = note
}

// shownState is the state the ticket shows for b before any mark exists:
// what its status tag says when b is its only bug, else b's own state. A
// state lost with Redis is recovered this way, and a note the ticket already
// reflects is never sent twice.
func (p Policy) shownState(t TicketRecord, bugs []BugRecord, b BugRecord) BugState {
	if len(bugs) != 1 {
		return b.State
	}
	var shown []BugState
	for _, tag := range t.Tags {
		if s, ok := p.StatusTags.StateOfTag(tag); ok {
			shown = append(shown, s)
		}
	}
	if len(shown) != 1 {
		return b.State
	}
	return shown[0]
}

func baselines(bugs []BugRecord, marks map[string]NoteMark) map[string]NoteMark {
	var out map[string]NoteMark
	for _, b := range bugs {
		if m, ok := marks[b.ID]; !ok || m.Seq != b.Seq {
			if out == nil {
				out = map[string]NoteMark{}
			}
			out[b.ID] = NoteMark{Seq: b.Seq}
		}
	}
	return out
}

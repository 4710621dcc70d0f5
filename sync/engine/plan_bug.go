package engine

import (
	"maps"
	"slices"
	"time"
)

// bugView is everything reconciling one bug looks at.
type bugView struct {
	Bug    BugRecord
	Memory BugMemory
	// Standing is the one written with Memory: its Waiting keeps since
	// when organizations whose tickets' creation is unknown wait.
	Standing Standing
	Links    map[int64]LinkSource
	Tickets  map[int64]TicketRecord // the linked tickets the store knows
	Tiers    map[int64]string       // organization id → tier
	Written  map[int64]WrittenLink  // remote links last written, by ticket
	Epoch    string
	Now      time.Time // when the bug is judged stale or not
	// HoldPriority: the guard withholds priority changes, so the bug is
	// judged stale by the priority it keeps.
	HoldPriority bool
	// Holder is the claimant the bug was claimed for: its memory is written
	// only while that claim holds.
	Holder string

	// Revenues are the organizations' revenues, when revenue is counted;
	// organizations without one are absent.
	Revenues map[int64]float64
}

// bugPlan is the minimal set of writes that makes a bug what the policy
// wants: at most one edit, the comments owed, and the remote links that
// differ from what was last written.
type bugPlan struct {
	Edit        BugEdit
	FromPrio    string // set when Edit changes the priority
	Customers   Customers
	OpenTickets int
	Waiting     map[int64]opened // organizations of the counted tickets
	// Bump is the comment owed for a priority change: one this plan makes,
	// or one an earlier run planned and may not have finished.
	Bump *Pending
	// StaleNote is the comment owed for the current stale episode; it is
	// posted once the stale label is on the bug.
	StaleNote *Pending
	// Flag, when set, flags the bug stale now; Edit and StaleNote already
	// carry its label and comment. The record must keep it before the
	// label is written.
	Flag *StaleFlag
	// AskSince is set when whether the bug is stale depends on whose its
	// unattributed updates were: the tracker is asked about activity by
	// others after it, and the bug planned again.
	AskSince time.Time
	Upserts  map[int64]RemoteLink
	Deletes  map[int64]WrittenLink
}

func (b bugPlan) hasEdit() bool {
	return b.Edit.Priority != "" || b.Edit.CustomerCount != nil || b.Edit.Revenue != nil || len(b.Edit.AddLabels) > 0 || len(b.Edit.RemoveLabels) > 0
}

func (b bugPlan) changesPriority() bool { return b.Edit.Priority != "" }

// writes reports whether the plan writes anything to the bug.
func (b bugPlan) writes() bool {
	return b.hasEdit() || b.Bump != nil || b.StaleNote != nil || len(b.Upserts) > 0 || len(b.Deletes) > 0
}

// withoutPriority drops the priority change and the comment that would
// report it: what the blast-radius guard leaves of a plan while it holds
// priority changes. A comment owed for an earlier change stays.
func (b bugPlan) withoutPriority() bugPlan {
	if !b.changesPriority() {
		return b
	}
	b.Edit.Priority, b.FromPrio, b.Bump = "", "", nil
	return b
}

func (p Policy) planBug(v bugView) bugPlan {
	bug := v.Bug
	tickets := make([]TicketRecord, 0, len(v.Links))
	open := 0
	for _, id := range slices.Sorted(maps.Keys(v.Links)) {
		if t, ok := v.Tickets[id]; ok {
			tickets = append(tickets, t)
			if t.Status.Open() {
				open++
			}
		}
	}
	plan := bugPlan{
		Edit:        BugEdit{ID: bug.ID, Key: bug.Key},
		Customers:   p.CountCustomers(tickets, v.Tiers),
		OpenTickets: open,
		Waiting:     p.waitingOrganizations(tickets),
	}
	if p.Revenue.Enabled {
		plan.Customers.Revenue = revenueOf(plan.Waiting, v.Revenues)
	}
	count, revenue := plan.Customers.Weighted, plan.Customers.Revenue

	target, change := p.targetPriority(bug.Bug, count, revenue)
	priority := bug.Priority
	if change {
		plan.Edit.Priority, plan.FromPrio = target, bug.Priority
		if !v.HoldPriority {
			priority = target
		}
	}
	plan.Bump = p.planBump(v, target, change, plan.Customers)

	if bug.CustomerCount == nil && count != 0 || bug.CustomerCount != nil && *bug.CustomerCount != count {
		plan.Edit.CustomerCount = &count
	}
	if p.Revenue.Enabled && p.Revenue.Field && (bug.Revenue == nil && revenue != 0 || bug.Revenue != nil && round2(*bug.Revenue) != revenue) {
		plan.Edit.Revenue = &revenue
	}
	// Judged after the counting, with the priority the plan gives the
	// bug: a bug raised to a shorter window is flagged in the same edit.
	plan.Flag, plan.AskSince = p.judgeStale(bug, open, priority, v.Now)
	if plan.Flag != nil {
		bug.Stale = *plan.Flag
		v.Bug = bug
	}
	plan.Edit.AddLabels, plan.Edit.RemoveLabels = p.labelDelta(bug, count)
	plan.StaleNote = p.planStaleNote(v, priority, plan.Customers)
	plan.Upserts, plan.Deletes = remoteLinkDelta(v)
	return plan
}

// judgeStale flags a bug customers wait on (open tickets), not finished
// (released included) or exempt, whose last change by a person is older
// than the window of its priority; it returns since = now - window instead when the record's
// unattributed updates leave that open.
func (p Policy) judgeStale(r BugRecord, open int, priority string, now time.Time) (flag *StaleFlag, askSince time.Time) {
	if r.Stale.Flagged || open == 0 || r.State.Finished() || p.StaleExempt(r.Bug) {
		return nil, time.Time{}
	}
	since := now.Add(-p.Window(priority))
	lo, hi := r.activityBounds()
	switch {
	case lo.After(since):
		return nil, time.Time{}
	case hi.After(since):
		return nil, since
	}
	return &StaleFlag{Flagged: true, Episode: r.Stale.Episode + 1, Since: now, Idle: now.Sub(hi)}, time.Time{}
}

// targetPriority decides the priority a bug should have for count and
// revenue (the higher floor of the two wins): raised to
// the floor, lowered to it only when allowed, and never touched when the bug
// is locked, already done (re-ranking finished work would only reorder a
// board nobody works from), the count reaches no threshold, or its priority
// is one the policy does not know.
func (p Policy) targetPriority(b Bug, count, revenue float64) (target string, change bool) {
	if p.PriorityLockedLabel != "" && slices.Contains(b.Labels, p.PriorityLockedLabel) {
		return "", false
	}
	if b.StatusCategory == CategoryDone {
		return "", false
	}
	floor := p.Reach(count, revenue).Priority
	if floor == "" {
		return "", false
	}
	cur, ok := p.Rank(b.Priority)
	if !ok {
		return "", false
	}
	want, _ := p.Rank(floor)
	if want < cur || (p.AllowLower && want > cur) {
		return floor, true
	}
	return "", false
}

// planBump returns the priority comment owed. A change reuses the intent an
// interrupted run left for the same target (same marker, so a comment that
// did go out is found, not repeated); an intent whose edit evidently landed,
// or whose comment may be in flight, is finished.
func (p Policy) planBump(v bugView, target string, change bool, c Customers) *Pending {
	mem := v.Memory.Bump
	inFlight := mem.Phase == PhasePlanned || mem.Phase == PhaseSending
	switch {
	case change && inFlight && mem.Target == target:
		return &mem
	case change:
		seq := mem.Seq + 1
		return &Pending{
			Seq:    seq,
			Target: target,
			Text:   p.bumpText(c, v.Bug.Priority, target, bumpMarker(v.Epoch, v.Bug.ID, seq)),
			Phase:  PhasePlanned,
		}
	case mem.Phase == PhaseSending, mem.Phase == PhasePlanned && v.Bug.Priority == mem.Target:
		return &mem
	}
	return nil
}

// labelDelta adds the count label and the stale label that apply, and
// removes the managed ones that no longer do. Other labels are people's.
func (p Policy) labelDelta(b BugRecord, count float64) (add, remove []string) {
	want := map[string]bool{}
	if l := p.CountLabel(count); l != "" {
		want[l] = true
	}
	if b.Stale.Flagged && p.Stale.Label != "" {
		want[p.Stale.Label] = true
	}
	managed := p.ManagedCountLabels()
	if p.Stale.Label != "" {
		managed = append(managed, p.Stale.Label)
	}
	for _, l := range slices.Sorted(maps.Keys(want)) {
		if !slices.Contains(b.Labels, l) {
			add = append(add, l)
		}
	}
	for _, l := range b.Labels {
		if slices.Contains(managed, l) && !want[l] && !slices.Contains(remove, l) {
			remove = append(remove, l)
		}
	}
	return add, remove
}

// planStaleNote returns the comment owed for the current stale episode;
// priority is the one the plan gives the bug.
func (p Policy) planStaleNote(v bugView, priority string, c Customers) *Pending {
	st, mem := v.Bug.Stale, v.Memory.StaleNote
	if !st.Flagged || st.Episode == 0 || p.Stale.Label == "" || p.Stale.Silent {
		return nil
	}
	if mem.Seq == st.Episode {
		if mem.Phase == PhaseDone {
			return nil
		}
		return &mem
	}
	if mem.Seq > st.Episode {
		return nil
	}
	b := v.Bug.Bug
	b.Priority = priority
	return &Pending{
		Seq:   st.Episode,
		Text:  p.staleText(b, c, st.Idle, staleMarker(v.Epoch, v.Bug.ID, st.Episode)),
		Phase: PhasePlanned,
	}
}

// remoteLinkDelta lists the links to upsert (new, or changed since last
// written) and to delete (their ticket is no longer linked). A ticket a
// person already linked from the bug gets no second link.
func remoteLinkDelta(v bugView) (upserts map[int64]RemoteLink, deletes map[int64]WrittenLink) {
	want := map[int64]RemoteLink{}
	for id, src := range v.Links {
		t, ok := v.Tickets[id]
		if !ok || src&LinkFromTicket == 0 || src&LinkFromTracker != 0 || t.Status == StatusDeleted || t.URL == "" {
			continue
		}
		want[id] = remoteLink(t)
	}
	for id, l := range want {
		if w, ok := v.Written[id]; !ok || w.Digest != digest(l) {
			if upserts == nil {
				upserts = map[int64]RemoteLink{}
			}
			upserts[id] = l
		}
	}
	for id, w := range v.Written {
		if _, ok := want[id]; !ok {
			if deletes == nil {
				deletes = map[int64]WrittenLink{}
			}
			deletes[id] = w
		}
	}
	return upserts, deletes
}

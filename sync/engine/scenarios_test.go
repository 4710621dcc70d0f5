package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// A bug moving to in progress, then done with a fix version, gives each open
// linked ticket exactly one note per change, in the same update as its new
// field and tag; solved tickets show the change without a note.
func TestStatusChangesNoteOpenTicketsOnce(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.ticket(2, 102, "PROJ-1")
	h.hd.Put(engine.Ticket{ID: 3, Status: engine.StatusSolved, RequesterID: 3, OrganizationID: 103, KeysField: "PROJ-1"})
	h.settle()

	h.setStatus("10", "In Progress", engine.CategoryInProgress, "")
	h.resetCalls()
	rep := h.cycle()
	h.expectWrites(map[string]int{"UpdateTickets": 1})
	if rep.Notes != 2 || rep.TicketUpdates != 3 || rep.Transitions != 1 {
		t.Fatalf("report %+v", rep)
	}
	for _, id := range []int64{1, 2} {
		h.expectTicket(id, "PROJ-1: In Progress", "bug_in_progress")
		notes := h.hd.Notes(id)
		if len(notes) != 1 || !strings.Contains(notes[0], `Bug PROJ-1 "Export fails for large files" is now in progress`) {
			t.Fatalf("ticket %d notes %q", id, notes)
		}
	}
	h.expectTicket(3, "PROJ-1: In Progress", "bug_in_progress")
	if n := h.hd.Notes(3); len(n) != 0 {
		t.Fatalf("solved ticket got notes %q", n)
	}

	h.setStatus("10", "Done", engine.CategoryDone, "Fixed", "2.3.1")
	h.settle()
	for _, id := range []int64{1, 2} {
		h.expectTicket(id, "PROJ-1: Done (Fixed in 2.3.1)", "bug_fixed")
		notes := h.hd.Notes(id)
		if len(notes) != 2 || !strings.Contains(notes[1], "Tell the customer: fixed in 2.3.1, not yet released") {
			t.Fatalf("ticket %d notes %q", id, notes)
		}
	}
	h.expectIdle()
}

// Closed as won't fix: one note saying so; a ticket linked to two bugs shows
// the worse one.
func TestWontFixAndWorstOfSeveralBugs(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.bug("20", "PROJ-2", "Low")
	h.ticket(1, 101, "PROJ-1 PROJ-2")
	h.settle()
	h.expectTicket(1, "PROJ-1: To Do (+1 more)", "bug_open")

	h.setStatus("10", "Closed", engine.CategoryDone, "Won't Fix")
	h.setStatus("20", "In Progress", engine.CategoryInProgress, "")
	h.settle()
	h.expectTicket(1, "PROJ-2: In Progress (+1 more)", "bug_in_progress")
	notes := h.hd.Notes(1)
	if len(notes) != 1 || !strings.Contains(notes[0], "was closed as Won't Fix") || !strings.Contains(notes[0], "PROJ-2") {
		t.Fatalf("notes %q: want one note covering both bugs", notes)
	}
}

// Clearing the field (or removing the tag) unlinks on both sides: the remote
// link goes, the count drops, the ticket's field and status tag are cleared.
func TestUnlinkingUndoesBothSides(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.ticket(2, 102, "", "jira_proj_1", "vip")
	h.ticket(3, 103, "PROJ-1")
	h.settle()
	h.expectBug("10", "Medium", 3)

	h.hd.Edit(1, func(tk *engine.Ticket) { tk.KeysField = "" })
	h.hd.Edit(2, func(tk *engine.Ticket) {
		tk.Tags = slices.DeleteFunc(tk.Tags, func(s string) bool { return s == "jira_proj_1" })
	})
	h.resetCalls()
	rep := h.cycle()
	h.expectWrites(map[string]int{"EditBug": 1, "DeleteRemoteLink": 2, "UpdateTickets": 1})
	if rep.LinksRemoved != 2 {
		t.Fatalf("report %+v", rep)
	}
	h.expectBug("10", "Medium", 1) // never lowered
	h.expectLinkedTickets("10", 3)
	h.expectTicket(1, "")
	h.expectTicket(2, "", "vip")
	h.settle()
	h.expectIdle()
}

// A key of a deleted (or never existing) issue is reported once and not
// looked up again before its re-check time, however often the ticket changes.
func TestMissingKeyReportedOnceNotRetriedEachCycle(t *testing.T) {
	h := newHarness(t)
	h.ticket(1, 101, "PROJ-404")
	h.settle()
	if ev := h.events.of(engine.EventKeyMissing); len(ev) != 1 || ev[0].BugKey != "PROJ-404" {
		t.Fatalf("missing-key events %+v", ev)
	}
	h.hd.Edit(1, func(tk *engine.Ticket) { tk.Subject = "still broken" })
	h.resetCalls()
	h.cycle()
	if n := h.tr.Calls.Get("BugsByKey"); n != 0 {
		t.Fatalf("missing key looked up again %d times before its re-check", n)
	}
	h.clock.Advance(7 * time.Hour)
	h.hd.Edit(1, func(tk *engine.Ticket) { tk.Subject = "again" })
	h.cycle()
	if n := h.tr.Calls.Get("BugsByKey"); n != 1 {
		t.Fatalf("missing key looked up %d times after its re-check time, want 1", n)
	}
	if ev := h.events.of(engine.EventKeyMissing); len(ev) != 1 {
		t.Fatalf("missing key reported %d times", len(ev))
	}
	h.expectWrites(map[string]int{})
}

// An issue moved to another project keeps its links (stored by id): tickets
// follow its new key, and a ticket naming the old key links to it too.
func TestMovedIssueKeepsItsLinks(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()

	h.tr.Move("10", "WEB-7")
	h.ticket(2, 102, "proj-1")
	h.settle()
	h.expectTicket(1, "WEB-7: To Do", "bug_open")
	h.expectTicket(2, "WEB-7: To Do", "bug_open")
	h.expectLinkedTickets("10", 1, 2)
	if b := h.getBug("10"); *b.CustomerCount != 2 {
		t.Fatalf("count %v", countOf(b))
	}
	h.expectIdle()
}

// Organization tiers weigh customers; the comment names the tiers.
func TestTierWeightsAndBumpComment(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.hd.PutOrganization(engine.Organization{ID: 101, Name: "Acme", Tier: "enterprise"})
	h.hd.PutOrganization(engine.Organization{ID: 102, Name: "Beta", Tier: "enterprise"})
	h.hd.PutOrganization(engine.Organization{ID: 103, Name: "Gamma", Tier: "free"})
	h.ticket(1, 101, "PROJ-1")
	h.ticket(2, 101, "PROJ-1") // same organization: one customer
	h.ticket(3, 102, "PROJ-1")
	h.ticket(4, 103, "PROJ-1")
	h.settle()
	h.expectBug("10", "High", 11, "customers-10plus")
	if c := h.tr.ServiceComments("10"); len(c) != 1 || !strings.HasPrefix(c[0], "3 customers (2 enterprise) now report this; raised to High by helpdesk-sync (weighted count 11, threshold 10).") {
		t.Fatalf("comments %q", c)
	}
	if n := h.hd.Calls.Get("Organizations"); n != 0 {
		t.Fatalf("organizations read %d times although the export sideloads them", n)
	}
}

// Organizations missing from the cache are read once, then cached.
func TestOrganizationsReadOnceForCacheMisses(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.hd.PutOrganization(engine.Organization{ID: 101, Tier: "enterprise"}) // not sideloaded: created after the page
	h.ticket(2, 102, "PROJ-1")
	h.settle()
	if n := h.hd.Calls.Get("Organizations"); n != 2 {
		t.Fatalf("organizations read %d times, want once per cycle with misses (2)", n)
	}
	h.resetCalls()
	h.ticket(3, 103, "PROJ-1")
	h.settle()
	if n := h.hd.Calls.Get("Organizations"); n != 1 {
		t.Fatalf("organizations read %d times, want 1 (only the new organization)", n)
	}
}

// An engineer lowering a priority with the lock label wins; without it the
// floor is restored with one new comment.
func TestPriorityLockLabelWins(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	for i := int64(1); i <= 3; i++ {
		h.ticket(i, 100+i, "PROJ-1")
	}
	h.settle()
	h.expectBug("10", "Medium", 3)

	h.tr.Edit("10", func(b *engine.Bug) { b.Priority = "Low"; b.Labels = append(b.Labels, "priority-locked") })
	h.resetCalls()
	h.settle()
	h.expectWrites(map[string]int{})
	h.expectBug("10", "Low", 3, "priority-locked")

	h.tr.Edit("10", func(b *engine.Bug) { b.Labels = nil })
	h.settle()
	h.expectBug("10", "Medium", 3)
	if c := h.tr.ServiceComments("10"); len(c) != 2 {
		t.Fatalf("comments %q: want one per bump", c)
	}
}

// A bug customers wait on that nobody touched past its window is labelled
// stale with one comment; the service's own later writes do not lift the
// flag, a person's comment does.
func TestStaleFlagAndUnflag(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()

	h.clock.Advance(15 * 24 * time.Hour)
	h.resetCalls()
	rep := h.cycle()
	if rep.StaleFlagged != 1 {
		t.Fatalf("report %+v", rep)
	}
	h.expectWrites(map[string]int{"EditBug": 1, "AddComment": 1})
	h.expectBug("10", "Low", 1, "stale")
	if c := h.tr.ServiceComments("10"); len(c) != 1 || !strings.Contains(c[0], "1 customer waits on this bug and nobody has updated it for 15 days") {
		t.Fatalf("comments %q", c)
	}

	// More customers: the service edits the bug; the flag stays.
	h.ticket(2, 102, "PROJ-1")
	h.ticket(3, 103, "PROJ-1")
	h.settle()
	h.expectBug("10", "Medium", 3, "stale")
	h.clock.Advance(2 * time.Hour)
	h.settle()
	h.expectBug("10", "Medium", 3, "stale")
	if c := h.tr.ServiceComments("10"); len(c) != 2 {
		t.Fatalf("comments %q: one stale, one bump", c)
	}

	h.tr.Comment("10", "Looking into it")
	rep = h.settle()[0]
	if rep.StaleUnflagged != 1 {
		t.Fatalf("report %+v", rep)
	}
	h.expectBug("10", "Medium", 3)
	h.expectIdle()
}

// Exempt labels and done bugs are never flagged; solved tickets do not count
// as waiting customers.
func TestStaleExemptions(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.tr.Edit("10", func(b *engine.Bug) { b.Labels = []string{"long-term"} })
	h.bug("20", "PROJ-2", "Low")
	h.setStatus("20", "Done", engine.CategoryDone, "Fixed")
	h.bug("30", "PROJ-3", "Low")
	h.ticket(1, 101, "PROJ-1 PROJ-2")
	h.hd.Put(engine.Ticket{ID: 2, Status: engine.StatusSolved, RequesterID: 2, KeysField: "PROJ-3"})
	h.settle()
	h.clock.Advance(30 * 24 * time.Hour)
	if rep := h.settle()[0]; rep.StaleFlagged != 0 {
		t.Fatalf("flagged %d exempt bugs", rep.StaleFlagged)
	}
}

// A dry run logs and counts every write it would make and makes none; a
// real run afterwards still does all of it.
func TestDryRunWritesNothingThenRealRunDoesAll(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	for i := int64(1); i <= 3; i++ {
		h.ticket(i, 100+i, "PROJ-1")
	}
	h.opts.DryRun = true
	rep := h.cycle()
	h.expectWrites(map[string]int{})
	if !rep.DryRun || rep.BugEdits != 1 || rep.Comments != 1 || rep.RemoteLinksUpserted != 3 || rep.TicketUpdates != 3 {
		t.Fatalf("dry-run report %+v", rep)
	}
	for _, ev := range h.events.of(engine.EventTicketUpdated) {
		if !ev.DryRun {
			t.Fatalf("dry-run event not marked: %+v", ev)
		}
	}
	rep2 := h.cycle()
	if rep2.BugEdits != 1 || rep2.TicketUpdates != 3 {
		t.Fatalf("second dry run forgot the planned work: %+v", rep2)
	}

	h.opts.DryRun = false
	h.resetCalls()
	h.cycle()
	h.expectWrites(map[string]int{"EditBug": 1, "AddComment": 1, "UpsertRemoteLink": 3, "UpdateTickets": 1})
	h.expectBug("10", "Medium", 3)
}

// A cycle that would change more priorities than the limit changes none,
// says why, records it for readiness, and waits for confirmation; other
// writes go on.
func TestBlastRadiusGuardHoldsPriorityChanges(t *testing.T) {
	h := newHarness(t, func(o *engine.Options) { o.Policy.Limits.MaxPriorityChanges = 2 })
	for _, id := range []string{"10", "20", "30"} {
		h.bug(id, "PROJ-"+id, "Low")
		for i := int64(1); i <= 3; i++ {
			h.ticket(int64(len(id))*1000+i+int64(id[0])*10, 100+i, "PROJ-"+id)
		}
	}
	rep := h.cycle()
	if len(rep.Held) != 1 || rep.Held[0].Kind != "priority" || rep.Held[0].Planned != 3 || rep.Held[0].Limit != 2 {
		t.Fatalf("held %+v", rep.Held)
	}
	if rep.PriorityChanges != 0 || rep.BugEdits != 3 {
		t.Fatalf("report %+v", rep)
	}
	for _, id := range []string{"10", "20", "30"} {
		h.expectBug(id, "Low", 3)
	}
	if c := h.tr.ServiceComments("10"); len(c) != 0 {
		t.Fatalf("held bump commented: %q", c)
	}
	guards, err := h.store.Guards(h.ctx)
	if err != nil || len(guards) != 1 || guards[0].Planned != 3 {
		t.Fatalf("guard state %+v %v", guards, err)
	}
	if ev := h.events.of(engine.EventGuardHeld); len(ev) != 1 || !strings.Contains(ev[0].Detail, "would make 3 priority writes, over the limit of 2") {
		t.Fatalf("guard events %+v", ev)
	}

	// Still held next cycle (items stay dirty), until confirmed.
	if rep := h.cycle(); len(rep.Held) != 1 || rep.Writes() != 0 {
		t.Fatalf("second cycle %+v", rep)
	}
	h.opts.ConfirmLargeChange = true
	if rep := h.cycle(); rep.PriorityChanges != 3 || len(rep.Held) != 0 {
		t.Fatalf("confirmed cycle %+v", rep)
	}
	for _, id := range []string{"10", "20", "30"} {
		h.expectBug(id, "Medium", 3)
	}
	if guards, _ := h.store.Guards(h.ctx); len(guards) != 0 {
		t.Fatalf("guard not cleared: %+v", guards)
	}
}

// Too many ticket updates: none is made.
func TestBlastRadiusGuardHoldsTicketUpdates(t *testing.T) {
	h := newHarness(t, func(o *engine.Options) { o.Policy.Limits.MaxTicketUpdates = 2 })
	h.bug("10", "PROJ-1", "Low")
	for i := int64(1); i <= 3; i++ {
		h.ticket(i, 100+i, "PROJ-1")
	}
	rep := h.cycle()
	if rep.TicketUpdates != 0 || len(rep.Held) != 1 || rep.Held[0].Kind != "ticket" {
		t.Fatalf("report %+v", rep)
	}
	if h.hd.Calls.Get("UpdateTickets") != 0 {
		t.Fatal("tickets updated over the limit")
	}
	h.opts.Policy.Limits.MaxTicketUpdates = 10 // the operator raised the limit
	if rep := h.cycle(); rep.TicketUpdates != 3 {
		t.Fatalf("report %+v", rep)
	}
}

// An agent editing a ticket while the service writes it loses nothing: the
// conditional write fails, the ticket is read again, and the next cycle
// writes over the agent's version, keeping the agent's tag.
func TestConcurrentAgentEditLosesNothing(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.setStatus("10", "In Progress", engine.CategoryInProgress, "")

	raced := false
	h.hd.Fail = func(_ context.Context, op string) error {
		if op == "UpdateTickets" && !raced {
			raced = true
			h.hd.Edit(1, func(tk *engine.Ticket) { tk.Tags = append(tk.Tags, "agent_tag"); tk.Subject = "edited by the agent" })
		}
		return nil
	}
	h.cycle()
	if n := h.hd.Notes(1); len(n) != 0 {
		t.Fatalf("note written over a concurrent edit: %q", n)
	}
	h.settle()
	tk := h.getTicket(1)
	if tk.Subject != "edited by the agent" || !slices.Contains(tk.Tags, "agent_tag") {
		t.Fatalf("agent's edit lost: %+v", tk)
	}
	h.expectTicket(1, "PROJ-1: In Progress", "bug_in_progress", "agent_tag")
	if n := h.hd.Notes(1); len(n) != 1 {
		t.Fatalf("notes %q, want exactly one", n)
	}
}

// A deleted bug is reported, its tickets stop showing it, and it is not
// retried.
func TestDeletedBugIsDroppedAndReported(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.tr.Delete("10")
	h.ticket(2, 102, "PROJ-1") // a new link makes the bug dirty: its edit finds it gone
	h.settle()
	if ev := h.events.of(engine.EventBugGone); len(ev) != 1 {
		t.Fatalf("bug-gone events %+v", ev)
	}
	h.expectTicket(1, "")
	h.expectTicket(2, "")
	h.hd.Edit(1, func(tk *engine.Ticket) { tk.Subject = "x" })
	h.resetCalls()
	h.settle()
	if n := h.tr.Calls.Sum("BugsByKey", "EditBug"); n != 0 {
		t.Fatalf("deleted bug retried: %d calls", n)
	}
}

// A deleted ticket is unlinked: remote link removed, count dropped.
func TestDeletedTicketIsUnlinked(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.ticket(2, 102, "PROJ-1")
	h.settle()
	h.hd.Delete(2)
	h.resetCalls()
	h.settle()
	h.expectWrites(map[string]int{"EditBug": 1, "DeleteRemoteLink": 1})
	h.expectBug("10", "Low", 1)
	h.expectLinkedTickets("10", 1)
}

// With tracker links enabled, a person's remote link to a ticket links it:
// the ticket shows the bug and counts, and the service adds no second link.
func TestTrackerSideLinks(t *testing.T) {
	h := newHarness(t, func(o *engine.Options) { o.Policy.TrackerLinks = true })
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "")
	h.ticket(2, 102, "PROJ-1")
	h.settle()
	h.tr.LinkTicket("10", "zendesk-1", zdBase+"/agent/tickets/1")
	h.settle()
	h.expectTicket(1, "PROJ-1: To Do", "bug_open")
	h.expectBug("10", "Low", 2)
	h.expectLinkedTickets("10", 2)
	if n := len(h.tr.Links("10")); n != 2 {
		t.Fatalf("%d remote links, want the person's and one of ours", n)
	}
	h.expectIdle()
}

// With reopen_solved, a solved ticket gets the note and is reopened; its bug
// counts it again.
func TestReopenSolvedWhenConfigured(t *testing.T) {
	h := newHarness(t, func(o *engine.Options) { o.Policy.ReopenSolved = true })
	h.bug("10", "PROJ-1", "Low")
	h.hd.Put(engine.Ticket{ID: 1, Status: engine.StatusSolved, RequesterID: 1, OrganizationID: 101, KeysField: "PROJ-1"})
	h.settle()
	h.setStatus("10", "Done", engine.CategoryDone, "Fixed", "2.4")
	h.settle()
	if tk := h.getTicket(1); tk.Status != engine.StatusOpen || len(h.hd.Notes(1)) != 1 || !strings.Contains(h.hd.Notes(1)[0], "reopened this ticket") {
		t.Fatalf("ticket %+v notes %q", tk, h.hd.Notes(1))
	}
	h.expectBug("10", "Low", 1)
	h.expectIdle()
}

// Webhooks go the pollers' way: named tickets and bugs are read and applied,
// and the queue does the rest.
func TestEnqueueFromWebhooks(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.setStatus("10", "In Progress", engine.CategoryInProgress, "")
	h.hd.Edit(1, func(tk *engine.Ticket) { tk.Subject = "changed" })
	e := h.engine()
	if err := e.Enqueue(h.ctx, []int64{1}, []string{"proj-1", "10"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Enqueue(h.ctx, nil, []string{"key OR 1=1"}); err == nil {
		t.Fatal("an invalid bug ref reached the tracker")
	}
	if _, err := e.Drain(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.expectTicket(1, "PROJ-1: In Progress", "bug_in_progress")
	if n := h.hd.Notes(1); len(n) != 1 {
		t.Fatalf("notes %q", n)
	}
}

// A note whose write outcome is unknown (the answer was lost after the
// helpdesk acted) is looked for before it is sent again: never twice.
func TestNoteWithUnknownOutcomeIsNotRepeated(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.setStatus("10", "In Progress", engine.CategoryInProgress, "")
	h.hd.Lost = func(context.Context, string) error { return errors.New("timeout reading the answer") }
	if _, err := h.engine().Cycle(h.ctx); err == nil {
		t.Fatal("a lost answer was reported as success")
	}
	h.hd.Lost = nil
	h.clock.Advance(time.Hour) // past the retry backoff
	h.settle()
	if n := h.hd.Notes(1); len(n) != 1 {
		t.Fatalf("notes %q, want exactly one", n)
	}
	if h.hd.Calls.Get("HasNote") == 0 {
		t.Fatal("the note's marker was not looked for")
	}
}

// A sweep cut short after flagging a bug but before queueing it: the next
// sweep queues it again, so its label and comment are not lost.
func TestSweepCutShortStillLabels(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.ticket(1, 101, "PROJ-1")
	h.settle()
	h.clock.Advance(15 * 24 * time.Hour)
	ctx, cancel := context.WithCancel(h.ctx)
	h.tr.Fail = func(_ context.Context, op string) error {
		if op == "EditBug" {
			cancel() // dies right after the sweep, before reconciling
			return context.Canceled
		}
		return nil
	}
	if _, err := h.engine().Cycle(ctx); err == nil {
		t.Fatal("the cut cycle reported success")
	}
	h.tr.Fail = nil
	// Lose the queue entry, as a crash between flagging and queueing would.
	claims, err := h.store.Claim(h.ctx, engine.BugQueue, h.clock.Now().Add(time.Hour), 100, h.clock.Now().Add(time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.store.Ack(h.ctx, engine.BugQueue, claims, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(2 * time.Hour) // the next sweep is due
	h.settle()
	h.expectBug("10", "Low", 1, "stale")
	if c := h.tr.ServiceComments("10"); len(c) != 1 {
		t.Fatalf("comments %q", c)
	}
}

// Over the bug-write limit no bug is written at all, while tickets still are.
func TestBlastRadiusGuardHoldsBugWrites(t *testing.T) {
	h := newHarness(t, func(o *engine.Options) { o.Policy.Limits.MaxBugEdits = 2 })
	for _, id := range []string{"10", "20", "30"} {
		h.bug(id, "PROJ-"+id, "Low")
		h.ticket(int64(id[0]), 100, "PROJ-"+id)
	}
	rep := h.cycle()
	if len(rep.Held) != 1 || rep.Held[0].Kind != "bug" || rep.Held[0].Planned != 3 {
		t.Fatalf("held %+v", rep.Held)
	}
	h.expectWrites(map[string]int{"UpdateTickets": 1})
	h.opts.ConfirmLargeChange = true
	h.resetCalls()
	h.cycle()
	h.expectWrites(map[string]int{"EditBug": 3, "UpsertRemoteLink": 3})
}

// A batch whose bugs link more tickets than the engine loads at once is
// reconciled a chunk of bugs at a time: every bug gets every link and its
// count, however the batch splits.
func TestBugsLinkingManyTicketsAreReconciledInChunks(t *testing.T) {
	h := newHarness(t)
	sizes := map[string]int{"10": 700, "11": 700, "12": 5}
	want := map[string][]int64{}
	next := int64(1)
	for _, id := range []string{"10", "11", "12"} {
		h.bug(id, "PROJ-"+id, "Low")
		for range sizes[id] {
			h.ticket(next, next, "PROJ-"+id) // an organization each
			want[id] = append(want[id], next)
			next++
		}
	}
	h.settle()
	for id, tickets := range want {
		h.expectLinkedTickets(id, tickets...)
		if got := countOf(h.getBug(id)); got != float64(sizes[id]) {
			t.Errorf("bug %s: customer count %v, want %d", id, got, sizes[id])
		}
	}
	h.expectIdle()
}

package e2e_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// Write routes, as the simulators name them.
const (
	zdUpdateMany = "zendesk PUT /api/v2/tickets/update_many"
	zdUpdate     = "zendesk PUT /api/v2/tickets/{id}"
	jiraEdit     = "jira PUT /rest/api/2/issue/{issueIdOrKey}"
	jiraComment  = "jira POST /rest/api/2/issue/{issueIdOrKey}/comment"
	jiraLink     = "jira POST /rest/api/2/issue/{issueIdOrKey}/remotelink"
	jiraUnlink   = "jira DELETE /rest/api/2/issue/{issueIdOrKey}/remotelink"
)

// Backfill: twelve customers link a bug through the field (any case, with a
// key of an unknown project) and tags. One edit, one comment, a link per
// ticket, one batch of ticket updates; then nothing; then one read per system.
func TestBackfillIsMinimalIdempotentAndIdleIsCheap(t *testing.T) {
	e := newEnv(t)
	b := e.Bug("PROJ", "Low")
	other := e.Bug("PROJ", "Low")
	var tickets []int64
	for i := int64(1); i <= 12; i++ {
		e.org(100+i, "")
		switch i % 3 {
		case 0:
			tickets = append(tickets, e.Ticket(100+i, "", "jira_"+strings.ReplaceAll(strings.ToLower(b.Key), "-", "_")))
		case 1:
			tickets = append(tickets, e.Ticket(100+i, strings.ToLower(b.Key)))
		default:
			tickets = append(tickets, e.Ticket(100+i, b.Key+", OTHER-5"))
		}
	}
	e.cycle()
	e.expectWrites(map[string]int{jiraEdit: 1, jiraComment: 1, jiraLink: 12, zdUpdateMany: 1})
	e.expectIssue(b.Key, "High", 12, "customers-10plus")
	if got := e.linkedTickets(b.Key); !slices.Equal(got, tickets) {
		t.Fatalf("remote links to %v, want %v", got, tickets)
	}
	if c := e.serviceComments(b.Key); len(c) != 1 || !strings.HasPrefix(c[0], "12 customers now report this; raised to High by helpdesk-sync (threshold 10).") {
		t.Fatalf("comments %q", c)
	}
	for _, id := range tickets {
		e.expectTicket(id, b.Key+": To Do", "bug_open")
	}
	if is := e.issue(other.Key); is.Custom[jiratest.CustomerCountField] != nil || len(e.Jira.RemoteLinks(other.Key)) != 0 {
		t.Fatalf("unlinked issue written: %+v", is)
	}

	e.ResetLogs()
	e.cycle()
	e.expectWrites(map[string]int{})
	e.expectIdle()
}

// Status changes: one private note per change on each open linked ticket,
// in the same request as its field and tag; solved tickets get no note.
func TestStatusChangesNoteEachOpenTicketOnce(t *testing.T) {
	e := newEnv(t)
	b := e.Bug("PROJ", "Low")
	e.org(101, "")
	open1, open2 := e.Ticket(101, b.Key), e.Ticket(101, b.Key)
	solved := e.Ticket(101, b.Key)
	e.Zendesk.SetStatus(solved, "solved")
	e.settle()

	if err := e.Jira.Transition(b.Key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.ResetLogs()
	e.cycle()
	// Notes go one by one (conditional on the ticket's stamp); the solved
	// ticket's field and tag change goes in a batch.
	e.expectWrites(map[string]int{zdUpdate: 2, zdUpdateMany: 1})
	for _, id := range []int64{open1, open2} {
		e.expectTicket(id, b.Key+": In Progress", "bug_in_progress")
		if n := e.notes(id); len(n) != 1 || !strings.Contains(n[0], "is now in progress") {
			t.Fatalf("ticket %d notes %q", id, n)
		}
	}
	e.expectTicket(solved, b.Key+": In Progress", "bug_in_progress")
	if n := e.notes(solved); len(n) != 0 {
		t.Fatalf("solved ticket noted: %q", n)
	}

	if err := e.Jira.Resolve(b.Key, "Done", "2.3.1", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.settle()
	for _, id := range []int64{open1, open2} {
		e.expectTicket(id, b.Key+": Done (Done in 2.3.1)", "bug_fixed")
		if n := e.notes(id); len(n) != 2 || !strings.Contains(n[1], "Tell the customer: fixed in 2.3.1, not yet released") {
			t.Fatalf("ticket %d notes %q", id, n)
		}
	}

	won := e.Bug("PROJ", "Low")
	wt := e.Ticket(101, won.Key)
	e.settle()
	if err := e.Jira.Resolve(won.Key, "Won't Do", "", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.settle()
	e.expectTicket(wt, won.Key+": Done (Won't Do)", "bug_wont_fix")
	if n := e.notes(wt); len(n) != 1 || !strings.Contains(n[0], "was closed as Won't Do") {
		t.Fatalf("won't-do notes %q", n)
	}

	// 2.3.1 ships: the next release check tells each open ticket once;
	// then nothing awaits a release, and a cycle is idle again.
	if err := e.Jira.ReleaseVersion("PROJ", "2.3.1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(15 * time.Minute)
	e.settle()
	for _, id := range []int64{open1, open2} {
		e.expectTicket(id, b.Key+": Done (Done in 2.3.1, released)", "bug_released")
		if n := e.notes(id); len(n) != 3 || !strings.Contains(n[2], "2.3.1 is released") {
			t.Fatalf("ticket %d notes %q", id, n)
		}
	}
	if n := e.notes(solved); len(n) != 0 {
		t.Fatalf("solved ticket noted: %q", n)
	}
	e.expectIdle()
}

// Clearing the field or removing the tag unlinks on both sides.
func TestUnlinkingUndoesBothSides(t *testing.T) {
	e := newEnv(t)
	b := e.Bug("PROJ", "Low")
	tag := "jira_" + strings.ReplaceAll(strings.ToLower(b.Key), "-", "_")
	for i := int64(1); i <= 3; i++ {
		e.org(100+i, "")
	}
	byField, byTag, stays := e.Ticket(101, b.Key), e.Ticket(102, "", tag, "vip"), e.Ticket(103, b.Key)
	e.settle()
	e.expectIssue(b.Key, "Medium", 3)

	e.Zendesk.SetCustomField(byField, simulation.KeysFieldID, nil)
	e.Zendesk.UpdateTicket(byTag, func(tk *zendesktest.Ticket) {
		tk.Tags = slices.DeleteFunc(tk.Tags, func(s string) bool { return s == tag })
	})
	e.ResetLogs()
	e.cycle()
	e.expectWrites(map[string]int{jiraEdit: 1, jiraUnlink: 2, zdUpdateMany: 1})
	e.expectIssue(b.Key, "Medium", 1) // the service never lowers
	if got := e.linkedTickets(b.Key); !slices.Equal(got, []int64{stays}) {
		t.Fatalf("links %v", got)
	}
	e.expectTicket(byField, "")
	e.expectTicket(byTag, "", "vip")
	e.settle()
	e.expectIdle()
}

// An issue moved to another project keeps its links; tickets follow its new
// key, and a ticket naming the old key links to it.
func TestMovedIssueKeepsItsLinks(t *testing.T) {
	e := newEnv(t)
	b := e.Bug("PROJ", "Low")
	e.org(101, "")
	first := e.Ticket(101, b.Key)
	e.settle()
	newKey, err := e.Jira.Move(b.Key, "WEB", jiratest.Engineer)
	if err != nil {
		t.Fatal(err)
	}
	second := e.Ticket(101, strings.ToLower(b.Key))
	e.settle()
	e.expectTicket(first, newKey+": To Do", "bug_open")
	e.expectTicket(second, newKey+": To Do", "bug_open")
	if got := e.linkedTickets(newKey); !slices.Equal(got, []int64{first, second}) {
		t.Fatalf("links %v", got)
	}
	e.expectIdle()
}

// Tiers weigh customers; an engineer lowering the priority with the lock
// label wins, without it the floor comes back with one new comment.
func TestWeightsAndTheLockLabel(t *testing.T) {
	e := newEnv(t)
	b := e.Bug("PROJ", "Low")
	e.org(101, "enterprise")
	e.org(102, "enterprise")
	e.org(103, "free")
	e.Ticket(101, b.Key)
	e.Ticket(101, b.Key)
	e.Ticket(102, b.Key)
	e.Ticket(103, b.Key)
	e.settle()
	e.expectIssue(b.Key, "High", 11, "customers-10plus")
	if c := e.serviceComments(b.Key); len(c) != 1 || !strings.HasPrefix(c[0], "3 customers (2 enterprise) now report this; raised to High by helpdesk-sync (weighted count 11, threshold 10).") {
		t.Fatalf("comments %q", c)
	}

	if err := e.Jira.SetPriority(b.Key, "Low", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	if err := e.Jira.AddLabels(b.Key, jiratest.Engineer, "priority-locked"); err != nil {
		t.Fatal(err)
	}
	e.ResetLogs()
	e.settle()
	e.expectWrites(map[string]int{})
	e.expectIssue(b.Key, "Low", 11, "customers-10plus", "priority-locked")

	if err := e.Jira.RemoveLabels(b.Key, jiratest.Engineer, "priority-locked"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	e.expectIssue(b.Key, "High", 11, "customers-10plus")
	if c := e.serviceComments(b.Key); len(c) != 2 {
		t.Fatalf("comments %q: one per bump", c)
	}
}

// Stale: labelled and commented once; the service's own writes do not lift
// the flag, an engineer's comment does (the adapter reads the changelog and
// comments for that).
func TestStaleFlagLiftedOnlyByPeople(t *testing.T) {
	e := newEnv(t)
	b := e.Bug("PROJ", "Low")
	e.org(101, "")
	e.Ticket(101, b.Key)
	e.settle()

	e.Clock.Advance(15 * 24 * time.Hour)
	e.ResetLogs()
	rep := e.cycle()
	if rep.StaleFlagged != 1 {
		t.Fatalf("report %+v", rep)
	}
	e.expectWrites(map[string]int{jiraEdit: 1, jiraComment: 1})
	e.expectIssue(b.Key, "Low", 1, "stale")
	// The label and the comment are the service's: the next cycles are
	// idle, one read per system, with no changelog or comments read.
	e.expectIdle()
	e.expectIdle()

	for i := int64(2); i <= 3; i++ {
		e.org(100+i, "")
		e.Ticket(100+i, b.Key)
	}
	e.settle()
	e.expectIssue(b.Key, "Medium", 3, "stale")

	if _, err := e.Jira.AddComment(b.Key, jiratest.Engineer, "Looking into it"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	e.expectIssue(b.Key, "Medium", 3)
	if c := e.serviceComments(b.Key); len(c) != 2 {
		t.Fatalf("comments %q: one stale, one bump", c)
	}
	e.expectIdle()
}

// Dry run: every write counted and logged, none made; the real run after it
// does all of them.
func TestDryRunThenRealRun(t *testing.T) {
	e := newEnv(t)
	e.Assembly.DryRun = true
	e.Restart()
	b := e.Bug("PROJ", "Low")
	for i := int64(1); i <= 3; i++ {
		e.org(100+i, "")
		e.Ticket(100+i, b.Key)
	}
	rep := e.cycle()
	e.expectWrites(map[string]int{})
	if rep.BugEdits != 1 || rep.Comments != 1 || rep.RemoteLinksUpserted != 3 || rep.TicketUpdates != 3 {
		t.Fatalf("dry-run report %+v", rep)
	}
	e.Assembly.DryRun = false
	e.Restart()
	e.ResetLogs()
	e.cycle()
	e.expectWrites(map[string]int{jiraEdit: 1, jiraComment: 1, jiraLink: 3, zdUpdateMany: 1})
	e.expectIssue(b.Key, "Medium", 3)
}

// The guard: a cycle that would re-rank more bugs than allowed re-ranks
// none, until confirmed.
func TestGuardHoldsAMassReRank(t *testing.T) {
	e := newEnv(t, func(o *servicetest.Options) { o.Config["POLICY_MAX_PRIORITY_CHANGES"] = "2" })
	var keys []string
	for range 3 {
		b := e.Bug("PROJ", "Low")
		keys = append(keys, b.Key)
		for i := int64(1); i <= 3; i++ {
			e.org(100+i, "")
			e.Ticket(100+i, b.Key)
		}
	}
	rep := e.cycle()
	if len(rep.Held) != 1 || rep.Held[0].Planned != 3 || rep.PriorityChanges != 0 {
		t.Fatalf("report %+v", rep)
	}
	for _, k := range keys {
		e.expectIssue(k, "Low", 3)
	}
	e.Assembly.ConfirmLargeChange = true
	e.Restart()
	e.cycle()
	for _, k := range keys {
		e.expectIssue(k, "Medium", 3)
	}
}

// An agent saving the ticket while the service writes its note: the
// conditional write fails (409), the ticket is read again, and the note goes
// out once on top of the agent's version.
func TestAgentEditDuringWriteLosesNothing(t *testing.T) {
	e := newEnv(t)
	b := e.Bug("PROJ", "Low")
	e.org(101, "")
	id := e.Ticket(101, b.Key)
	e.settle()
	if err := e.Jira.Transition(b.Key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	raced := false
	e.setHook(func(r *http.Request) error {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/api/v2/tickets/") && !raced {
			raced = true
			e.Clock.Advance(time.Second)
			e.Zendesk.UpdateTicket(id, func(tk *zendesktest.Ticket) {
				tk.Subject = "edited by the agent"
				tk.Tags = append(tk.Tags, "agent_tag")
			})
		}
		return nil
	})
	e.cycle()
	e.setHook(nil)
	if !raced || len(e.notes(id)) != 0 {
		t.Fatalf("raced %v, notes %q", raced, e.notes(id))
	}
	e.settle()
	tk, _ := e.Zendesk.Ticket(id)
	if tk.Subject != "edited by the agent" || !tk.HasTag("agent_tag") || len(e.notes(id)) != 1 {
		t.Fatalf("ticket %+v notes %q", tk, e.notes(id))
	}
	e.expectTicket(id, b.Key+": In Progress", "bug_in_progress", "agent_tag")
}

// Deleted tickets are unlinked; deleted issues are reported, their tickets
// cleared, and not looked up again.
func TestDeletions(t *testing.T) {
	e := newEnv(t)
	b := e.Bug("PROJ", "Low")
	gone := e.Bug("PROJ", "Low")
	e.org(101, "")
	e.org(102, "")
	keep, del := e.Ticket(101, b.Key), e.Ticket(102, b.Key)
	orphan := e.Ticket(101, gone.Key)
	e.settle()

	e.Zendesk.DeleteTicket(del)
	if err := e.Jira.Delete(gone.Key, jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.Zendesk.UpdateTicket(orphan, func(tk *zendesktest.Ticket) { tk.Subject = "any change" })
	e.settle()
	e.expectIssue(b.Key, "Low", 1)
	if got := e.linkedTickets(b.Key); !slices.Equal(got, []int64{keep}) {
		t.Fatalf("links %v", got)
	}
	// The orphan's change re-dirtied the deleted issue; writing its remote
	// link found it gone: dropped, reported, the ticket cleared.
	e.expectTicket(orphan, "")
	e.ResetLogs()
	e.Zendesk.UpdateTicket(orphan, func(tk *zendesktest.Ticket) { tk.Subject = "another change" })
	e.cycle()
	if reads := e.reads(); reads["jira GET /rest/api/2/search/jql"] != 1 {
		t.Fatalf("the deleted issue's key was looked up again: %v", reads)
	}
	e.expectWrites(map[string]int{})
}

// With Zendesk's one-minute export lag the service's own writes come back
// late. A note planned before its ticket's echo arrived reads the ticket
// again for a fresh stamp; nothing conflicts, nothing is said twice, and the
// late echoes cause no writes.
func TestExportLagDelaysEchoesWithoutExtraWrites(t *testing.T) {
	e := newEnv(t)
	e.Zendesk.SetExportLag(time.Minute)
	b := e.Bug("PROJ", "Low")
	e.org(101, "")
	id := e.Ticket(101, b.Key)
	e.Clock.Advance(2 * time.Minute) // past the lag
	e.cycle()
	e.expectTicket(id, b.Key+": To Do", "bug_open")

	// The bug moves at once; the next cycle comes 30s later, before the
	// export shows the ticket as the service left it.
	must(t, e.Jira.Transition(b.Key, "In Progress", jiratest.Engineer))
	e.ResetLogs()
	e.Clock.Advance(30 * time.Second)
	if _, err := e.engine().Cycle(e.Ctx); err != nil {
		t.Fatal(err)
	}
	e.expectWrites(map[string]int{zdUpdate: 1})
	if reads := e.reads(); reads["zendesk /api/v2/tickets/show_many"] != 1 {
		t.Fatalf("the ticket was not read again for its stamp: %v", reads)
	}
	for range 4 {
		e.Clock.Advance(30 * time.Second)
		e.ResetLogs()
		if _, err := e.engine().Cycle(e.Ctx); err != nil {
			t.Fatal(err)
		}
		e.expectWrites(map[string]int{})
	}
	if n := e.notes(id); len(n) != 1 {
		t.Fatalf("notes %q", n)
	}
	e.expectTicket(id, b.Key+": In Progress", "bug_in_progress")
}

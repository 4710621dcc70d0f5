package sync_test

import (
	"strings"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/sync"
)

func TestNewRejectsMissingDependenciesAndBadPolicy(t *testing.T) {
	p := policy()
	p.CountBy = "teams"
	_, err := sync.New(sync.Options{Policy: p})
	for _, want := range []string{"Options.Helpdesk is required", "Options.Tracker is required", "Options.Store is required", `count_by: "teams"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New() = %v, want it to mention %q", err, want)
		}
	}
}

// Twelve customers link one bug through the field (any case, several keys)
// and tags: the bug gets the count, the floor priority with one comment, the
// count label and a remote link per ticket, in one edit; every ticket shows
// the bug in one batch write. The next cycle writes nothing, and an idle
// cycle costs one read per system.
func TestLinkCountPrioritizeAnnotate(t *testing.T) {
	h := newHarness(t)
	h.bug("10", "PROJ-1", "Low")
	h.bug("20", "PROJ-2", "Low")
	for i := int64(1); i <= 12; i++ {
		switch {
		case i%3 == 0:
			h.ticket(i, 100+i, "", "jira_proj_1")
		case i%3 == 1:
			h.ticket(i, 100+i, "proj-1")
		default:
			h.ticket(i, 100+i, "PROJ-1, OTHER-5")
		}
	}

	rep := h.cycle()
	h.expectWrites(map[string]int{"EditBug": 1, "AddComment": 1, "UpsertRemoteLink": 12, "UpdateTickets": 1})
	if rep.LinksAdded != 12 || rep.PriorityChanges != 1 || rep.TicketUpdates != 12 || rep.KeysIgnored != 4 {
		t.Fatalf("report %+v", rep)
	}
	h.expectBug("10", "High", 12, "customers-10plus")
	h.expectLinkedTickets("10", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
	comments := h.tr.ServiceComments("10")
	if len(comments) != 1 || !strings.HasPrefix(comments[0], "12 customers now report this; raised to High by helpdesk-sync (threshold 10).") {
		t.Fatalf("comments %q", comments)
	}
	for i := int64(1); i <= 12; i++ {
		h.expectTicket(i, "PROJ-1: To Do", append(tagsOf(i), "bug_open")...)
	}
	if b := h.getBug("20"); b.CustomerCount != nil || len(h.tr.Links("20")) != 0 {
		t.Fatalf("an unlinked bug was written: %+v", b)
	}
	if ev := h.events.of(sync.EventKeyIgnored); len(ev) != 4 || !strings.Contains(ev[0].Detail, `"OTHER-5": project not configured`) {
		t.Fatalf("ignored-key events %+v", ev)
	}

	h.resetCalls()
	if rep := h.cycle(); rep.Writes() != 0 {
		t.Fatalf("second cycle wrote: %+v %v", rep, h.writes())
	}
	h.expectWrites(map[string]int{})
	h.expectIdle()
}

func tagsOf(i int64) []string {
	if i%3 == 0 {
		return []string{"jira_proj_1"}
	}
	return nil
}

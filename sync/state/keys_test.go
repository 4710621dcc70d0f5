package state

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func unresolved(t *testing.T, s *Store) []engine.UnresolvedTicket {
	t.Helper()
	var out []engine.UnresolvedTicket
	for cursor := uint64(0); ; {
		ts, next, err := s.UnresolvedTickets(context.Background(), cursor, 10)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ts...)
		if cursor = next; cursor == 0 {
			break
		}
	}
	slices.SortFunc(out, func(a, b engine.UnresolvedTicket) int { return int(a.ID - b.ID) })
	return out
}

// Keys waiting for resolution are recorded with the ticket page, and a
// resolution links a ticket only while what waits is what it resolved.
func TestUnresolvedKeysWaitWithThePageAndResolveOnce(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	waits := func(id int64, keys []string, bugs ...string) engine.TicketChange {
		ch := change(id, bugs...)
		ch.Unresolved = &engine.UnresolvedKeys{Keys: keys, Bugs: bugs}
		return ch
	}
	page := engine.TicketPageCommit{Tickets: []engine.TicketChange{
		waits(1, []string{"PROJ-2"}, "10"),
		waits(2, []string{"PROJ-2", "PROJ-3"}),
		waits(3, []string{"PROJ-3"}),
		change(4, "10"),
	}, NewBugs: []engine.BugRecord{{Bug: engine.Bug{ID: "10", Key: "PROJ-1"}}}, Aliases: map[string]string{"PROJ-1": "10"}, Cursor: "c1", Now: t0}
	if _, err := s.CommitTicketPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	got := unresolved(t, s)
	if len(got) != 3 || got[0].ID != 1 || !slices.Equal(got[0].Keys, []string{"PROJ-2"}) || !slices.Equal(got[0].Bugs, []string{"10"}) {
		t.Fatalf("unresolved after the page: %+v", got)
	}
	// Ticket 3 is observed again before the resolution applies: its new
	// keys wait in place of the old, which the resolution must not apply.
	// Ticket 2 is deleted meanwhile.
	again := engine.TicketPageCommit{Tickets: []engine.TicketChange{waits(3, []string{"PROJ-4"}), {ID: 2}}, Now: t0}
	if _, err := s.CommitTicketPage(ctx, again); err != nil {
		t.Fatal(err)
	}
	known, err := s.Keys(ctx, []string{"PROJ-1", "PROJ-2"})
	if err != nil || known.Bugs["PROJ-1"] != "10" || len(known.Bugs) != 1 || len(known.Missing) != 0 {
		t.Fatalf("keys before resolution %+v, %v", known, err)
	}
	res := engine.KeyResolution{
		Tickets: got,
		Links:   map[int64][]string{1: {"10", "20"}, 2: {"20"}, 3: {}},
		NewBugs: []engine.BugRecord{{Bug: engine.Bug{ID: "20", Key: "PROJ-2"}}},
		Aliases: map[string]string{"PROJ-2": "20"},
		Missing: []engine.MissingKey{{Key: "PROJ-3", FirstSeen: t0, RecheckAt: t0.Add(time.Hour), Checks: 1}},
		Now:     t0,
	}
	changes, err := s.ResolveTickets(ctx, res)
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.LinkChange{{TicketID: 1, BugID: "20", Source: engine.LinkFromTicket, Added: true}}
	if !slices.Equal(changes, want) {
		t.Fatalf("link changes %+v, want %+v", changes, want)
	}
	if got := unresolved(t, s); len(got) != 1 || got[0].ID != 3 || !slices.Equal(got[0].Keys, []string{"PROJ-4"}) {
		t.Fatalf("still waiting: %+v, want ticket 3's new keys", got)
	}
	known, err = s.Keys(ctx, []string{"PROJ-2", "PROJ-3"})
	if err != nil || known.Bugs["PROJ-2"] != "20" || known.Missing["PROJ-3"].Checks != 1 {
		t.Fatalf("keys after resolution %+v, %v", known, err)
	}
	if bugs, _ := s.Bugs(ctx, []string{"20"}); bugs["20"].Key != "PROJ-2" {
		t.Fatalf("new bug not recorded: %+v", bugs)
	}
	if ids := due(t, s, engine.BugQueue); !slices.Contains(ids, "20") {
		t.Fatalf("bugs due %v: the newly linked bug is not", ids)
	}
	// Observing a ticket whose keys are all known clears what waited.
	if _, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{Tickets: []engine.TicketChange{change(3)}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	if got := unresolved(t, s); len(got) != 0 {
		t.Fatalf("still waiting: %+v", got)
	}
	checkIndex(t, s, c)
}

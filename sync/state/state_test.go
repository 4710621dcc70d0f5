package state

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newStore(t testing.TB) (*Store, redis.UniversalClient) {
	c, prefix := redistest.Client(t)
	return New(c, prefix, time.Hour), c
}

func ticketRec(id int64, keys ...string) *engine.TicketRecord {
	return &engine.TicketRecord{ID: id, Status: engine.StatusOpen, RequesterID: 100 + id, Keys: keys, UpdatedAt: t0}
}

func change(id int64, bugs ...string) engine.TicketChange {
	return engine.TicketChange{ID: id, Record: ticketRec(id), Bugs: bugs}
}

func due(t *testing.T, s *Store, q engine.Queue) []string {
	t.Helper()
	ids, err := s.Due(context.Background(), q, t0.Add(time.Hour), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

// checkIndex asserts that both sides of the link index and the linked set
// agree exactly.
func checkIndex(t *testing.T, s *Store, c redis.UniversalClient) {
	t.Helper()
	ctx := context.Background()
	fromTickets := map[string]string{}
	fromBugs := map[string]string{}
	scan := func(pattern string, into map[string]string, ticketSide bool) {
		iter := c.Scan(ctx, 0, s.key(pattern), 1000).Iterator()
		for iter.Next(ctx) {
			id := iter.Val()[len(s.key(pattern))-1:]
			m, err := c.HGetAll(ctx, iter.Val()).Result()
			if err != nil {
				t.Fatal(err)
			}
			for other, mask := range m {
				if ticketSide {
					into[id+"/"+other] = mask
				} else {
					into[other+"/"+id] = mask
				}
			}
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
	}
	scan("tl:*", fromTickets, true)
	scan("bl:*", fromBugs, false)
	if !maps.Equal(fromTickets, fromBugs) {
		t.Fatalf("link index sides disagree:\nticket→bugs %v\nbug→tickets %v", fromTickets, fromBugs)
	}
	linked, err := c.SMembers(ctx, s.key("linked")).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for k := range fromBugs {
		want[k[slices.Index([]byte(k), '/')+1:]] = true
	}
	slices.Sort(linked)
	if got := slices.Sorted(maps.Keys(want)); !slices.Equal(linked, got) {
		t.Fatalf("linked set %v, bugs with links %v", linked, got)
	}
}

func TestCommitTicketPage(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)

	changes, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{
		Tickets:       []engine.TicketChange{change(1, "10"), change(2, "10", "20"), change(3)},
		NewBugs:       []engine.BugRecord{{Bug: engine.Bug{ID: "10", Key: "PROJ-1"}}},
		Aliases:       map[string]string{"PROJ-1": "10", "PROJ-2": "20"},
		Missing:       []engine.MissingKey{{Key: "PROJ-9", FirstSeen: t0, RecheckAt: t0.Add(time.Hour)}},
		Organizations: []engine.Organization{{ID: 7, Name: "Acme", Tier: "enterprise"}},
		Cursor:        "c1", Now: t0,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 3 {
		t.Fatalf("changes %+v, want 3 links added", changes)
	}
	for _, ch := range changes {
		if !ch.Added || ch.Source != engine.LinkFromTicket {
			t.Fatalf("change %+v", ch)
		}
	}
	checkIndex(t, s, c)
	if cur, _ := s.TicketCursor(ctx); cur != "c1" {
		t.Fatalf("cursor %q", cur)
	}
	recs, err := s.Tickets(ctx, []int64{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[2].RequesterID != 102 || !recs[2].UpdatedAt.Equal(t0) || recs[2].Version != 1 {
		t.Fatalf("records %+v", recs)
	}
	if got := due(t, s, engine.BugQueue); !slices.Equal(got, []string{"10", "20"}) {
		t.Fatalf("dirty bugs %v", got)
	}
	if got := due(t, s, engine.TicketQueue); !slices.Equal(got, []string{"1", "2"}) {
		t.Fatalf("dirty tickets %v (a ticket without links or changes is not dirty)", got)
	}
	aliases, _ := s.Aliases(ctx, []string{"PROJ-1", "PROJ-2", "PROJ-3"})
	if !maps.Equal(aliases, map[string]string{"PROJ-1": "10", "PROJ-2": "20"}) {
		t.Fatalf("aliases %v", aliases)
	}
	missing, _ := s.MissingKeys(ctx, []string{"PROJ-9", "PROJ-1"})
	if m := missing["PROJ-9"]; len(missing) != 1 || !m.RecheckAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("missing %+v", missing)
	}
	if orgs, _ := s.Organizations(ctx, []int64{7}, t0); orgs[7].Tier != "enterprise" {
		t.Fatalf("sideloaded organization not cached: %+v", orgs)
	}
	bugs, _ := s.Bugs(ctx, []string{"10", "20"})
	if len(bugs) != 1 || bugs["10"].Key != "PROJ-1" {
		t.Fatalf("new bugs %+v", bugs)
	}

	// Relink ticket 2 to 30 only, and delete ticket 1: both removals show,
	// every bug touched is dirty, and the index stays consistent.
	changes, err = s.CommitTicketPage(ctx, engine.TicketPageCommit{
		Tickets: []engine.TicketChange{{ID: 1}, change(2, "30")},
		NewBugs: []engine.BugRecord{{Bug: engine.Bug{ID: "10", Key: "SHOULD-NOT-REPLACE"}}},
		Cursor:  "c2", Now: t0,
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(changes, func(a, b engine.LinkChange) int { return cmpChange(a) - cmpChange(b) })
	want := []engine.LinkChange{
		{TicketID: 1, BugID: "10", Source: engine.LinkFromTicket},
		{TicketID: 2, BugID: "10", Source: engine.LinkFromTicket},
		{TicketID: 2, BugID: "20", Source: engine.LinkFromTicket},
		{TicketID: 2, BugID: "30", Source: engine.LinkFromTicket, Added: true},
	}
	if !slices.Equal(changes, want) {
		t.Fatalf("changes %+v\nwant %+v", changes, want)
	}
	checkIndex(t, s, c)
	if recs, _ := s.Tickets(ctx, []int64{1}); len(recs) != 0 {
		t.Fatalf("deleted ticket still has a record: %+v", recs)
	}
	if bugs, _ := s.Bugs(ctx, []string{"10"}); bugs["10"].Key != "PROJ-1" {
		t.Fatalf("NewBugs replaced an existing record: %+v", bugs["10"])
	}
	if ids, _, _ := s.LinkedBugs(ctx, 0, 100); !slices.Equal(ids, []string{"30"}) {
		t.Fatalf("linked bugs %v", ids)
	}
}

func cmpChange(c engine.LinkChange) int {
	n, _ := strconv.Atoi(c.BugID)
	return int(c.TicketID)*1000 + n
}

func TestCommitTicketPageBugsDirty(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if _, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{Tickets: []engine.TicketChange{change(1, "10", "20")}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	drain(t, s, engine.BugQueue)
	drain(t, s, engine.TicketQueue)
	// Same links, changed status: every linked bug needs a recount; the
	// ticket itself only if the engine says so.
	ch := change(1, "10", "20")
	ch.BugsDirty = true
	if _, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{Tickets: []engine.TicketChange{ch}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	if got := due(t, s, engine.BugQueue); !slices.Equal(got, []string{"10", "20"}) {
		t.Fatalf("dirty bugs %v", got)
	}
	if got := due(t, s, engine.TicketQueue); len(got) != 0 {
		t.Fatalf("dirty tickets %v", got)
	}
}

func drain(t *testing.T, s *Store, q engine.Queue) {
	t.Helper()
	ctx := context.Background()
	claims, err := s.Claim(ctx, q, t0.Add(time.Hour), 1000, t0.Add(2*time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(ctx, q, claims, t0); err != nil {
		t.Fatal(err)
	}
}

// A script that fails part way (here: a key of the wrong type) leaves the
// cursor where it was; re-applying the page once the cause is gone converges.
func TestCommitTicketPageFailureKeepsCursor(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	if _, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{Tickets: []engine.TicketChange{change(1, "10")}, Cursor: "c1", Now: t0}); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, s.key("tl:3"), "not a hash", 0).Err(); err != nil {
		t.Fatal(err)
	}
	page := engine.TicketPageCommit{Tickets: []engine.TicketChange{change(2, "10"), change(3, "20")}, Cursor: "c2", Now: t0}
	if _, err := s.CommitTicketPage(ctx, page); err == nil {
		t.Fatal("commit over a corrupt key succeeded")
	}
	if cur, _ := s.TicketCursor(ctx); cur != "c1" {
		t.Fatalf("cursor moved to %q past a failed page", cur)
	}
	c.Del(ctx, s.key("tl:3"))
	if _, err := s.CommitTicketPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	if cur, _ := s.TicketCursor(ctx); cur != "c2" {
		t.Fatalf("cursor %q after the retry", cur)
	}
	checkIndex(t, s, c)
}

// Eight writers relink overlapping tickets and bugs from both sides at once;
// both indexes stay mutually consistent, and the last write of each ticket
// is what the index holds.
func TestConcurrentRelinksStayConsistent(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	const writers, rounds, tickets, bugs = 8, 40, 12, 6
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for range rounds {
				if w%2 == 0 {
					var page []engine.TicketChange
					for range 3 {
						var bs []string
						for b := range bugs {
							if rng.IntN(3) == 0 {
								bs = append(bs, strconv.Itoa(b))
							}
						}
						page = append(page, change(int64(rng.IntN(tickets)), bs...))
					}
					if _, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{Tickets: page, Now: t0}); err != nil {
						errs <- err
						return
					}
				} else {
					var ts []int64
					for tk := range tickets {
						if rng.IntN(4) == 0 {
							ts = append(ts, int64(tk))
						}
					}
					b := engine.BugChange{Record: engine.BugRecord{Bug: engine.Bug{ID: strconv.Itoa(rng.IntN(bugs)), Key: "P-1"}}, TrackerTickets: ts, TrackerLinksRead: true}
					if _, err := s.CommitBugPage(ctx, engine.BugPageCommit{Bugs: []engine.BugChange{b}, Now: t0}); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkIndex(t, s, c)
}

func TestCommitBugPage(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	if _, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{Tickets: []engine.TicketChange{change(1, "10"), change(2, "10")}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	drain(t, s, engine.BugQueue)
	drain(t, s, engine.TicketQueue)

	rec := engine.BugRecord{Bug: engine.Bug{ID: "10", Key: "NEW-1", Status: "Done", Updated: t0}, Seq: 2, State: engine.StateDone}
	changes, err := s.CommitBugPage(ctx, engine.BugPageCommit{
		Bugs:      []engine.BugChange{{Record: rec, Dirty: true, TicketsDirty: true, TrackerTickets: []int64{2, 3}, TrackerLinksRead: true}},
		Aliases:   map[string]string{"NEW-1": "10"},
		Watermark: t0, Now: t0,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Ticket 2 was linked from its side already: only its mask changes.
	slices.SortFunc(changes, func(a, b engine.LinkChange) int { return int(a.TicketID - b.TicketID) })
	want := []engine.LinkChange{
		{TicketID: 2, BugID: "10", Source: engine.LinkFromTracker, Added: true},
		{TicketID: 3, BugID: "10", Source: engine.LinkFromTracker, Added: true},
	}
	if !slices.Equal(changes, want) {
		t.Fatalf("changes %+v", changes)
	}
	links, _ := s.BugLinks(ctx, []string{"10"})
	if !maps.Equal(links["10"], map[int64]engine.LinkSource{1: 1, 2: 3, 3: 2}) {
		t.Fatalf("bug links %v", links["10"])
	}
	checkIndex(t, s, c)
	if got := due(t, s, engine.TicketQueue); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Fatalf("tickets of a changed bug not dirty: %v", got)
	}
	if wm, _ := s.BugWatermark(ctx); !wm.Equal(t0) {
		t.Fatalf("watermark %v", wm)
	}
	got, _ := s.Bugs(ctx, []string{"10"})
	if b := got["10"]; b.Key != "NEW-1" || b.Seq != 2 || b.State != engine.StateDone || !b.Updated.Equal(t0) {
		t.Fatalf("record %+v", b)
	}

	// Links not read leave tracker-side links alone.
	if changes, err := s.CommitBugPage(ctx, engine.BugPageCommit{Bugs: []engine.BugChange{{Record: rec}}, Now: t0}); err != nil || len(changes) != 0 {
		t.Fatalf("changes %v, err %v", changes, err)
	}
	// Removing the person's link to ticket 2 keeps the ticket's own link.
	if _, err := s.CommitBugPage(ctx, engine.BugPageCommit{Bugs: []engine.BugChange{{Record: rec, TrackerLinksRead: true}}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	links, _ = s.BugLinks(ctx, []string{"10"})
	if !maps.Equal(links["10"], map[int64]engine.LinkSource{1: 1, 2: 1}) {
		t.Fatalf("bug links after unlinking the tracker side %v", links["10"])
	}
	checkIndex(t, s, c)
}

func TestPutRecordsCompareAndSet(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if _, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{Tickets: []engine.TicketChange{change(1)}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	recs, _ := s.Tickets(ctx, []int64{1})
	r := recs[1]
	r.StatusField = "PROJ-1: Done"
	absent := engine.TicketRecord{ID: 99, Version: 1}
	if ok, err := s.PutTickets(ctx, []engine.TicketRecord{r, absent}); err != nil || !ok[0] || ok[1] {
		t.Fatalf("put at the read version, and of an absent record: %v %v", ok, err)
	}
	r.StatusField = "stale write"
	if ok, err := s.PutTickets(ctx, []engine.TicketRecord{r}); err != nil || ok[0] {
		t.Fatalf("put at an old version succeeded: %v %v", ok, err)
	}
	if recs, _ := s.Tickets(ctx, []int64{99}); len(recs) != 0 {
		t.Fatal("a put created an absent record")
	}
	if recs, _ := s.Tickets(ctx, []int64{1}); recs[1].StatusField != "PROJ-1: Done" || recs[1].Version != 2 {
		t.Fatalf("record %+v", recs[1])
	}
	if ok, err := s.PutBug(ctx, engine.BugRecord{Bug: engine.Bug{ID: "404"}, Version: 0}); err != nil || ok {
		t.Fatalf("put of an absent bug created it: %v %v", ok, err)
	}
}

func TestDropBug(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	if _, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{
		Tickets: []engine.TicketChange{change(1, "10", "20"), change(2, "10")},
		NewBugs: []engine.BugRecord{{Bug: engine.Bug{ID: "10", Key: "PROJ-1"}}},
		Aliases: map[string]string{"PROJ-1": "10"}, Now: t0,
	}); err != nil {
		t.Fatal(err)
	}
	s.SetBugMemory(ctx, "10", engine.BugMemory{OpenTickets: 2}, engine.Standing{})
	drain(t, s, engine.TicketQueue)
	tickets, err := s.DropBug(ctx, engine.BugRecord{Bug: engine.Bug{ID: "10", Key: "PROJ-1"}}, engine.MissingKey{Key: "PROJ-1", FirstSeen: t0, RecheckAt: t0.Add(time.Hour)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(tickets)
	if !slices.Equal(tickets, []int64{1, 2}) {
		t.Fatalf("tickets %v", tickets)
	}
	checkIndex(t, s, c)
	if got := due(t, s, engine.TicketQueue); !slices.Equal(got, []string{"1", "2"}) {
		t.Fatalf("tickets of a dropped bug not dirty: %v", got)
	}
	if got := due(t, s, engine.BugQueue); !slices.Equal(got, []string{"20"}) {
		t.Fatalf("a dropped bug stays queued: %v", got)
	}
	if a, _ := s.Aliases(ctx, []string{"PROJ-1"}); len(a) != 0 {
		t.Fatalf("alias kept: %v", a)
	}
	if m, _ := s.MissingKeys(ctx, []string{"PROJ-1"}); len(m) != 1 {
		t.Fatal("key of a dropped bug not recorded missing")
	}
	if mem, _, _ := s.BugMemories(ctx, []string{"10"}); mem["10"].OpenTickets != 0 {
		t.Fatal("memory kept")
	}
}

func TestQueueClaimAckRetry(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	q := engine.BugQueue
	lease := t0.Add(time.Minute)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Enqueue(ctx, q, []string{"a", "b", "a"}, t0))
	must(s.Enqueue(ctx, q, []string{"a"}, t0.Add(time.Second))) // a flood collapses into one item, due at the first mark
	if n, _ := s.DueCount(ctx, q, t0); n != 2 {
		t.Fatalf("due %d, want 2", n)
	}

	claims, err := s.Claim(ctx, q, t0, 10, lease, "")
	must(err)
	if len(claims) != 2 {
		t.Fatalf("claims %+v", claims)
	}
	for _, c := range claims {
		if !c.Due.Equal(t0) {
			t.Fatalf("claim %+v: due %s, want the first mark %s", c, c.Due, t0)
		}
	}
	// Claimed items are hidden from other claimants until the lease ends.
	if again, _ := s.Claim(ctx, q, t0.Add(30*time.Second), 10, lease, ""); len(again) != 0 {
		t.Fatalf("claimed twice: %+v", again)
	}
	// b is marked dirty while being worked on: acking keeps it, due now.
	must(s.Enqueue(ctx, q, []string{"b"}, t0.Add(10*time.Second)))
	must(s.Ack(ctx, q, claims, t0.Add(20*time.Second)))
	if ids, _ := s.Due(ctx, q, t0.Add(20*time.Second), 0, 10); !slices.Equal(ids, []string{"b"}) {
		t.Fatalf("after ack: %v, want b only", ids)
	}

	// A failure is retried later, with the attempt counted.
	claims, _ = s.Claim(ctx, q, t0.Add(20*time.Second), 10, lease.Add(time.Minute), "")
	must(s.Reschedule(ctx, q, claims, t0.Add(5*time.Minute), true))
	if ids, _ := s.Due(ctx, q, t0.Add(4*time.Minute), 0, 10); len(ids) != 0 {
		t.Fatalf("retried too early: %v", ids)
	}
	claims, _ = s.Claim(ctx, q, t0.Add(5*time.Minute), 10, t0.Add(6*time.Minute), "")
	if len(claims) != 1 || claims[0].Attempts != 1 {
		t.Fatalf("claims %+v, want b with one attempt", claims)
	}

	// A claimant that dies loses nothing: the item is due again after its lease.
	if ids, _ := s.Claim(ctx, q, t0.Add(6*time.Minute+time.Millisecond), 10, t0.Add(7*time.Minute), ""); len(ids) != 1 {
		t.Fatalf("expired claim not reclaimable: %v", ids)
	}
	// Rescheduling an item someone dropped does not bring it back.
	must(s.Ack(ctx, q, []engine.Claim{{ID: "b", Version: 2}}, t0))
	must(s.Reschedule(ctx, q, []engine.Claim{{ID: "b"}}, t0, false))
	if n, _ := s.DueCount(ctx, q, t0.Add(time.Hour)); n != 0 {
		t.Fatalf("%d items left", n)
	}
}

func TestOrganizationCacheExpiresOnTheEngineClock(t *testing.T) {
	ctx := context.Background()
	c, prefix := redistest.Client(t)
	s := New(c, prefix, 10*time.Minute)
	if err := s.PutOrganizations(ctx, []engine.Organization{{ID: 1, Name: "Acme", Tier: "pro"}}, t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Organizations(ctx, []int64{1, 2}, t0.Add(9*time.Minute)); len(got) != 1 || got[1].Tier != "pro" {
		t.Fatalf("before expiry: %+v", got)
	}
	if got, _ := s.Organizations(ctx, []int64{1}, t0.Add(10*time.Minute)); len(got) != 0 {
		t.Fatalf("after expiry: %+v", got)
	}
	// Redis collects the entry by itself too.
	if ttl, err := c.PTTL(ctx, s.key("org:1")).Result(); err != nil || ttl <= 0 || ttl > 10*time.Minute {
		t.Fatalf("redis ttl %v %v", ttl, err)
	}
}

func TestMemoryMarksAndLinksRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	mem := engine.BugMemory{
		Bump:      engine.Pending{Seq: 2, Target: "High", Text: "t", Phase: engine.PhaseSending},
		StaleNote: engine.Pending{Seq: 1, Phase: engine.PhaseDone},
		Expect:    engine.BugEdit{ID: "10", Key: "PROJ-1", Priority: "High", AddLabels: []string{"x"}},
		Seen:      t0, Echo: t0.Add(time.Second), OpenTickets: 3,
	}
	stand := engine.Standing{
		Customers: engine.Customers{Distinct: 3, Weighted: 7, ByTier: map[string]int{"pro": 2}},
		Category:  engine.CategoryInProgress, Waiting: map[int64]time.Time{501: t0, 502: t0.Add(time.Hour)},
	}
	if err := s.SetBugMemory(ctx, "10", mem, stand); err != nil {
		t.Fatal(err)
	}
	got, stands, err := s.BugMemories(ctx, []string{"10", "11"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got["10"]) != fmt.Sprint(mem) || fmt.Sprint(got["11"]) != fmt.Sprint(engine.BugMemory{}) {
		t.Fatalf("memories %+v", got)
	}
	if fmt.Sprint(stands["10"]) != fmt.Sprint(stand) || fmt.Sprint(stands["11"]) != fmt.Sprint(engine.Standing{}) {
		t.Fatalf("standings %+v", stands)
	}

	if err := s.SetNoteMarks(ctx, map[int64]map[string]engine.NoteMark{1: {"10": {Seq: 3, Sending: 4}, "11": {Seq: 1}, "12": {Seq: -1, Sending: 0}}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNoteMarks(ctx, nil, map[int64][]string{1: {"11"}}); err != nil {
		t.Fatal(err)
	}
	marks, _ := s.NoteMarks(ctx, []int64{1, 2})
	if !maps.Equal(marks[1], map[string]engine.NoteMark{"10": {Seq: 3, Sending: 4}, "12": {Seq: -1}}) || len(marks[2]) != 0 {
		t.Fatalf("marks %+v", marks)
	}

	w := engine.WrittenLink{GlobalID: "helpdesk-sync:https://h/agent/tickets/5", Digest: "abc"}
	if err := s.SetWrittenLinks(ctx, "10", map[int64]engine.WrittenLink{5: w, 6: w}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetWrittenLinks(ctx, "10", nil, []int64{6}); err != nil {
		t.Fatal(err)
	}
	links, _ := s.WrittenLinks(ctx, []string{"10"})
	if !maps.Equal(links["10"], map[int64]engine.WrittenLink{5: w}) {
		t.Fatalf("written links %+v", links)
	}
}

func TestCursorsAndGuard(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if e, err := s.Epoch(ctx); err != nil || e != "" {
		t.Fatalf("empty state epoch %q %v", e, err)
	}
	s.SetEpoch(ctx, "ab12")
	s.SetTicketCursor(ctx, "cur")
	s.SetBugWatermark(ctx, t0)
	s.SetSweptAt(ctx, t0)
	e, _ := s.Epoch(ctx)
	c, _ := s.TicketCursor(ctx)
	w, _ := s.BugWatermark(ctx)
	sw, _ := s.SweptAt(ctx)
	if e != "ab12" || c != "cur" || !w.Equal(t0) || !sw.Equal(t0) {
		t.Fatalf("epoch %q cursor %q watermark %v swept %v", e, c, w, sw)
	}
	s.SetTicketCursor(ctx, "")
	if c, _ := s.TicketCursor(ctx); c != "" {
		t.Fatalf("cursor not reset: %q", c)
	}

	g := engine.GuardState{Kind: "priority", Planned: 4000, Limit: 50, Since: t0}
	s.SetGuard(ctx, g)
	if gs, _ := s.Guards(ctx); len(gs) != 1 || gs[0] != g {
		t.Fatalf("guards %+v", gs)
	}
	s.ClearGuard(ctx, "priority")
	if gs, _ := s.Guards(ctx); len(gs) != 0 {
		t.Fatalf("guards %+v", gs)
	}
}

// TestStatusActs checks the status automation's memory: written whatever
// the record's version, kept across the observations that replace the
// record, absent on records stored before it (read as never acted on),
// forgotten when zero, and never bringing back a deleted ticket.
func TestStatusActs(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	commit := func(ch engine.TicketChange) {
		t.Helper()
		if _, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{Tickets: []engine.TicketChange{ch}, Now: t0}); err != nil {
			t.Fatal(err)
		}
	}
	act := func(id int64) engine.StatusAct {
		t.Helper()
		recs, err := s.Tickets(ctx, []int64{id})
		if err != nil {
			t.Fatal(err)
		}
		return recs[id].Act
	}
	commit(change(1))
	if got := act(1); got != (engine.StatusAct{}) {
		t.Fatalf("record without a memory reads %+v", got)
	}
	held := engine.StatusAct{Phase: engine.WaitOpen, Set: engine.StatusHold, AgentID: 11, GroupID: 21}
	if err := s.SetStatusActs(ctx, map[int64]engine.StatusAct{1: held, 99: held}); err != nil {
		t.Fatal(err)
	}
	if got := act(1); got != held {
		t.Fatalf("act = %+v, want %+v", got, held)
	}
	if n, _ := c.Exists(ctx, s.key("t:99")).Result(); n != 0 {
		t.Fatal("an act brought an absent ticket record into being")
	}
	commit(change(1)) // an observation replaces the record
	if got := act(1); got != held {
		t.Fatalf("after an observation act = %+v, want %+v", got, held)
	}
	if err := s.SetStatusActs(ctx, map[int64]engine.StatusAct{1: {}}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.HExists(ctx, s.key("t:1"), "a").Result(); ok {
		t.Fatal("a zero act is stored")
	}
	if err := s.SetStatusActs(ctx, map[int64]engine.StatusAct{1: held}); err != nil {
		t.Fatal(err)
	}
	commit(engine.TicketChange{ID: 1}) // deleted
	if recs, _ := s.Tickets(ctx, []int64{1}); len(recs) != 0 {
		t.Fatalf("deleted ticket still reads %+v", recs)
	}
}

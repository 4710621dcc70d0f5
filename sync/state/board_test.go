package state

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func standing(cat engine.StatusCategory, weighted float64, distinct int, waiting map[int64]time.Time) engine.Standing {
	return engine.Standing{
		Customers: engine.Customers{Distinct: distinct, Weighted: weighted},
		Category:  cat, Waiting: waiting,
	}
}

// checkStanding asserts that the board's read models agree with each
// other: the per-category totals are the sum of the bugs' shares, and the
// two sides of the waits agree with the organization ranking.
func checkStanding(t *testing.T, s *Store, c redis.UniversalClient) {
	t.Helper()
	ctx := context.Background()
	shares, err := c.HGetAll(ctx, s.key("standing")).Result()
	if err != nil {
		t.Fatal(err)
	}
	sum := map[engine.StatusCategory]int{}
	for bid, v := range shares {
		cat, n, _ := strings.Cut(v, " ")
		k, err := strconv.Atoi(n)
		if err != nil || k <= 0 {
			t.Fatalf("bug %s share %q", bid, v)
		}
		sum[engine.StatusCategory(cat)] += k
	}
	waiting, err := s.Waiting(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(sum, waiting) {
		t.Fatalf("customers waiting %v, but the bugs' shares add up to %v", waiting, sum)
	}
	orgs, err := s.WaitingOrganizations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fromOrgs := map[string]bool{}
	for _, o := range orgs {
		if len(o.Bugs) == 0 {
			t.Fatalf("organization %d listed without bugs", o.OrgID)
		}
		for _, w := range o.Bugs {
			fromOrgs[strconv.FormatInt(o.OrgID, 10)+"/"+w.BugID] = true
		}
	}
	fromBugs := map[string]bool{}
	iter := c.Scan(ctx, 0, s.key("bw:*"), 1000).Iterator()
	for iter.Next(ctx) {
		bid := strings.TrimPrefix(iter.Val(), s.key("bw:"))
		orgs, err := c.HKeys(ctx, iter.Val()).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, org := range orgs {
			fromBugs[org+"/"+bid] = true
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(fromOrgs, fromBugs) {
		t.Fatalf("waits disagree:\nby organization %v\nby bug %v", fromOrgs, fromBugs)
	}
}

func ranked(t *testing.T, s *Store) []Ranked {
	t.Helper()
	r, err := s.RankedBugs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestStandingFollowsMemory(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	t1 := t0.Add(24 * time.Hour)
	steps := []struct {
		name    string
		bug     string
		stand   engine.Standing
		rank    []Ranked
		waiting map[engine.StatusCategory]int
		orgs    map[int64][]Wait
	}{
		{
			name: "first bug", bug: "10",
			stand:   standing(engine.CategoryToDo, 7, 3, map[int64]time.Time{501: t0, 502: t0}),
			rank:    []Ranked{{"10", 7}},
			waiting: map[engine.StatusCategory]int{engine.CategoryToDo: 3},
			orgs:    map[int64][]Wait{501: {{"10", t0}}, 502: {{"10", t0}}},
		},
		{
			name: "a second bug ranks above it", bug: "20",
			stand:   standing(engine.CategoryInProgress, 12.5, 2, map[int64]time.Time{502: t1}),
			rank:    []Ranked{{"20", 12.5}, {"10", 7}},
			waiting: map[engine.StatusCategory]int{engine.CategoryToDo: 3, engine.CategoryInProgress: 2},
			orgs:    map[int64][]Wait{501: {{"10", t0}}, 502: {{"10", t0}, {"20", t1}}},
		},
		{
			name: "the first bug moves to done and an organization stops waiting", bug: "10",
			stand:   standing(engine.CategoryDone, 4, 2, map[int64]time.Time{502: t0}),
			rank:    []Ranked{{"20", 12.5}, {"10", 4}},
			waiting: map[engine.StatusCategory]int{engine.CategoryDone: 2, engine.CategoryInProgress: 2},
			orgs:    map[int64][]Wait{502: {{"10", t0}, {"20", t1}}},
		},
		{
			name: "the same standing again changes nothing", bug: "10",
			stand:   standing(engine.CategoryDone, 4, 2, map[int64]time.Time{502: t0}),
			rank:    []Ranked{{"20", 12.5}, {"10", 4}},
			waiting: map[engine.StatusCategory]int{engine.CategoryDone: 2, engine.CategoryInProgress: 2},
			orgs:    map[int64][]Wait{502: {{"10", t0}, {"20", t1}}},
		},
		{
			name: "nobody waits on the second bug any more", bug: "20",
			stand:   standing(engine.CategoryInProgress, 0, 0, nil),
			rank:    []Ranked{{"10", 4}},
			waiting: map[engine.StatusCategory]int{engine.CategoryDone: 2},
			orgs:    map[int64][]Wait{502: {{"10", t0}}},
		},
	}
	for _, st := range steps {
		if err := s.SetBugMemory(ctx, st.bug, engine.BugMemory{}, st.stand); err != nil {
			t.Fatal(err)
		}
		if got := ranked(t, s); !slices.Equal(got, st.rank) {
			t.Errorf("%s: ranking %v, want %v", st.name, got, st.rank)
		}
		if got, _ := s.Waiting(ctx); !maps.Equal(got, st.waiting) {
			t.Errorf("%s: waiting %v, want %v", st.name, got, st.waiting)
		}
		orgs, err := s.WaitingOrganizations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64][]Wait{}
		for _, o := range orgs {
			got[o.OrgID] = o.Bugs
		}
		if !maps.EqualFunc(got, st.orgs, slices.Equal) {
			t.Errorf("%s: waits %v, want %v", st.name, got, st.orgs)
		}
		checkStanding(t, s, c)
	}
	if orgs, _ := s.WaitingOrganizations(ctx); len(orgs) != 1 {
		t.Fatalf("organizations %v", orgs)
	}

	// A dropped bug leaves every read model.
	if _, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{Tickets: []engine.TicketChange{change(1, "10")}, Now: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DropBug(ctx, engine.BugRecord{Bug: engine.Bug{ID: "10", Key: "PROJ-1"}}, engine.MissingKey{Key: "PROJ-1"}, t0); err != nil {
		t.Fatal(err)
	}
	if got := ranked(t, s); len(got) != 0 {
		t.Fatalf("ranking after drop %v", got)
	}
	if got, _ := s.Waiting(ctx); len(got) != 0 {
		t.Fatalf("waiting after drop %v", got)
	}
	if orgs, _ := s.WaitingOrganizations(ctx); len(orgs) != 0 {
		t.Fatalf("organizations after drop %v", orgs)
	}
	checkStanding(t, s, c)
}

// TestStandingUnderRandomMemories writes random standings of a few bugs and
// checks after each that the read models agree with each other and with
// the last standing of every bug.
func TestStandingUnderRandomMemories(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	cats := []engine.StatusCategory{engine.CategoryToDo, engine.CategoryInProgress, engine.CategoryDone}
	last := map[string]engine.Standing{}
	for i := range 300 {
		bug := strconv.Itoa(10 + i*7%5)
		n := i * 31 % 4
		waiting := map[int64]time.Time{}
		for o := range n {
			waiting[int64(500+(i+o*3)%6)] = t0.Add(time.Duration(o) * time.Hour)
		}
		st := standing(cats[i%3], float64(n)*1.5, len(waiting), waiting)
		if err := s.SetBugMemory(ctx, bug, engine.BugMemory{}, st); err != nil {
			t.Fatal(err)
		}
		last[bug] = st
		checkStanding(t, s, c)
	}
	want := map[string]float64{}
	for bug, m := range last {
		if m.Customers.Distinct > 0 {
			want[bug] = m.Customers.Weighted
		}
	}
	got := map[string]float64{}
	for _, r := range ranked(t, s) {
		got[r.ID] = r.Weighted
	}
	if !maps.Equal(got, want) {
		t.Fatalf("ranking %v, want %v", got, want)
	}
}

func TestOrganizationNamesOutliveTheCache(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if _, err := s.CommitTicketPage(ctx, engine.TicketPageCommit{
		Organizations: []engine.Organization{{ID: 1, Name: "Acme", Tier: "enterprise"}}, Now: t0,
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutOrganizations(ctx, []engine.Organization{{ID: 2, Name: "Globex"}}, t0); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(48 * time.Hour)
	if cached, _ := s.Organizations(ctx, []int64{1, 2}, later); len(cached) != 0 {
		t.Fatalf("cache did not expire: %v", cached)
	}
	names, err := s.OrganizationNames(ctx, []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]engine.Organization{1: {ID: 1, Name: "Acme", Tier: "enterprise"}, 2: {ID: 2, Name: "Globex"}}
	if !maps.Equal(names, want) {
		t.Fatalf("names %v, want %v", names, want)
	}
}

func TestRecordHealth(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if err := s.SetBugMemory(ctx, "10", engine.BugMemory{}, standing(engine.CategoryToDo, 3, 3, nil)); err != nil {
		t.Fatal(err)
	}
	minute := t0.Truncate(time.Minute)
	reports := []HealthReport{
		// An old bucket, dropped once reports two hours later arrive.
		{At: t0.Add(-3 * time.Hour), Requests: []Requests{{Vendor: "jira", Minute: minute.Add(-3 * time.Hour), Attempts: 9, Remaining: -1}}},
		{At: t0, Cycle: &StepHealth{Step: "cycle", At: t0, Took: 2 * time.Second},
			Read: map[string]time.Time{"zendesk": t0, "jira": t0},
			Requests: []Requests{
				{Vendor: "zendesk", Minute: minute, Attempts: 2, Remaining: 398},
				{Vendor: "jira", Minute: minute, Attempts: 1, Failed: 1, Remaining: -1},
			}},
		// Another replica's failed drain.
		{At: t0.Add(30 * time.Second), Failure: &StepHealth{Step: "drain", At: t0.Add(30 * time.Second), Errors: 1, Error: "engine: edit bug PROJ-1: 503"},
			Requests: []Requests{{Vendor: "jira", Minute: minute, Attempts: 3, Failed: 1, Remaining: -1}}},
		// A replica reporting late: its read of zendesk is older than the
		// one recorded and does not move it back.
		{At: t0.Add(time.Minute), Cycle: &StepHealth{Step: "resync", At: t0.Add(-time.Minute), Took: time.Second},
			Read: map[string]time.Time{"zendesk": t0.Add(-time.Minute), "jira": t0.Add(time.Minute)}},
	}
	for _, r := range reports {
		if err := s.RecordHealth(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	h, err := s.Health(ctx, []string{"zendesk", "jira", "none"}, t0.Add(-6*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if h.Cycle.Step != "resync" || !h.Cycle.At.Equal(t0.Add(-time.Minute)) || h.Cycle.Took != time.Second || h.Cycle.Errors != 0 {
		t.Errorf("last cycle %+v", h.Cycle)
	}
	if h.Failure.Step != "drain" || h.Failure.Errors != 1 || h.Failure.Error != "engine: edit bug PROJ-1: 503" {
		t.Errorf("last failure %+v", h.Failure)
	}
	zd, jr := h.Vendors["zendesk"], h.Vendors["jira"]
	if !zd.LastRead.Equal(t0) || !jr.LastRead.Equal(t0.Add(time.Minute)) {
		t.Errorf("last reads: zendesk %v, jira %v", zd.LastRead, jr.LastRead)
	}
	if zd.Remaining != 398 || !zd.RemainingAt.Equal(minute) || jr.Remaining != -1 {
		t.Errorf("remaining: zendesk %d at %v, jira %d", zd.Remaining, zd.RemainingAt, jr.Remaining)
	}
	wantJira := []Requests{{Vendor: "jira", Minute: minute, Attempts: 4, Failed: 2, Remaining: -1}}
	if !slices.Equal(jr.Minutes, wantJira) {
		t.Errorf("jira minutes %+v, want %+v (the 3-hour-old bucket dropped)", jr.Minutes, wantJira)
	}
	if len(h.Vendors["none"].Minutes) != 0 || !h.Vendors["none"].LastRead.IsZero() {
		t.Errorf("a vendor never reported: %+v", h.Vendors["none"])
	}

	points, err := s.Points(ctx, t0.AddDate(0, 0, -30))
	if err != nil {
		t.Fatal(err)
	}
	day := t0.Truncate(24 * time.Hour)
	if len(points) != 1 || !points[0].Day.Equal(day) || !maps.Equal(points[0].Waiting, map[engine.StatusCategory]int{engine.CategoryToDo: 3}) {
		t.Fatalf("points %+v", points)
	}
}

func TestPointsKeepAMonth(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	for d := range 40 {
		at := t0.AddDate(0, 0, d)
		if err := s.SetBugMemory(ctx, "10", engine.BugMemory{}, standing(engine.CategoryToDo, 1, d+1, nil)); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordHealth(ctx, HealthReport{At: at, Cycle: &StepHealth{Step: "cycle", At: at}}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.Points(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != keepDays+1 {
		t.Fatalf("%d points kept, want %d", len(all), keepDays+1)
	}
	last := all[len(all)-1]
	if !last.Day.Equal(t0.AddDate(0, 0, 39).Truncate(24*time.Hour)) || last.Waiting[engine.CategoryToDo] != 40 {
		t.Fatalf("last point %+v", last)
	}
	recent, _ := s.Points(ctx, t0.AddDate(0, 0, 30))
	if len(recent) != 10 || !recent[0].Day.Equal(t0.AddDate(0, 0, 30).Truncate(24*time.Hour)) {
		t.Fatalf("points since day 30: %d from %v", len(recent), recent[0].Day)
	}
}

// BenchmarkSetBugMemory is the reconciler's memory write with the board's
// standing kept alongside: one script call, the bug's waits diffed against
// the last ones (five organizations, one of them changing each time).
func BenchmarkSetBugMemory(b *testing.B) {
	ctx := context.Background()
	s, _ := newStore(b)
	i := 0
	for b.Loop() {
		waiting := map[int64]time.Time{}
		for o := range 5 {
			waiting[int64(500+o+i%2)] = t0
		}
		st := standing(engine.CategoryToDo, 7.5, len(waiting), waiting)
		mem := engine.BugMemory{Bump: engine.Pending{Seq: 1, Target: "High", Text: "3 customers now report this; raised to High.", Phase: engine.PhaseDone}}
		if err := s.SetBugMemory(ctx, strconv.Itoa(10+i%100), mem, st); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

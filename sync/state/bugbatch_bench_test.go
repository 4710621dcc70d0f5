package state

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// BenchmarkBugBatchRead is what the state layer costs to load a batch of
// 100 bugs for reconciling, as the engine's bug views do: records, memory,
// links, written remote links, then every linked ticket's record. The
// account has 10 tickets per bug (the backfill's average); round trips per
// batch are reported, and do not grow with the batch.
func BenchmarkBugBatchRead(b *testing.B) {
	ctx := context.Background()
	s, c := newStore(b)
	const bugs, perBug = 100, 10
	commit := engine.TicketPageCommit{Cursor: "c", Now: t0, Aliases: map[string]string{}}
	ids := make([]string, bugs)
	for i := range ids {
		ids[i] = fmt.Sprint(10_000 + i)
		key := fmt.Sprintf("PROJ-%d", i+1)
		commit.Aliases[key] = ids[i]
		commit.NewBugs = append(commit.NewBugs, engine.BugRecord{Bug: engine.Bug{ID: ids[i], Key: key, Status: "To Do", Priority: "Low"}})
		for j := range perBug {
			id := int64(i*perBug + j + 1)
			r := ticketRec(id, key)
			r.Subject = "Export fails when the file is larger than 2 GB"
			r.URL = fmt.Sprintf("https://acme.zendesk.com/agent/tickets/%d", id)
			commit.Tickets = append(commit.Tickets, engine.TicketChange{ID: id, Record: r, Bugs: []string{ids[i]}, Dirty: true})
		}
	}
	if _, err := s.CommitTicketPage(ctx, commit); err != nil {
		b.Fatal(err)
	}
	rt := &roundTrips{}
	c.AddHook(rt)
	b.ReportAllocs()
	for b.Loop() {
		recs, err := s.Bugs(ctx, ids)
		if err != nil {
			b.Fatal(err)
		}
		present := slices.Sorted(maps.Keys(recs))
		if _, _, err := s.BugMemories(ctx, present); err != nil {
			b.Fatal(err)
		}
		links, err := s.BugLinks(ctx, present)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.WrittenLinks(ctx, present); err != nil {
			b.Fatal(err)
		}
		var tids []int64
		for _, l := range links {
			for tid := range l {
				tids = append(tids, tid)
			}
		}
		tickets, err := s.Tickets(ctx, tids)
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) != bugs || len(tickets) != bugs*perBug {
			b.Fatalf("read %d bugs and %d tickets", len(recs), len(tickets))
		}
	}
	b.ReportMetric(float64(rt.n)/float64(b.N), "roundtrips/batch")
}

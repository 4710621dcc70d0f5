package state

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// roundTrips counts commands and pipelines sent to Redis.
type roundTrips struct {
	m sync.Mutex
	n int
}

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.m.Lock()
		r.n++
		r.m.Unlock()
		return next(ctx, cmd)
	}
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.m.Lock()
		r.n++
		r.m.Unlock()
		return next(ctx, cmds)
	}
}

// BenchmarkTicketPage is what the state layer costs per 1000-ticket helpdesk
// page: reading the page's records, aliases and missing keys, then the
// atomic commit (records, links, dirty marks, cursor). "relinked" moves
// every ticket to another bug (worst case: two link changes per ticket);
// "same-links" rewrites the records with their links unchanged (the usual
// incremental page).
func BenchmarkTicketPage(b *testing.B) {
	b.Run("relinked", func(b *testing.B) { benchmarkTicketPage(b, 1) })
	b.Run("same-links", func(b *testing.B) { benchmarkTicketPage(b, 0) })
}

func benchmarkTicketPage(b *testing.B, shift int) {
	ctx := context.Background()
	s, c := newStore(b)
	rt := &roundTrips{}
	c.AddHook(rt)
	const size = 1000
	ids := make([]int64, size)
	keys := make([]string, 0, size)
	for i := range ids {
		ids[i] = int64(i + 1)
		keys = append(keys, fmt.Sprintf("PROJ-%d", i%200+1))
	}
	page := func(round int) engine.TicketPageCommit {
		p := engine.TicketPageCommit{Cursor: fmt.Sprint("c", round), Now: t0, Aliases: map[string]string{}}
		for i, id := range ids {
			bug := fmt.Sprint((i + round*shift) % 200)
			r := ticketRec(id, keys[i])
			r.Subject = "Export fails when the file is larger than 2 GB"
			r.URL = fmt.Sprintf("https://acme.zendesk.com/agent/tickets/%d", id)
			p.Tickets = append(p.Tickets, engine.TicketChange{ID: id, Record: r, Bugs: []string{bug}, Dirty: true})
			p.Aliases[keys[i]] = bug
		}
		return p
	}
	b.ResetTimer()
	rt.n = 0
	for i := range b.N {
		if _, err := s.Tickets(ctx, ids); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Aliases(ctx, keys); err != nil {
			b.Fatal(err)
		}
		if _, err := s.MissingKeys(ctx, keys); err != nil {
			b.Fatal(err)
		}
		if _, err := s.CommitTicketPage(ctx, page(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rt.n)/float64(b.N), "roundtrips/page")
}

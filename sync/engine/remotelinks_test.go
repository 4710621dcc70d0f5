package engine_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine/enginetest"
)

// linkGate is a tracker whose remote link upserts each wait until a
// second one is in flight, counting them per ticket, and fail for one
// ticket while failTicket is set.
type linkGate struct {
	*enginetest.Tracker
	ticketOf func(url string) (int64, bool)

	mu         sync.Mutex
	inFlight   int
	most       int
	upserts    map[int64]int
	failTicket int64
	together   chan struct{} // closed once two upserts are in flight at once
	closed     bool
}

// serialTimeout bounds the wait for a second upsert: were the links
// written one after another, the first would wait for ever.
const serialTimeout = 10 * time.Second

func (g *linkGate) UpsertRemoteLink(ctx context.Context, bugID string, l engine.RemoteLink) error {
	id, _ := g.ticketOf(l.URL)
	g.mu.Lock()
	g.inFlight++
	g.most = max(g.most, g.inFlight)
	g.upserts[id]++
	if g.inFlight >= 2 && !g.closed {
		close(g.together)
		g.closed = true
	}
	fail := id == g.failTicket
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
	}()
	select {
	case <-g.together:
	case <-time.After(serialTimeout):
		g.mu.Lock()
		if !g.closed { // the rest need not wait as long
			close(g.together)
			g.closed = true
		}
		g.mu.Unlock()
		return errors.New("no other link write was in flight with this one")
	}
	if fail {
		return errors.New("503 from the tracker")
	}
	return g.Tracker.UpsertRemoteLink(ctx, bugID, l)
}

// A bug's remote links are written several at a time, never more than the
// engine's bound, each once; one that fails is reported and written again
// next cycle, alone.
func TestRemoteLinksWrittenInParallel(t *testing.T) {
	h := newHarness(t)
	g := &linkGate{Tracker: h.tr, ticketOf: h.hd.TicketRef, upserts: map[int64]int{},
		failTicket: 3, together: make(chan struct{})}
	h.opts.Tracker = g
	h.bug("10", "PROJ-1", "Low")
	for id := int64(1); id <= 6; id++ {
		h.ticket(id, 100+id, "PROJ-1")
	}

	h.clock.Advance(time.Minute)
	_, err := h.engine().Cycle(h.ctx)
	if err == nil || !strings.Contains(err.Error(), "link bug PROJ-1 to ticket 3") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("cycle error %v, want the failed link to ticket 3", err)
	}
	if g.most < 2 || g.most > 4 {
		t.Fatalf("%d link writes in flight at most, want 2 to 4", g.most)
	}
	for id := int64(1); id <= 6; id++ {
		if g.upserts[id] != 1 {
			t.Fatalf("link to ticket %d written %d times, want once: %v", id, g.upserts[id], g.upserts)
		}
	}
	h.expectLinkedTickets("10", 1, 2, 4, 5, 6)

	g.mu.Lock()
	g.failTicket = 0
	g.together = make(chan struct{})
	g.closed = true // the one link left is written alone
	close(g.together)
	g.mu.Unlock()
	h.settle()
	h.expectLinkedTickets("10", 1, 2, 3, 4, 5, 6)
	if want := map[int64]int{1: 1, 2: 1, 3: 2, 4: 1, 5: 1, 6: 1}; !maps.Equal(g.upserts, want) {
		t.Fatalf("links written %v, want %v", g.upserts, want)
	}
}

package engine

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
)

// bugTicketsAtOnce bounds the ticket records loaded for a batch's bugs: they
// are loaded a chunk of bugs at a time, the chunk holding about this many
// linked tickets (or one bigger bug), and the next chunk only once the
// last one's bugs have all started, so that the memory a batch holds does
// not grow with the account (a few popular bugs link tens of thousands).
const bugTicketsAtOnce = 1000

// bugViewChunks yields, a chunk at a time, everything reconciling the bugs
// needs: records, memories and links for the batch in a few pipelined
// reads, then each chunk's tickets and their tiers as it is reached. Bugs
// without a record are left out.
func (e *Engine) bugViewChunks(ctx context.Context, epoch string, ids []string) iter.Seq2[[]bugView, error] {
	return func(yield func([]bugView, error) bool) {
		views, err := e.bugHeads(ctx, epoch, ids)
		if err != nil {
			yield(nil, err)
			return
		}
		for len(views) > 0 {
			n := chunkLen(views, bugTicketsAtOnce)
			chunk := views[:n:n]
			if err := e.loadBugTickets(ctx, chunk); err != nil {
				yield(nil, err)
				return
			}
			views = views[n:]
			if !yield(chunk, nil) {
				return
			}
		}
	}
}

// chunkLen is how many of views make the next chunk: as many as link at
// most limit tickets between them, and at least one.
func chunkLen(views []bugView, limit int) int {
	n, tickets := 1, len(views[0].Links)
	for n < len(views) && tickets+len(views[n].Links) <= limit {
		tickets += len(views[n].Links)
		n++
	}
	return n
}

// bugHeads loads the bugs' records, memories and standings, links and
// written links, sorted by id; their tickets are left for loadBugTickets.
func (e *Engine) bugHeads(ctx context.Context, epoch string, ids []string) ([]bugView, error) {
	recs, err := e.st.Bugs(ctx, ids)
	if err != nil {
		return nil, err
	}
	present := slices.Sorted(maps.Keys(recs))
	mems, stands, err := e.st.BugMemories(ctx, present)
	if err != nil {
		return nil, err
	}
	links, err := e.st.BugLinks(ctx, present)
	if err != nil {
		return nil, err
	}
	written, err := e.st.WrittenLinks(ctx, present)
	if err != nil {
		return nil, err
	}
	views := make([]bugView, len(present))
	now := e.now()
	for i, id := range present {
		views[i] = bugView{Bug: recs[id], Memory: mems[id], Standing: stands[id], Links: links[id], Written: written[id], Epoch: epoch, Now: now}
	}
	return views, nil
}

// loadBugTickets gives the views the records of their linked tickets and the
// tiers of those tickets' organizations, one map of each for all.
func (e *Engine) loadBugTickets(ctx context.Context, views []bugView) error {
	var tids []int64
	for _, v := range views {
		for tid := range v.Links {
			tids = append(tids, tid)
		}
	}
	slices.Sort(tids)
	tickets, err := e.st.Tickets(ctx, slices.Compact(tids))
	if err != nil {
		return err
	}
	tiers, revenues, err := e.tiers(ctx, tickets)
	if err != nil {
		return err
	}
	for i := range views {
		views[i].Tickets, views[i].Tiers, views[i].Revenues = tickets, tiers, revenues
	}
	return nil
}

// tiers are the tiers and revenues of the tickets' organizations, when
// weights or revenue need them: from the cache, else one helpdesk read for
// the misses.
func (e *Engine) tiers(ctx context.Context, tickets map[int64]TicketRecord) (map[int64]string, map[int64]float64, error) {
	if !e.policy.Weighted() && !e.policy.Revenue.Enabled {
		return nil, nil, nil
	}
	var ids []int64
	for _, t := range tickets {
		if t.OrganizationID != 0 {
			ids = append(ids, t.OrganizationID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	now := e.now()
	cached, err := e.st.Organizations(ctx, ids, now)
	if err != nil {
		return nil, nil, err
	}
	var miss []int64
	for _, id := range ids {
		if _, ok := cached[id]; !ok {
			miss = append(miss, id)
		}
	}
	if len(miss) > 0 {
		orgs, err := e.hd.Organizations(ctx, miss)
		if err != nil {
			return nil, nil, fmt.Errorf("engine: read %s: %w", plural(len(miss), "organization", "organizations"), err)
		}
		for _, o := range orgs {
			cached[o.ID] = o
		}
		// An organization that no longer exists is cached without a tier,
		// so it is not asked for again until the cache expires.
		for _, id := range miss {
			if _, ok := cached[id]; !ok {
				orgs = append(orgs, Organization{ID: id})
			}
		}
		if err := e.st.PutOrganizations(ctx, orgs, now); err != nil {
			return nil, nil, err
		}
	}
	tiers := make(map[int64]string, len(cached))
	var revenues map[int64]float64
	for id, o := range cached {
		if o.Tier != "" {
			tiers[id] = o.Tier
		}
		if o.Revenue > 0 && e.policy.Revenue.Enabled {
			if revenues == nil {
				revenues = make(map[int64]float64)
			}
			revenues[id] = o.Revenue
		}
	}
	return tiers, revenues, nil
}

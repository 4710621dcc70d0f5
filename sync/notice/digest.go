package notice

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// The digest's logs are sorted sets of "<bug id> <notice id>" scored by
// when the notice was made (unix ms): log:stale and log:fixed (fixed and
// released alike). They are trimmed to logDays.
const logDays = 8

// note logs a stale or fixed notice for the digest; the first time a
// notice id is seen is kept.
func (n *Notices) note(ctx context.Context, kind slack.Kind, bugID, id string) error {
	log := "fixed"
	if kind == slack.KindStale {
		log = "stale"
	}
	key := n.logs + log
	now := n.clock.Now()
	pipe := n.rdb.TxPipeline()
	pipe.ZAddNX(ctx, key, redis.Z{Score: float64(now.UnixMilli()), Member: bugID + " " + id})
	pipe.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(now.Add(-logDays*24*time.Hour).UnixMilli(), 10))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("notice: note %s for the digest: %w", id, err)
	}
	return nil
}

// logged are the distinct bugs of a log noted in [from, to), oldest first.
func (n *Notices) logged(ctx context.Context, log string, from, to time.Time) ([]string, error) {
	members, err := n.rdb.ZRangeByScore(ctx, n.logs+log, &redis.ZRangeBy{
		Min: strconv.FormatInt(from.UnixMilli(), 10), Max: "(" + strconv.FormatInt(to.UnixMilli(), 10)}).Result()
	if err != nil {
		return nil, fmt.Errorf("notice: read the digest's %s log: %w", log, err)
	}
	var ids []string
	for _, m := range members {
		id, _, _ := strings.Cut(m, " ")
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// NextDigest is the first digest time after now: hour o'clock in loc on
// now's day in loc, or on the next. On a day a DST change skips the hour,
// it is the time the hour maps to (02:00 → 03:00); on a day the hour
// repeats, one of the two. Each day has exactly one digest time, because
// the next is computed from the date, never by adding 24 hours.
func NextDigest(now time.Time, loc *time.Location, hour int) time.Time {
	l := now.In(loc)
	for d := 0; ; d++ {
		at := time.Date(l.Year(), l.Month(), l.Day()+d, hour, 0, 0, 0, loc)
		if at.After(now) {
			return at
		}
	}
}

// catchUp is how late a digest missed while no replica ran (a restart
// over the hour) is still posted.
const catchUp = 6 * time.Hour

// RunDigests posts the daily digest at the configured hour until ctx
// ends. Each replica runs it; the day's notice id keeps it to one post.
// A digest missed by at most catchUp (the service was down at the hour)
// is posted at start.
func (n *Notices) RunDigests(ctx context.Context) {
	if n.opt.DigestHour < 0 {
		return
	}
	now := n.clock.Now()
	if last := NextDigest(now.Add(-24*time.Hour-time.Nanosecond), n.opt.Location, n.opt.DigestHour); !last.After(now) && now.Sub(last) < catchUp {
		n.postDigest(ctx, last)
	}
	for {
		now := n.clock.Now()
		at := NextDigest(now, n.opt.Location, n.opt.DigestHour)
		select {
		case <-ctx.Done():
			return
		case <-n.clock.After(at.Sub(now)):
		}
		n.postDigest(ctx, at)
	}
}

func (n *Notices) postDigest(ctx context.Context, at time.Time) {
	if err := n.Digest(ctx, at); err != nil && ctx.Err() == nil {
		n.log.Error("slack digest not queued", zap.Time("for", at), zap.Error(err))
	}
}

// Digest queues the digest due at at: the bugs with the most customers
// waiting now, with the most revenue waiting now (where revenue is
// counted), those gone stale in the day before at, those fixed or
// released in the week before at.
func (n *Notices) Digest(ctx context.Context, at time.Time) error {
	day := at.In(n.opt.Location)
	top := max(n.opt.DigestTop, 1)
	d := slack.Digest{Day: day, Top: n.opt.DigestTop}
	ranked, err := n.opt.Store.RankedBugs(ctx)
	if err != nil {
		return fmt.Errorf("notice: digest: %w", err)
	}
	ids := make([]string, len(ranked))
	for i, r := range ranked {
		ids[i] = r.ID
	}
	byCustomers := ids[:min(len(ids), top)]
	stale, err := n.logged(ctx, "stale", at.Add(-24*time.Hour), at)
	if err != nil {
		return err
	}
	fixed, err := n.logged(ctx, "fixed", at.Add(-7*24*time.Hour), at)
	if err != nil {
		return err
	}
	// Ranking by revenue needs every ranked bug's standing; otherwise
	// those of the bugs shown do. One read either way.
	standing := byCustomers
	if n.opt.Revenue.Enabled {
		standing = ids
	}
	_, stands, err := n.opt.Store.BugMemories(ctx, slices.Concat(standing, stale, fixed))
	if err != nil {
		return fmt.Errorf("notice: digest: %w", err)
	}
	var byRevenue []string
	if n.opt.Revenue.Enabled {
		byRevenue = topRevenue(ids, stands, top)
	}
	recs, err := n.opt.Store.Bugs(ctx, slices.Concat(byCustomers, byRevenue, stale, fixed))
	if err != nil {
		return fmt.Errorf("notice: digest: %w", err)
	}
	bugs := func(ids []string, keep func(engine.BugRecord) bool) []slack.Bug {
		var out []slack.Bug
		for _, id := range ids {
			r, ok := recs[id]
			if !ok || !keep(r) {
				continue
			}
			out = append(out, n.bug(r, stands[id]))
		}
		return out
	}
	d.ByCustomers = bugs(byCustomers, func(engine.BugRecord) bool { return true })
	d.ByRevenue = bugs(byRevenue, func(engine.BugRecord) bool { return true })
	d.NewlyStale = bugs(stale, func(r engine.BugRecord) bool { return r.Stale.Flagged })
	d.FixedThisWeek = bugs(fixed, func(engine.BugRecord) bool { return true })
	return n.enqueue(ctx, notice{id: "digest:" + day.Format(time.DateOnly), kind: slack.KindDigest,
		facts: slack.Facts{Kind: slack.KindDigest}, message: slack.DailyDigest(d)})
}

// topRevenue are the top bugs of ranked (ids, most customers first) by
// the revenue waiting on them, most first; bugs with none are left out,
// and equal revenues keep the ranking's order. Every bug with revenue
// waiting has customers waiting, so the ranking holds them all.
func topRevenue(ranked []string, stands map[string]engine.Standing, top int) []string {
	ids := slices.DeleteFunc(slices.Clone(ranked), func(id string) bool { return stands[id].Customers.Revenue <= 0 })
	slices.SortStableFunc(ids, func(a, b string) int {
		return cmp.Compare(stands[b].Customers.Revenue, stands[a].Customers.Revenue)
	})
	return ids[:min(len(ids), top)]
}

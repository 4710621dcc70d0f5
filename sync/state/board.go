package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// The impact board's read models. The ranking, the waits per organization
// and the customers waiting per category are made of each bug's
// engine.Standing and moved with it in the script that writes the bug's
// memory (set_memory.lua), so that they never disagree with it, cost no
// round trip of their own, and reading them costs a few commands however
// many tickets there are; the health record and the chart's daily points
// are written at the end of engine steps (RecordHealth).

// standingWire is the argument of stand in lib.lua: what set_memory.lua
// moves a bug to on the read models. Numbers travel as strings so that
// Lua's number formatting never rounds a score or a time.
type standingWire struct {
	Weighted string      `json:"w"`
	Distinct int         `json:"n"`
	Category string      `json:"cat"`
	Orgs     [][2]string `json:"orgs,omitempty"` // organization id, since (unix ms)
}

func encodeStanding(st engine.Standing) string {
	w := standingWire{
		Weighted: strconv.FormatFloat(st.Customers.Weighted, 'f', -1, 64),
		Distinct: st.Customers.Distinct,
		Category: string(st.Category),
	}
	for _, org := range slices.Sorted(maps.Keys(st.Waiting)) {
		w.Orgs = append(w.Orgs, [2]string{formatID(org), ms(st.Waiting[org])})
	}
	return mustJSON(w)
}

// Ranked is a bug customers wait on, with its weighted customer count.
type Ranked struct {
	ID       string
	Weighted float64
}

// RankedBugs lists every bug customers wait on, most weighted customers
// first.
func (s *Store) RankedBugs(ctx context.Context) ([]Ranked, error) {
	zs, err := s.c.ZRevRangeWithScores(ctx, s.key("rank"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("state: read bug ranking: %w", err)
	}
	out := make([]Ranked, len(zs))
	for i, z := range zs {
		id, _ := z.Member.(string)
		out[i] = Ranked{ID: id, Weighted: z.Score}
	}
	return out, nil
}

// Waits are the bugs one organization waits on, longest first.
type Waits struct {
	OrgID int64
	Bugs  []Wait
}

// Wait is one bug an organization waits on, and since when.
type Wait struct {
	BugID string
	Since time.Time
}

// WaitingOrganizations lists every organization that waits on a bug, those
// waiting on the most bugs first, in two round trips.
func (s *Store) WaitingOrganizations(ctx context.Context) ([]Waits, error) {
	orgs, err := s.c.ZRevRange(ctx, s.key("orgs"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("state: read waiting organizations: %w", err)
	}
	cmds := make([]*redis.ZSliceCmd, len(orgs))
	if _, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, org := range orgs {
			cmds[i] = p.ZRangeWithScores(ctx, s.key("ow:", org), 0, -1)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("state: read the waits of %d organizations: %w", len(orgs), err)
	}
	out := make([]Waits, 0, len(orgs))
	for i, org := range orgs {
		id, err := strconv.ParseInt(org, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("state: waiting organization %q: %w", org, err)
		}
		w := Waits{OrgID: id}
		for _, z := range cmds[i].Val() {
			bid, _ := z.Member.(string)
			w.Bugs = append(w.Bugs, Wait{BugID: bid, Since: time.UnixMilli(int64(z.Score)).UTC()})
		}
		out = append(out, w)
	}
	return out, nil
}

// OrganizationNames returns the names and tiers organizations had when
// last seen, whether or not the cache still holds them; unknown ids are
// left out.
func (s *Store) OrganizationNames(ctx context.Context, ids []int64) (map[int64]engine.Organization, error) {
	out := make(map[int64]engine.Organization, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	fields := make([]string, len(ids))
	for i, id := range ids {
		fields[i] = formatID(id)
	}
	vals, err := s.c.HMGet(ctx, s.key("orgname"), fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("state: read names of %d organizations: %w", len(ids), err)
	}
	for i, v := range vals {
		blob, ok := v.(string)
		if !ok {
			continue
		}
		var w orgWire
		if err := json.Unmarshal([]byte(blob), &w); err != nil {
			return nil, fmt.Errorf("state: decode organization %d: %w", ids[i], err)
		}
		out[ids[i]] = w.organization(ids[i])
	}
	return out, nil
}

// Waiting is how many customers wait on the bugs of each status category
// now: each bug's distinct customers, summed.
func (s *Store) Waiting(ctx context.Context) (map[engine.StatusCategory]int, error) {
	m, err := s.c.HGetAll(ctx, s.key("waiting")).Result()
	if err != nil {
		return nil, fmt.Errorf("state: read customers waiting: %w", err)
	}
	out := make(map[engine.StatusCategory]int, len(m))
	for cat, v := range m {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("state: customers waiting on %q: %w", cat, err)
		}
		out[engine.StatusCategory(cat)] = n
	}
	return out, nil
}

// Point is one day of the board's chart: the customers waiting per status
// category at the last step that day.
type Point struct {
	Day     time.Time // midnight UTC
	Waiting map[engine.StatusCategory]int
}

const dayLayout = "2006-01-02"

// Points returns the daily points from the day of since on, oldest first.
func (s *Store) Points(ctx context.Context, since time.Time) ([]Point, error) {
	m, err := s.c.HGetAll(ctx, s.key("chart")).Result()
	if err != nil {
		return nil, fmt.Errorf("state: read chart points: %w", err)
	}
	from := since.UTC().Format(dayLayout)
	var out []Point
	for day, blob := range m {
		if day < from {
			continue
		}
		d, err := time.Parse(dayLayout, day)
		if err != nil {
			return nil, fmt.Errorf("state: chart point %q: %w", day, err)
		}
		var w map[engine.StatusCategory]int
		if err := json.Unmarshal([]byte(blob), &w); err != nil {
			return nil, fmt.Errorf("state: chart point %s: %w", day, err)
		}
		out = append(out, Point{Day: d, Waiting: w})
	}
	slices.SortFunc(out, func(a, b Point) int { return a.Day.Compare(b.Day) })
	return out, nil
}

// HealthReport is what one replica adds to the shared health record: the
// steps that ended and the requests made since its last report.
type HealthReport struct {
	At time.Time
	// Cycle is the last cycle or resync that ended, nil when none did. It
	// also records today's chart point (the UTC day of At) from the
	// customers waiting now.
	Cycle *StepHealth
	// Failure is the last step of any kind that had errors, nil when none.
	Failure *StepHealth
	// Read is when a step last read each vendor's changes up to the present.
	Read     map[string]time.Time
	Requests []Requests
}

// Requests are the attempts one replica made to a vendor within a minute.
type Requests struct {
	Vendor   string
	Minute   time.Time // truncated to the minute
	Attempts int
	Failed   int // no response, 429 or 5xx
	// Remaining is the vendor's count of requests left in its window after
	// the last attempt; -1 when it did not say.
	Remaining int
}

// Health is the shared health record: what the replicas reported.
type Health struct {
	Cycle   StepHealth // the last cycle or resync
	Failure StepHealth // the last step of any kind that had errors
	Vendors map[string]VendorHealth
}

// StepHealth is one reported step; zero when none was.
type StepHealth struct {
	Step   string
	At     time.Time
	Took   time.Duration
	Errors int
	Error  string
}

// VendorHealth is what the record says of one vendor.
type VendorHealth struct {
	LastRead    time.Time // the last step that read its changes up to the present
	Remaining   int       // -1 when never reported
	RemainingAt time.Time
	Minutes     []Requests // per minute, oldest first; Remaining is -1 in them
}

// Health buckets and chart points are kept this long.
const (
	keepMinutes = 2 * time.Hour
	keepDays    = 35
)

// healthWire is the argument of health.lua.
type healthWire struct {
	Fields    [][2]string `json:"fields,omitempty"`
	Latest    [][2]string `json:"latest,omitempty"`
	Calls     [][4]string `json:"calls,omitempty"` // vendor, unix minute, attempts, failed
	KeepAfter string      `json:"keepAfter"`
	Day       string      `json:"day,omitempty"`
	KeepDay   string      `json:"keepDay,omitempty"`
}

// RecordHealth adds a replica's report to the health record in one script.
func (s *Store) RecordHealth(ctx context.Context, r HealthReport) error {
	at := r.At.UTC()
	w := healthWire{KeepAfter: strconv.FormatInt(at.Add(-keepMinutes).Unix()/60, 10)}
	step := func(prefix string, h StepHealth) {
		w.Fields = append(w.Fields,
			[2]string{prefix + "step", h.Step}, [2]string{prefix + "at", ms(h.At)},
			[2]string{prefix + "took", strconv.FormatInt(int64(h.Took), 10)},
			[2]string{prefix + "errors", strconv.Itoa(h.Errors)}, [2]string{prefix + "error", h.Error})
	}
	if r.Cycle != nil {
		step("cycle:", *r.Cycle)
		w.Day = at.Format(dayLayout)
		w.KeepDay = at.AddDate(0, 0, -keepDays).Format(dayLayout)
	}
	if r.Failure != nil {
		step("fail:", *r.Failure)
	}
	for _, v := range slices.Sorted(maps.Keys(r.Read)) {
		w.Latest = append(w.Latest, [2]string{"read:" + v, ms(r.Read[v])})
	}
	for _, q := range r.Requests {
		w.Calls = append(w.Calls, [4]string{q.Vendor, strconv.FormatInt(q.Minute.Unix()/60, 10),
			strconv.Itoa(q.Attempts), strconv.Itoa(q.Failed)})
		if q.Remaining >= 0 {
			w.Fields = append(w.Fields, [2]string{"remaining:" + q.Vendor, strconv.Itoa(q.Remaining)},
				[2]string{"remaining_at:" + q.Vendor, ms(q.Minute)})
		}
	}
	if err := s.run(ctx, healthScript, at, mustJSON(w)).Err(); err != nil {
		return fmt.Errorf("state: record health: %w", err)
	}
	return nil
}

// Health reads the health record, with the per-minute requests to each of
// vendors since since, in one round trip.
func (s *Store) Health(ctx context.Context, vendors []string, since time.Time) (Health, error) {
	var rec *redis.MapStringStringCmd
	calls := make([]*redis.MapStringStringCmd, len(vendors))
	if _, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		rec = p.HGetAll(ctx, s.key("health"))
		for i, v := range vendors {
			calls[i] = p.HGetAll(ctx, s.key("calls:", v))
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return Health{}, fmt.Errorf("state: read health: %w", err)
	}
	f := rec.Val()
	h := Health{Cycle: stepHealth(f, "cycle:"), Failure: stepHealth(f, "fail:"), Vendors: make(map[string]VendorHealth, len(vendors))}
	from := since.Unix() / 60
	for i, v := range vendors {
		vh := VendorHealth{LastRead: msTime(f["read:"+v]), Remaining: -1, RemainingAt: msTime(f["remaining_at:"+v])}
		if n, err := strconv.Atoi(f["remaining:"+v]); err == nil {
			vh.Remaining = n
		}
		byMinute := map[int64]*Requests{}
		for field, val := range calls[i].Val() {
			m, failed := strings.CutSuffix(field, ":f")
			minute, err := strconv.ParseInt(m, 10, 64)
			n, err2 := strconv.Atoi(val)
			if err != nil || err2 != nil || minute < from {
				continue
			}
			q := byMinute[minute]
			if q == nil {
				q = &Requests{Vendor: v, Minute: time.Unix(minute*60, 0).UTC(), Remaining: -1}
				byMinute[minute] = q
			}
			if failed {
				q.Failed += n
			} else {
				q.Attempts += n
			}
		}
		for _, q := range byMinute {
			vh.Minutes = append(vh.Minutes, *q)
		}
		slices.SortFunc(vh.Minutes, func(a, b Requests) int { return a.Minute.Compare(b.Minute) })
		h.Vendors[v] = vh
	}
	return h, nil
}

func stepHealth(f map[string]string, prefix string) StepHealth {
	at := msTime(f[prefix+"at"])
	if at.IsZero() {
		return StepHealth{}
	}
	took, _ := strconv.ParseInt(f[prefix+"took"], 10, 64)
	errs, _ := strconv.Atoi(f[prefix+"errors"])
	return StepHealth{Step: f[prefix+"step"], At: at, Took: time.Duration(took), Errors: errs, Error: f[prefix+"error"]}
}

func msTime(v string) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

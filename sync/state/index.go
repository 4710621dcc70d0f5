package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// ticketPage is the JSON argument of ticket_page.lua.
type ticketPage struct {
	Tickets []ticketChangeWire `json:"tickets,omitempty"`
	NewBugs []recordWire       `json:"newBugs,omitempty"`
	Aliases [][2]string        `json:"aliases,omitempty"`
	Missing [][2]string        `json:"missing,omitempty"`
	Orgs    []recordWire       `json:"orgs,omitempty"`
	OrgTTL  int64              `json:"orgTTL,omitempty"`
	Cursor  *string            `json:"cursor,omitempty"`
}

type ticketChangeWire struct {
	ID        string   `json:"id"`
	Rec       string   `json:"rec,omitempty"` // "": the ticket is gone
	Bugs      []string `json:"bugs,omitempty"`
	Dirty     bool     `json:"dirty,omitempty"`
	BugsDirty bool     `json:"bugsDirty,omitempty"`
	// Unresolved is what of the ticket waits for key resolution; "":
	// nothing does.
	Unresolved string `json:"unresolved,omitempty"`
}

type recordWire struct {
	ID  string `json:"id"`
	Rec string `json:"rec"`
}

// bugPage is the JSON argument of bug_page.lua.
type bugPage struct {
	Bugs      []bugChangeWire `json:"bugs,omitempty"`
	Aliases   [][2]string     `json:"aliases,omitempty"`
	Watermark string          `json:"watermark,omitempty"`
}

type bugChangeWire struct {
	ID           string   `json:"id"`
	Rec          string   `json:"rec"`
	Dirty        bool     `json:"dirty,omitempty"`
	TicketsDirty bool     `json:"ticketsDirty,omitempty"`
	LinksRead    bool     `json:"linksRead,omitempty"`
	Tickets      []string `json:"tickets,omitempty"`
}

// CommitTicketPage applies one helpdesk page in one script.
func (s *Store) CommitTicketPage(ctx context.Context, c engine.TicketPageCommit) ([]engine.LinkChange, error) {
	page := ticketPage{Aliases: pairs(c.Aliases), OrgTTL: s.orgTTL.Milliseconds()}
	for _, t := range c.Tickets {
		w := ticketChangeWire{ID: formatID(t.ID), Bugs: t.Bugs, Dirty: t.Dirty, BugsDirty: t.BugsDirty}
		if t.Record != nil {
			w.Rec = encodeTicket(*t.Record)
		}
		if t.Unresolved != nil {
			w.Unresolved = encodeUnresolved(*t.Unresolved)
		}
		page.Tickets = append(page.Tickets, w)
	}
	for _, b := range c.NewBugs {
		page.NewBugs = append(page.NewBugs, recordWire{ID: b.ID, Rec: encodeBug(b)})
	}
	for _, m := range c.Missing {
		page.Missing = append(page.Missing, [2]string{m.Key, encodeMissing(m)})
	}
	for _, o := range c.Organizations {
		page.Orgs = append(page.Orgs, recordWire{ID: formatID(o.ID), Rec: s.encodeOrg(o, c.Now)})
	}
	if c.Cursor != "" {
		page.Cursor = &c.Cursor
	}
	res, err := s.run(ctx, ticketPageScript, c.Now, mustJSON(page)).Slice()
	if err != nil {
		return nil, fmt.Errorf("state: commit ticket page of %d tickets: %w", len(c.Tickets), err)
	}
	return decodeChanges(res)
}

// CommitBugPage applies one tracker page in one script.
func (s *Store) CommitBugPage(ctx context.Context, c engine.BugPageCommit) ([]engine.LinkChange, error) {
	page := bugPage{Aliases: pairs(c.Aliases)}
	for _, b := range c.Bugs {
		w := bugChangeWire{ID: b.Record.ID, Rec: encodeBug(b.Record), Dirty: b.Dirty, TicketsDirty: b.TicketsDirty, LinksRead: b.TrackerLinksRead}
		for _, t := range b.TrackerTickets {
			w.Tickets = append(w.Tickets, formatID(t))
		}
		page.Bugs = append(page.Bugs, w)
	}
	if !c.Watermark.IsZero() {
		page.Watermark = c.Watermark.UTC().Format(time.RFC3339Nano)
	}
	res, err := s.run(ctx, bugPageScript, c.Now, mustJSON(page)).Slice()
	if err != nil {
		return nil, fmt.Errorf("state: commit bug page of %d bugs: %w", len(c.Bugs), err)
	}
	return decodeChanges(res)
}

func decodeChanges(res []any) ([]engine.LinkChange, error) {
	var out []engine.LinkChange
	for i := 0; i+3 < len(res); i += 4 {
		tid, err := parseTicketID(fmt.Sprint(res[i]))
		if err != nil {
			return nil, err
		}
		bit, _ := res[i+2].(int64)
		added, _ := res[i+3].(int64)
		out = append(out, engine.LinkChange{TicketID: tid, BugID: fmt.Sprint(res[i+1]), Source: engine.LinkSource(bit), Added: added == 1})
	}
	return out, nil
}

func pairs(m map[string]string) [][2]string {
	out := make([][2]string, 0, len(m))
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	return out
}

// Tickets reads ticket records in one pipeline; absent ids are left out.
func (s *Store) Tickets(ctx context.Context, ids []int64) (map[int64]engine.TicketRecord, error) {
	if len(ids) == 0 {
		return map[int64]engine.TicketRecord{}, nil
	}
	cmds := make([]*redis.SliceCmd, len(ids))
	if _, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, s.key("t:", formatID(id)), "s", "v", "a")
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("state: read %d tickets: %w", len(ids), err)
	}
	out := make(map[int64]engine.TicketRecord, len(ids))
	for i, id := range ids {
		vals := cmds[i].Val()
		blob, version, ok := record(vals[:2])
		if !ok {
			continue
		}
		r, err := decodeTicket(id, blob, version)
		if err != nil {
			return nil, err
		}
		act, _ := vals[2].(string)
		if r.Act, err = decodeAct(id, act); err != nil {
			return nil, err
		}
		out[id] = r
	}
	return out, nil
}

// Bugs reads bug records in one pipeline; absent ids are left out.
func (s *Store) Bugs(ctx context.Context, ids []string) (map[string]engine.BugRecord, error) {
	if len(ids) == 0 {
		return map[string]engine.BugRecord{}, nil
	}
	cmds := make([]*redis.SliceCmd, len(ids))
	if _, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, s.key("b:", id), "s", "v")
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("state: read %d bugs: %w", len(ids), err)
	}
	out := make(map[string]engine.BugRecord, len(ids))
	for i, id := range ids {
		blob, version, ok := record(cmds[i].Val())
		if !ok {
			continue
		}
		r, err := decodeBug(id, blob, version)
		if err != nil {
			return nil, err
		}
		out[id] = r
	}
	return out, nil
}

func record(vals []any) (blob string, version int64, ok bool) {
	if len(vals) != 2 {
		return "", 0, false
	}
	blob, ok = vals[0].(string)
	if !ok {
		return "", 0, false
	}
	v, _ := vals[1].(string)
	version, _ = strconv.ParseInt(v, 10, 64)
	return blob, version, true
}

// PutTickets replaces ticket records nobody replaced since they were read,
// in one script call.
func (s *Store) PutTickets(ctx context.Context, rs []engine.TicketRecord) ([]bool, error) {
	puts := make([]putWire, len(rs))
	for i, r := range rs {
		puts[i] = putWire{Key: s.key("t:", formatID(r.ID)), Version: strconv.FormatInt(r.Version, 10), Rec: encodeTicket(r)}
	}
	return s.put(ctx, puts)
}

// PutBug replaces a bug record if nobody replaced it since it was read.
func (s *Store) PutBug(ctx context.Context, r engine.BugRecord) (bool, error) {
	ok, err := s.put(ctx, []putWire{{Key: s.key("b:", r.ID), Version: strconv.FormatInt(r.Version, 10), Rec: encodeBug(r)}})
	if err != nil {
		return false, err
	}
	return ok[0], nil
}

// putWire is one record of put_records.lua.
type putWire struct {
	Key     string `json:"key"`
	Version string `json:"v"`
	Rec     string `json:"rec"`
}

func (s *Store) put(ctx context.Context, puts []putWire) ([]bool, error) {
	if len(puts) == 0 {
		return nil, nil
	}
	res, err := s.run(ctx, putRecordsScript, time.Time{}, mustJSON(puts)).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("state: put %d records (first %s): %w", len(puts), puts[0].Key, err)
	}
	ok := make([]bool, len(res))
	for i, n := range res {
		ok[i] = n == 1
	}
	return ok, nil
}

// DropBug forgets a bug that no longer exists.
func (s *Store) DropBug(ctx context.Context, r engine.BugRecord, missing engine.MissingKey, now time.Time) ([]int64, error) {
	res, err := s.run(ctx, dropBugScript, now, r.ID, r.Key, encodeMissing(missing)).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("state: drop bug %s (%s): %w", r.ID, r.Key, err)
	}
	out := make([]int64, 0, len(res))
	for _, v := range res {
		id, err := parseTicketID(v)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// Aliases maps keys to bug ids; unknown keys are left out.
func (s *Store) Aliases(ctx context.Context, keys []string) (map[string]string, error) {
	if len(keys) == 0 {
		return map[string]string{}, nil
	}
	vals, err := s.c.HMGet(ctx, s.key("alias"), keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("state: read aliases of %d keys: %w", len(keys), err)
	}
	out := make(map[string]string, len(keys))
	for i, v := range vals {
		if id, ok := v.(string); ok {
			out[keys[i]] = id
		}
	}
	return out, nil
}

// MissingKeys returns the records of keys known to match no issue.
func (s *Store) MissingKeys(ctx context.Context, keys []string) (map[string]engine.MissingKey, error) {
	if len(keys) == 0 {
		return map[string]engine.MissingKey{}, nil
	}
	vals, err := s.c.HMGet(ctx, s.key("missing"), keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("state: read missing keys: %w", err)
	}
	out := make(map[string]engine.MissingKey)
	for i, v := range vals {
		if blob, ok := v.(string); ok {
			m, err := decodeMissing(keys[i], blob)
			if err != nil {
				return nil, err
			}
			out[keys[i]] = m
		}
	}
	return out, nil
}

// TicketLinks reads the bugs of each ticket, with their sources.
func (s *Store) TicketLinks(ctx context.Context, ids []int64) (map[int64]map[string]engine.LinkSource, error) {
	if len(ids) == 0 {
		return map[int64]map[string]engine.LinkSource{}, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.key("tl:", formatID(id)))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("state: read links of %d tickets: %w", len(ids), err)
	}
	out := make(map[int64]map[string]engine.LinkSource, len(ids))
	for i, id := range ids {
		m := map[string]engine.LinkSource{}
		for bid, mask := range cmds[i].Val() {
			n, _ := strconv.Atoi(mask)
			m[bid] = engine.LinkSource(n)
		}
		out[id] = m
	}
	return out, nil
}

// BugLinks reads the tickets of each bug, with their sources.
func (s *Store) BugLinks(ctx context.Context, ids []string) (map[string]map[int64]engine.LinkSource, error) {
	if len(ids) == 0 {
		return map[string]map[int64]engine.LinkSource{}, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.key("bl:", id))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("state: read links of %d bugs: %w", len(ids), err)
	}
	out := make(map[string]map[int64]engine.LinkSource, len(ids))
	for i, id := range ids {
		m := map[int64]engine.LinkSource{}
		for tid, mask := range cmds[i].Val() {
			t, err := parseTicketID(tid)
			if err != nil {
				return nil, err
			}
			n, _ := strconv.Atoi(mask)
			m[t] = engine.LinkSource(n)
		}
		out[id] = m
	}
	return out, nil
}

// LinkedBugs pages through the bugs with at least one link (SSCAN: an id may
// come twice across pages; callers tolerate it).
func (s *Store) LinkedBugs(ctx context.Context, cursor uint64, count int64) ([]string, uint64, error) {
	ids, next, err := s.c.SScan(ctx, s.key("linked"), cursor, "", count).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, fmt.Errorf("state: scan linked bugs: %w", err)
	}
	return ids, next, nil
}

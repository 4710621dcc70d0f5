package state

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// BugMemories reads what the engine remembers per bug and the standing
// written with it, both from one record per bug in one round trip; bugs
// never written get zero values.
func (s *Store) BugMemories(ctx context.Context, ids []string) (map[string]engine.BugMemory, map[string]engine.Standing, error) {
	mems := make(map[string]engine.BugMemory, len(ids))
	stands := make(map[string]engine.Standing, len(ids))
	if len(ids) == 0 {
		return mems, stands, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.key("bm:", id)
	}
	vals, err := s.c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("state: read memory of %d bugs: %w", len(ids), err)
	}
	for i, v := range vals {
		blob, ok := v.(string)
		if !ok {
			mems[ids[i]], stands[ids[i]] = engine.BugMemory{}, engine.Standing{}
			continue
		}
		m, st, err := decodeMemory(ids[i], blob)
		if err != nil {
			return nil, nil, err
		}
		mems[ids[i]], stands[ids[i]] = m, st
	}
	return mems, stands, nil
}

// SetBugMemory replaces a bug's memory and standing, and moves the bug on
// the board's read models to that standing, in one script. Only the
// claimant of the bug writes it, so no compare-and-set is needed.
func (s *Store) SetBugMemory(ctx context.Context, id string, m engine.BugMemory, st engine.Standing) error {
	return s.SetBugMemoryFor(ctx, id, m, st, "")
}

// SetBugMemoryFor is SetBugMemory, refused (engine.ErrClaimLost) unless
// claimant holder ("" for none) still holds the bug's claim and lives.
func (s *Store) SetBugMemoryFor(ctx context.Context, id string, m engine.BugMemory, st engine.Standing, holder string) error {
	awaiting := ""
	if a := st.Release; a != nil {
		awaiting = mustJSON(awaitingWire{Project: a.Project, Versions: a.Versions})
	}
	if err := s.run(ctx, setMemoryScript, time.Time{}, id, encodeMemory(m, st), encodeStanding(st), holder, awaiting).Err(); err != nil {
		return fmt.Errorf("state: write memory of bug %s: %w", id, claimLost(err))
	}
	return nil
}

// NoteMarks reads the note marks of tickets, by bug id.
func (s *Store) NoteMarks(ctx context.Context, ticketIDs []int64) (map[int64]map[string]engine.NoteMark, error) {
	if len(ticketIDs) == 0 {
		return map[int64]map[string]engine.NoteMark{}, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(ticketIDs))
	if _, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ticketIDs {
			cmds[i] = p.HGetAll(ctx, s.key("n:", formatID(id)))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("state: read note marks of %d tickets: %w", len(ticketIDs), err)
	}
	out := make(map[int64]map[string]engine.NoteMark, len(ticketIDs))
	for i, id := range ticketIDs {
		marks := map[string]engine.NoteMark{}
		for bid, v := range cmds[i].Val() {
			m, err := decodeMark(v)
			if err != nil {
				return nil, fmt.Errorf("ticket %d bug %s: %w", id, bid, err)
			}
			marks[bid] = m
		}
		out[id] = marks
	}
	return out, nil
}

// SetNoteMarks deletes the marks of drop and writes those of set, all or
// none.
func (s *Store) SetNoteMarks(ctx context.Context, set map[int64]map[string]engine.NoteMark, drop map[int64][]string) error {
	return s.SetNoteMarksFor(ctx, set, drop, "")
}

// SetNoteMarksFor is SetNoteMarks, refused (engine.ErrClaimLost) unless
// claimant holder ("" for none) still holds every ticket's claim and lives.
func (s *Store) SetNoteMarksFor(ctx context.Context, set map[int64]map[string]engine.NoteMark, drop map[int64][]string, holder string) error {
	if len(set) == 0 && len(drop) == 0 {
		return nil
	}
	var req struct {
		Set  map[string]map[string]string `json:"set,omitempty"`
		Drop map[string][]string          `json:"drop,omitempty"`
	}
	for tid, byBug := range set {
		if len(byBug) == 0 {
			continue
		}
		marks := make(map[string]string, len(byBug))
		for bid, m := range byBug {
			marks[bid] = encodeMark(m)
		}
		if req.Set == nil {
			req.Set = map[string]map[string]string{}
		}
		req.Set[formatID(tid)] = marks
	}
	for tid, bugs := range drop {
		if len(bugs) > 0 {
			if req.Drop == nil {
				req.Drop = map[string][]string{}
			}
			req.Drop[formatID(tid)] = bugs
		}
	}
	if req.Set == nil && req.Drop == nil {
		return nil
	}
	if err := s.run(ctx, setMarksScript, time.Time{}, holder, mustJSON(req)).Err(); err != nil {
		return fmt.Errorf("state: write note marks of %d tickets: %w", len(set)+len(drop), claimLost(err))
	}
	return nil
}

// WrittenLinks reads the remote links last written per bug.
func (s *Store) WrittenLinks(ctx context.Context, bugIDs []string) (map[string]map[int64]engine.WrittenLink, error) {
	if len(bugIDs) == 0 {
		return map[string]map[int64]engine.WrittenLink{}, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(bugIDs))
	if _, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range bugIDs {
			cmds[i] = p.HGetAll(ctx, s.key("rl:", id))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("state: read remote links of %d bugs: %w", len(bugIDs), err)
	}
	out := make(map[string]map[int64]engine.WrittenLink, len(bugIDs))
	for i, id := range bugIDs {
		links := map[int64]engine.WrittenLink{}
		for tid, v := range cmds[i].Val() {
			t, err := strconv.ParseInt(tid, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("state: remote link of bug %s: ticket %q: %w", id, tid, err)
			}
			links[t] = decodeWritten(v)
		}
		out[id] = links
	}
	return out, nil
}

// SetWrittenLinks records links written and deleted for a bug.
func (s *Store) SetWrittenLinks(ctx context.Context, bugID string, set map[int64]engine.WrittenLink, del []int64) error {
	if len(set) == 0 && len(del) == 0 {
		return nil
	}
	key := s.key("rl:", bugID)
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if len(set) > 0 {
			vals := make([]any, 0, 2*len(set))
			for tid, w := range set {
				vals = append(vals, formatID(tid), encodeWritten(w))
			}
			p.HSet(ctx, key, vals...)
		}
		if len(del) > 0 {
			fields := make([]string, len(del))
			for i, tid := range del {
				fields[i] = formatID(tid)
			}
			p.HDel(ctx, key, fields...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: write remote links of bug %s: %w", bugID, err)
	}
	return nil
}

// SetStatusActs sets the tickets' status automation memory in one script
// call, whatever the records' versions, skipping tickets without a record.
func (s *Store) SetStatusActs(ctx context.Context, acts map[int64]engine.StatusAct) error {
	if len(acts) == 0 {
		return nil
	}
	req := make(map[string]string, len(acts))
	for id, a := range acts {
		req[formatID(id)] = encodeAct(a)
	}
	if err := s.run(ctx, setActsScript, time.Time{}, mustJSON(req)).Err(); err != nil {
		return fmt.Errorf("state: set status automation of %d tickets: %w", len(acts), err)
	}
	return nil
}

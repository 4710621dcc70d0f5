package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// noteMarks is the part of the Memory port the note protocol writes.
type noteMarks interface {
	SetNoteMarks(ctx context.Context, set map[int64]map[string]NoteMark, drop map[int64][]string) error
	SetNoteMarksFor(ctx context.Context, set map[int64]map[string]NoteMark, drop map[int64][]string, holder string) error
}

// noteLedger is the exactly-once protocol of the private notes of one batch
// of tickets, all claimed for holder. Per (ticket, bug) a mark moves:
//
//	planned  the marks that advance without a note, and those of bugs no
//	         longer linked dropped, before anything is written;
//	sending  each note marked in flight (NoteMark.Sending) before the
//	         batch write that carries it;
//	done     after the write: a note written advances its mark, a note
//	         surely not written falls back to its mark before sending;
//	         a note of unknown outcome stays in flight;
//	resolve  a note found in flight when a ticket is loaded (a crash, or a
//	         lost answer, between sending and done) is looked for on the
//	         ticket: found, its mark advances; not found, it falls back and
//	         the note is planned again.
//
// Every write but the advance of a note surely written is made only while
// holder still holds the tickets' claims: another replica's note may be in
// flight otherwise. A written note is recorded whoever holds the claim now.
// In a dry run the ledger writes nothing.
type noteLedger struct {
	st     noteMarks
	holder string
	dry    bool
	// before are the marks of the notes in flight as they were before
	// sending, to fall back to where a note surely was not written.
	before map[int64]map[string]NoteMark
}

func newNoteLedger(st noteMarks, holder string, dry bool) *noteLedger {
	return &noteLedger{st: st, holder: holder, dry: dry}
}

// resolve settles the in-flight notes among marks (by ticket, then bug) in
// place: found reports whether the note of bug bid with Seq seq is on
// ticket tid. A nil ledger assumes every in-flight note unsent and writes
// nothing (a count of what a cycle would write).
func (l *noteLedger) resolve(ctx context.Context, marks map[int64]map[string]NoteMark, found func(ctx context.Context, tid int64, bid string, seq int) (bool, error)) error {
	settled := map[int64]map[string]NoteMark{}
	for _, tid := range slices.Sorted(maps.Keys(marks)) {
		for _, bid := range slices.Sorted(maps.Keys(marks[tid])) {
			m := marks[tid][bid]
			if m.Sending == 0 {
				continue
			}
			res := NoteMark{Seq: m.Seq}
			if l != nil {
				ok, err := found(ctx, tid, bid, m.Sending)
				if err != nil {
					return fmt.Errorf("engine: look for the note on bug %s in ticket %d: %w", bid, tid, err)
				}
				if ok {
					res.Seq = m.Sending
				}
				putMark(settled, tid, bid, res)
			}
			marks[tid][bid] = res
		}
	}
	if l == nil || l.dry {
		return nil
	}
	return l.st.SetNoteMarksFor(ctx, settled, nil, l.holder)
}

// planned records the marks of the tickets' plans that move without a
// note (Baseline) and drops those of bugs no longer linked (Drop).
func (l *noteLedger) planned(ctx context.Context, plans map[int64]ticketPlan) error {
	set, drop := map[int64]map[string]NoteMark{}, map[int64][]string{}
	for id, p := range plans {
		for bid, m := range p.Baseline {
			putMark(set, id, bid, m)
		}
		if len(p.Drop) > 0 {
			drop[id] = p.Drop
		}
	}
	if l.dry {
		return nil
	}
	return l.st.SetNoteMarksFor(ctx, set, drop, l.holder)
}

// sending marks in flight the notes the updates carry, each from the mark
// its view was planned on (a bug without one: told nothing yet, so one Seq
// short of the note's).
func (l *noteLedger) sending(ctx context.Context, views map[int64]ticketView, plans map[int64]ticketPlan, updates []TicketUpdate) error {
	inFlight := map[int64]map[string]NoteMark{}
	l.before = map[int64]map[string]NoteMark{}
	for _, u := range updates {
		for bid, seq := range plans[u.ID].Notes {
			m, ok := views[u.ID].Marks[bid]
			if !ok {
				m = NoteMark{Seq: seq - 1}
			}
			putMark(inFlight, u.ID, bid, NoteMark{Seq: m.Seq, Sending: seq})
			putMark(l.before, u.ID, bid, NoteMark{Seq: m.Seq})
		}
	}
	if l.dry || len(inFlight) == 0 {
		return nil
	}
	return l.st.SetNoteMarksFor(ctx, inFlight, nil, l.holder)
}

// done records the batch write's outcome: the notes of the written
// tickets (their plans' Notes) advance, those of the unsent tickets fall
// back to their marks before sending; the others stay in flight.
func (l *noteLedger) done(ctx context.Context, plans map[int64]ticketPlan, written, unsent []int64) error {
	if l.dry {
		return nil
	}
	sent := map[int64]map[string]NoteMark{}
	for _, id := range written {
		for bid, seq := range plans[id].Notes {
			putMark(sent, id, bid, NoteMark{Seq: seq})
		}
	}
	back := map[int64]map[string]NoteMark{}
	for _, id := range unsent {
		if m := l.before[id]; m != nil {
			back[id] = m
		}
	}
	return errors.Join(l.st.SetNoteMarks(ctx, sent, nil), l.st.SetNoteMarksFor(ctx, back, nil, l.holder))
}

func putMark(m map[int64]map[string]NoteMark, tid int64, bid string, mark NoteMark) {
	if m[tid] == nil {
		m[tid] = map[string]NoteMark{}
	}
	m[tid][bid] = mark
}

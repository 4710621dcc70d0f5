package engine

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"testing"
)

// markStore keeps note marks in memory and refuses SetNoteMarksFor for any
// holder but owner, as the store does once a claim is lost.
type markStore struct {
	marks map[int64]map[string]NoteMark
	owner string
	calls []string // "set" or "set for <holder>", one per non-empty write
}

func (s *markStore) SetNoteMarks(ctx context.Context, set map[int64]map[string]NoteMark, drop map[int64][]string) error {
	return s.write(set, drop, "set")
}

func (s *markStore) SetNoteMarksFor(ctx context.Context, set map[int64]map[string]NoteMark, drop map[int64][]string, holder string) error {
	if holder != s.owner {
		return ErrClaimLost
	}
	return s.write(set, drop, "set for "+holder)
}

func (s *markStore) write(set map[int64]map[string]NoteMark, drop map[int64][]string, call string) error {
	if len(set) == 0 && len(drop) == 0 {
		return nil
	}
	s.calls = append(s.calls, call)
	for tid, byBug := range set {
		if s.marks[tid] == nil {
			s.marks[tid] = map[string]NoteMark{}
		}
		maps.Copy(s.marks[tid], byBug)
	}
	for tid, bids := range drop {
		for _, bid := range bids {
			delete(s.marks[tid], bid)
		}
		if len(s.marks[tid]) == 0 {
			delete(s.marks, tid)
		}
	}
	return nil
}

type markSet = map[int64]map[string]NoteMark

func TestNoteLedger(t *testing.T) {
	ctx := context.Background()
	// Ticket 1 owes a note on bug "10" (Seq 5, told 4); ticket 2 owes one
	// on bug "20", which it has no mark for yet (Seq 3).
	views := map[int64]ticketView{
		1: {Marks: map[string]NoteMark{"10": {Seq: 4}}},
		2: {},
	}
	plans := map[int64]ticketPlan{
		1: {Update: TicketUpdate{ID: 1, Note: "n"}, Notes: map[string]int{"10": 5}},
		2: {Update: TicketUpdate{ID: 2, Note: "n"}, Notes: map[string]int{"20": 3}},
	}
	updates := []TicketUpdate{plans[1].Update, plans[2].Update}
	sending := func(l *noteLedger) error { return l.sending(ctx, views, plans, updates) }
	inFlight := markSet{1: {"10": {Seq: 4, Sending: 5}}, 2: {"20": {Seq: 2, Sending: 3}}}
	lookErr := errors.New("helpdesk down")

	cases := []struct {
		name    string
		holder  string // the ledger's; the store's owner is "a"
		dry     bool
		start   markSet
		steps   func(l *noteLedger) error
		want    markSet
		calls   []string
		wantErr error
	}{{
		name:   "planned: baselines set and unlinked bugs dropped, in one write",
		holder: "a", start: markSet{1: {"10": {Seq: 1}, "99": {Seq: 7}}},
		steps: func(l *noteLedger) error {
			return l.planned(ctx, map[int64]ticketPlan{1: {Baseline: map[string]NoteMark{"10": {Seq: 2}}, Drop: []string{"99"}}})
		},
		want:  markSet{1: {"10": {Seq: 2}}},
		calls: []string{"set for a"},
	}, {
		name:   "planned: nothing to record writes nothing",
		holder: "a", start: markSet{},
		steps: func(l *noteLedger) error { return l.planned(ctx, map[int64]ticketPlan{1: {}}) },
		want:  markSet{},
	}, {
		name:   "sending: notes marked in flight from the planned marks",
		holder: "a", start: markSet{1: {"10": {Seq: 4}}},
		steps: sending,
		want:  inFlight,
		calls: []string{"set for a"},
	}, {
		name:   "done: written notes advance",
		holder: "a", start: markSet{1: {"10": {Seq: 4}}},
		steps: func(l *noteLedger) error {
			return errors.Join(sending(l), l.done(ctx, plans, []int64{1, 2}, nil))
		},
		want:  markSet{1: {"10": {Seq: 5}}, 2: {"20": {Seq: 3}}},
		calls: []string{"set for a", "set"},
	}, {
		name:   "done: a note surely not sent falls back, one of unknown outcome stays in flight",
		holder: "a", start: markSet{1: {"10": {Seq: 4}}},
		steps: func(l *noteLedger) error {
			return errors.Join(sending(l), l.done(ctx, plans, nil, []int64{1}))
		},
		want:  markSet{1: {"10": {Seq: 4}}, 2: {"20": {Seq: 2, Sending: 3}}},
		calls: []string{"set for a", "set for a"},
	}, {
		name:   "sending: refused once the claim is lost",
		holder: "b", start: markSet{1: {"10": {Seq: 4}}},
		steps: sending,
		want:  markSet{1: {"10": {Seq: 4}}}, wantErr: ErrClaimLost,
	}, {
		name:   "done: a written note is recorded though the claim is lost; a fallback is not",
		holder: "b", start: markSet{1: {"10": {Seq: 4, Sending: 5}}, 2: {"20": {Seq: 2, Sending: 3}}},
		steps: func(l *noteLedger) error {
			l.before = markSet{1: {"10": {Seq: 4}}, 2: {"20": {Seq: 2}}}
			return l.done(ctx, plans, []int64{1}, []int64{2})
		},
		want:    markSet{1: {"10": {Seq: 5}}, 2: {"20": {Seq: 2, Sending: 3}}},
		calls:   []string{"set"},
		wantErr: ErrClaimLost,
	}, {
		name:   "resolve: a note found advances, one not found falls back",
		holder: "a", start: inFlight,
		steps: func(l *noteLedger) error {
			m := markSet{1: {"10": {Seq: 4, Sending: 5}}, 2: {"20": {Seq: 2, Sending: 3}}}
			return l.resolve(ctx, m, func(_ context.Context, tid int64, bid string, seq int) (bool, error) {
				return tid == 1 && bid == "10" && seq == 5, nil
			})
		},
		want:  markSet{1: {"10": {Seq: 5}}, 2: {"20": {Seq: 2}}},
		calls: []string{"set for a"},
	}, {
		name:   "resolve: a failed look-up writes nothing",
		holder: "a", start: inFlight,
		steps: func(l *noteLedger) error {
			m := markSet{1: {"10": {Seq: 4, Sending: 5}}}
			return l.resolve(ctx, m, func(context.Context, int64, string, int) (bool, error) { return false, lookErr })
		},
		want: inFlight, wantErr: lookErr,
	}, {
		name:   "dry run: every transition writes nothing",
		holder: "a", dry: true, start: markSet{1: {"10": {Seq: 4}}},
		steps: func(l *noteLedger) error {
			return errors.Join(
				l.planned(ctx, map[int64]ticketPlan{1: {Baseline: map[string]NoteMark{"10": {Seq: 9}}}}),
				sending(l), l.done(ctx, plans, []int64{1}, []int64{2}),
				l.resolve(ctx, markSet{1: {"10": {Seq: 4, Sending: 5}}}, func(context.Context, int64, string, int) (bool, error) { return true, nil }))
		},
		want: markSet{1: {"10": {Seq: 4}}},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := &markStore{marks: markSet{}, owner: "a"}
			for tid, m := range tc.start {
				st.marks[tid] = maps.Clone(m)
			}
			err := tc.steps(newNoteLedger(st, tc.holder, tc.dry))
			if !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(st.marks, tc.want) {
				t.Errorf("marks %v, want %v", st.marks, tc.want)
			}
			if !reflect.DeepEqual(st.calls, tc.calls) {
				t.Errorf("writes %q, want %q", st.calls, tc.calls)
			}
		})
	}
}

// A nil ledger (counting what a cycle would write) takes every in-flight
// note as unsent, asks nothing and writes nothing.
func TestNilNoteLedgerAssumesUnsent(t *testing.T) {
	var l *noteLedger
	m := markSet{1: {"10": {Seq: 4, Sending: 5}, "20": {Seq: 1}}}
	err := l.resolve(context.Background(), m, func(context.Context, int64, string, int) (bool, error) {
		t.Fatal("a nil ledger looked for a note")
		return false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (markSet{1: {"10": {Seq: 4}, "20": {Seq: 1}}}); !reflect.DeepEqual(m, want) {
		t.Fatalf("marks %v, want %v", m, want)
	}
}

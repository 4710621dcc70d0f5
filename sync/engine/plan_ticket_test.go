package engine

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/texts"
)

func TestStatusFieldText(t *testing.T) {
	b := func(key, status string, s BugState, res string, fix ...string) BugRecord {
		return BugRecord{Bug: Bug{Key: key, Status: status, Resolution: res, FixVersions: fix}, State: s}
	}
	for _, tt := range []struct {
		bugs []BugRecord
		want string
	}{
		{nil, ""},
		{[]BugRecord{b("PROJ-12", "In Progress", StateInProgress, "")}, "PROJ-12: In Progress"},
		{[]BugRecord{b("PROJ-12", "Done", StateDone, "Fixed", "2.3.1")}, "PROJ-12: Done (Fixed in 2.3.1)"},
		{[]BugRecord{b("PROJ-12", "Closed", StateWontFix, "Won't Fix")}, "PROJ-12: Closed (Won't Fix)"},
		{[]BugRecord{released(b("PROJ-12", "Done", StateReleased, "Fixed", "5.0.1"), "5.0.1")}, "PROJ-12: Done (Fixed in 5.0.1, released)"},
		{[]BugRecord{released(b("PROJ-12", "Done", StateReleased, "Fixed", "5.0.1", "5.1"), "5.1")}, "PROJ-12: Done (Fixed in 5.0.1, 5.1; 5.1 released)"},
		{[]BugRecord{b("PROJ-2", "Done", StateDone, "Fixed"), b("PROJ-9", "To Do", StateToDo, ""), b("PROJ-3", "Open", StateToDo, "")},
			"PROJ-3: Open (+2 more)"},
	} {
		if got := statusFieldText(tt.bugs); got != tt.want {
			t.Errorf("statusFieldText = %q, want %q", got, tt.want)
		}
	}
}

// released marks the named fix versions of b released, each on its own
// day in March 2025 (the first on the 1st).
func released(b BugRecord, names ...string) BugRecord {
	for i, n := range names {
		b.Released = append(b.Released, Version{ID: "101" + n, Name: n, Released: true, ReleaseDate: time.Date(2025, 3, 1+i, 0, 0, 0, 0, time.UTC)})
	}
	return b
}

func TestPlanTicket(t *testing.T) {
	stamp := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	bug := func(id, key string, s BugState, seq int) BugRecord {
		status := map[BugState]string{StateToDo: "To Do", StateInProgress: "In Progress", StateDone: "Done", StateWontFix: "Closed", StateReleased: "Done"}[s]
		res := map[BugState]string{StateDone: "Fixed", StateWontFix: "Won't Fix", StateReleased: "Fixed"}[s]
		return BugRecord{Bug: Bug{ID: id, Key: key, Summary: "Export fails", Status: status, Resolution: res}, State: s, Seq: seq}
	}
	type want struct {
		field       *string
		add, remove []string
		note        []string // substrings, in order
		reopen      bool
		stamp       bool
		notes       map[string]int
		baseline    map[string]NoteMark
		drop        []string
	}
	str := func(s string) *string { return &s }
	tests := []struct {
		name   string
		policy func(*Policy)
		view   ticketView
		want   want
	}{
		{
			name: "newly linked ticket: field and tag, no note, the mark starts at the bug's seq",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, UpdatedAt: stamp},
				Bugs: []BugRecord{bug("10", "PROJ-1", StateInProgress, 4)}},
			want: want{field: str("PROJ-1: In Progress"), add: []string{"bug_in_progress"},
				baseline: map[string]NoteMark{"10": {Seq: 4}}},
		},
		{
			name: "observed equals desired: nothing",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, StatusField: "PROJ-1: In Progress", Tags: []string{"bug_in_progress"}},
				Bugs: []BugRecord{bug("10", "PROJ-1", StateInProgress, 4)}, Marks: map[string]NoteMark{"10": {Seq: 4}}},
			want: want{},
		},
		{
			name: "bug moved to done: field, tags swapped, one note with resolution and marker, conditional on the stamp",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusPending, StatusField: "PROJ-1: In Progress", Tags: []string{"bug_in_progress"}, UpdatedAt: stamp},
				Bugs: []BugRecord{bug("10", "PROJ-1", StateDone, 5)}, Marks: map[string]NoteMark{"10": {Seq: 4}}, Epoch: "ep"},
			want: want{field: str("PROJ-1: Done (Fixed)"), add: []string{"bug_fixed"}, remove: []string{"bug_in_progress"},
				note:  []string{`Bug PROJ-1 "Export fails" is fixed (status: Done, resolution: Fixed).`, "Tell the customer:", "(ref: hs-ep-n10-5)"},
				stamp: true, notes: map[string]int{"10": 5}},
		},
		{
			name: "won't fix note",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, StatusField: "PROJ-1: To Do", Tags: []string{"bug_open"}},
				Bugs: []BugRecord{bug("10", "PROJ-1", StateWontFix, 2)}, Marks: map[string]NoteMark{"10": {Seq: 1}}, Epoch: "ep"},
			want: want{field: str("PROJ-1: Closed (Won't Fix)"), add: []string{"bug_wont_fix"}, remove: []string{"bug_open"},
				note: []string{"was closed as Won't Fix", "offer a workaround"}, stamp: true, notes: map[string]int{"10": 2}},
		},
		{
			name: "back to do: field and tag only, the mark advances without a note",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, StatusField: "PROJ-1: In Progress", Tags: []string{"bug_in_progress"}},
				Bugs: []BugRecord{bug("10", "PROJ-1", StateToDo, 3)}, Marks: map[string]NoteMark{"10": {Seq: 2}}},
			want: want{field: str("PROJ-1: To Do"), add: []string{"bug_open"}, remove: []string{"bug_in_progress"},
				baseline: map[string]NoteMark{"10": {Seq: 3}}},
		},
		{
			name: "solved ticket: display updated, no note, no reopen",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusSolved, StatusField: "PROJ-1: In Progress", Tags: []string{"bug_in_progress"}},
				Bugs: []BugRecord{bug("10", "PROJ-1", StateDone, 5)}, Marks: map[string]NoteMark{"10": {Seq: 4}}},
			want: want{field: str("PROJ-1: Done (Fixed)"), add: []string{"bug_fixed"}, remove: []string{"bug_in_progress"},
				baseline: map[string]NoteMark{"10": {Seq: 5}}},
		},
		{
			name:   "solved ticket with reopen_solved: note and reopen",
			policy: func(p *Policy) { p.ReopenSolved = true },
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusSolved, StatusField: "PROJ-1: Done (Fixed)", Tags: []string{"bug_fixed"}},
				Bugs: []BugRecord{bug("10", "PROJ-1", StateDone, 5)}, Marks: map[string]NoteMark{"10": {Seq: 4}}, Epoch: "ep"},
			want: want{note: []string{"reopened this ticket", "is fixed"}, reopen: true, stamp: true, notes: map[string]int{"10": 5}},
		},
		{
			name:   "requester's locale picks the translation, for the note and the reopen line",
			policy: func(p *Policy) { p.ReopenSolved = true; p.Texts = germanTexts(t) },
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusSolved, Locale: "de-AT", StatusField: "PROJ-1: Done (Fixed)", Tags: []string{"bug_fixed"}},
				Bugs: []BugRecord{bug("10", "PROJ-1", StateDone, 5)}, Marks: map[string]NoteMark{"10": {Seq: 4}}, Epoch: "ep"},
			want: want{note: []string{"Wieder geöffnet: PROJ-1", "PROJ-1 ist behoben.", "(ref: hs-ep-n10-5)"}, reopen: true, stamp: true, notes: map[string]int{"10": 5}},
		},
		{
			name:   "a locale without translations reads the default language",
			policy: func(p *Policy) { p.Texts = germanTexts(t) },
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, Locale: "fr", StatusField: "PROJ-1: Done (Fixed)", Tags: []string{"bug_fixed"}},
				Bugs: []BugRecord{bug("10", "PROJ-1", StateDone, 5)}, Marks: map[string]NoteMark{"10": {Seq: 4}}, Epoch: "ep"},
			want: want{note: []string{`Bug PROJ-1 "Export fails" is fixed`, "(ref: hs-ep-n10-5)"}, stamp: true, notes: map[string]int{"10": 5}},
		},
		{
			name: "closed ticket is never written; marks follow the bugs",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusClosed},
				Bugs: []BugRecord{bug("10", "PROJ-1", StateDone, 5)}, Marks: map[string]NoteMark{"10": {Seq: 4}}},
			want: want{baseline: map[string]NoteMark{"10": {Seq: 5}}},
		},
		{
			name:   "notes disabled: display only",
			policy: func(p *Policy) { p.Notes = false },
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, StatusField: "PROJ-1: In Progress", Tags: []string{"bug_in_progress"}},
				Bugs: []BugRecord{bug("10", "PROJ-1", StateDone, 5)}, Marks: map[string]NoteMark{"10": {Seq: 4}}},
			want: want{field: str("PROJ-1: Done (Fixed)"), add: []string{"bug_fixed"}, remove: []string{"bug_in_progress"}},
		},
		{
			name: "unlinked: field cleared, managed tags removed, other tags kept, marks dropped",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, StatusField: "PROJ-1: Done (Fixed)", Tags: []string{"bug_fixed"}},
				Marks: map[string]NoteMark{"10": {Seq: 4}}},
			want: want{field: str(""), remove: []string{"bug_fixed"}, drop: []string{"10"}},
		},
		{
			name: "no mark (state lost with Redis): the status tag shows in progress, the bug is done: the agent is told once",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, StatusField: "PROJ-1: In Progress", Tags: []string{"bug_in_progress"}},
				Bugs: []BugRecord{bug("10", "PROJ-1", StateDone, 0)}, Epoch: "new"},
			want: want{field: str("PROJ-1: Done (Fixed)"), add: []string{"bug_fixed"}, remove: []string{"bug_in_progress"},
				note: []string{"is fixed", "(ref: hs-new-n10-0)"}, stamp: true, notes: map[string]int{"10": 0}},
		},
		{
			name: "no mark and the tag already shows the bug's state: nothing to tell",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, StatusField: "PROJ-1: Done (Fixed)", Tags: []string{"bug_fixed"}},
				Bugs: []BugRecord{bug("10", "PROJ-1", StateDone, 0)}},
			want: want{baseline: map[string]NoteMark{"10": {Seq: 0}}},
		},
		{
			name: "fixed in a version not yet released: the note says so",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, StatusField: "PROJ-1: In Progress", Tags: []string{"bug_in_progress"}},
				Bugs: []BugRecord{fixedIn(bug("10", "PROJ-1", StateDone, 5), "5.0.1")}, Marks: map[string]NoteMark{"10": {Seq: 4}}, Epoch: "ep"},
			want: want{field: str("PROJ-1: Done (Fixed in 5.0.1)"), add: []string{"bug_fixed"}, remove: []string{"bug_in_progress"},
				note:  []string{"fix version: 5.0.1).", "Tell the customer: fixed in 5.0.1, not yet released; we will let them know the day it ships.", "(ref: hs-ep-n10-5)"},
				stamp: true, notes: map[string]int{"10": 5}},
		},
		{
			name: "its fix version released: one released note naming the version and date, tag released",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, StatusField: "PROJ-1: Done (Fixed in 5.0.1)", Tags: []string{"bug_fixed"}},
				Bugs:  []BugRecord{released(fixedIn(bug("10", "PROJ-1", StateReleased, 6), "5.0.1"), "5.0.1")},
				Marks: map[string]NoteMark{"10": {Seq: 5}}, Epoch: "ep"},
			want: want{field: str("PROJ-1: Done (Fixed in 5.0.1, released)"), add: []string{"bug_released"}, remove: []string{"bug_fixed"},
				note:  []string{`Bug PROJ-1 "Export fails": 5.0.1 is released (2025-03-01).`, "the fix is available in 5.0.1.", "(ref: hs-ep-n10-6)"},
				stamp: true, notes: map[string]int{"10": 6}},
		},
		{
			name: "two fix versions, the second released first: the note names it",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, Tags: []string{"bug_fixed"}},
				Bugs:  []BugRecord{released(fixedIn(bug("10", "PROJ-1", StateReleased, 6), "5.0.1", "5.1"), "5.1")},
				Marks: map[string]NoteMark{"10": {Seq: 5}}, Epoch: "ep"},
			want: want{field: str("PROJ-1: Done (Fixed in 5.0.1, 5.1; 5.1 released)"), add: []string{"bug_released"}, remove: []string{"bug_fixed"},
				note: []string{"5.1 is released (2025-03-01)", "available in 5.1."}, stamp: true, notes: map[string]int{"10": 6}},
		},
		{
			name: "resolved in a version already released: straight to the released note, one note",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, Tags: []string{"bug_in_progress"}},
				Bugs:  []BugRecord{released(fixedIn(bug("10", "PROJ-1", StateReleased, 5), "5.0.1"), "5.0.1")},
				Marks: map[string]NoteMark{"10": {Seq: 4}}, Epoch: "ep"},
			want: want{field: str("PROJ-1: Done (Fixed in 5.0.1, released)"), add: []string{"bug_released"}, remove: []string{"bug_in_progress"},
				note: []string{"5.0.1 is released", "(ref: hs-ep-n10-5)"}, stamp: true, notes: map[string]int{"10": 5}},
		},
		{
			name: "no mark (Redis lost), tag shows released, the bug is released: nothing to tell again",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, StatusField: "PROJ-1: Done (Fixed in 5.0.1, released)", Tags: []string{"bug_released"}},
				Bugs: []BugRecord{released(fixedIn(bug("10", "PROJ-1", StateReleased, 0), "5.0.1"), "5.0.1")}},
			want: want{baseline: map[string]NoteMark{"10": {Seq: 0}}},
		},
		{
			name: "no mark (Redis lost), tag shows fixed, the version shipped meanwhile: the released note, once",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, StatusField: "PROJ-1: Done (Fixed in 5.0.1)", Tags: []string{"bug_fixed"}},
				Bugs: []BugRecord{released(fixedIn(bug("10", "PROJ-1", StateReleased, 0), "5.0.1"), "5.0.1")}, Epoch: "new"},
			want: want{field: str("PROJ-1: Done (Fixed in 5.0.1, released)"), add: []string{"bug_released"}, remove: []string{"bug_fixed"},
				note: []string{"5.0.1 is released", "(ref: hs-new-n10-0)"}, stamp: true, notes: map[string]int{"10": 0}},
		},
		{
			name: "two bugs: worst shown; one note per changed bug in one update",
			view: ticketView{Ticket: TicketRecord{ID: 1, Status: StatusOpen, StatusField: "PROJ-1: In Progress (+1 more)", Tags: []string{"bug_in_progress"}},
				Bugs:  []BugRecord{bug("20", "PROJ-2", StateDone, 3), bug("10", "PROJ-1", StateInProgress, 7)},
				Marks: map[string]NoteMark{"10": {Seq: 6}, "20": {Seq: 2}}, Epoch: "ep"},
			want: want{note: []string{"PROJ-1", "(ref: hs-ep-n10-7)", "PROJ-2", "(ref: hs-ep-n20-3)"}, stamp: true,
				notes: map[string]int{"10": 7, "20": 3}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy()
			if tt.policy != nil {
				tt.policy(&p)
			}
			got := p.planTicket(tt.view)
			u, w := got.Update, tt.want
			if (u.StatusField == nil) != (w.field == nil) || u.StatusField != nil && *u.StatusField != *w.field {
				t.Errorf("field %v, want %v", strp(u.StatusField), strp(w.field))
			}
			if !slices.Equal(u.AddTags, w.add) || !slices.Equal(u.RemoveTags, w.remove) {
				t.Errorf("tags +%q -%q, want +%q -%q", u.AddTags, u.RemoveTags, w.add, w.remove)
			}
			if len(w.note) == 0 && u.Note != "" {
				t.Errorf("note %q, want none", u.Note)
			}
			rest := u.Note
			for _, part := range w.note {
				i := strings.Index(rest, part)
				if i < 0 {
					t.Errorf("note %q lacks %q (in order)", u.Note, part)
					break
				}
				rest = rest[i+len(part):]
			}
			if u.Reopen != w.reopen {
				t.Errorf("reopen %v, want %v", u.Reopen, w.reopen)
			}
			if u.UpdatedStamp.IsZero() == w.stamp && !tt.view.Ticket.UpdatedAt.IsZero() {
				t.Errorf("stamp %v, want conditional %v", u.UpdatedStamp, w.stamp)
			}
			if !maps.Equal(got.Notes, w.notes) || !maps.Equal(got.Baseline, w.baseline) || !slices.Equal(got.Drop, w.drop) {
				t.Errorf("marks: notes %v baseline %v drop %v; want %v %v %v", got.Notes, got.Baseline, got.Drop, w.notes, w.baseline, w.drop)
			}
			if got.writes() != (u.StatusField != nil || len(u.AddTags)+len(u.RemoveTags) > 0 || u.Note != "" || u.Reopen) {
				t.Error("writes() disagrees with the update")
			}
		})
	}
}

func fixedIn(b BugRecord, versions ...string) BugRecord {
	b.FixVersions = versions
	return b
}

func strp(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// germanTexts has German fixed and reopened texts beside the built-in ones.
func germanTexts(t *testing.T) *texts.Set {
	t.Helper()
	set, err := texts.New("", map[string]map[string]string{"de": {
		texts.Fixed:    "{{.Key}} ist behoben.",
		texts.Reopened: `Wieder geöffnet: {{join .Bugs ", "}}`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

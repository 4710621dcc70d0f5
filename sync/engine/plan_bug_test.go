package engine

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/texts"
)

var planNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func f64(f float64) *float64 { return &f }

// openTickets makes n open tickets of distinct organizations with ids from
// 1, linked from the ticket side.
func openTickets(n int, org func(i int) int64) (map[int64]TicketRecord, map[int64]LinkSource) {
	tickets, links := map[int64]TicketRecord{}, map[int64]LinkSource{}
	for i := 1; i <= n; i++ {
		id := int64(i)
		tickets[id] = TicketRecord{ID: id, Status: StatusOpen, RequesterID: 1000 + id, OrganizationID: org(i), URL: "https://h/agent/tickets/" + itoa(id), Subject: "s"}
		links[id] = LinkFromTicket
	}
	return tickets, links
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func TestTargetPriority(t *testing.T) {
	tests := []struct {
		name       string
		allowLower bool
		bug        Bug
		count      float64
		revenue    float64
		want       string
		change     bool
	}{
		{name: "below every threshold", bug: Bug{Priority: "Low"}, count: 2},
		{name: "raised to the floor", bug: Bug{Priority: "Low"}, count: 12, want: "High", change: true},
		{name: "a bug without priority is raised", bug: Bug{}, count: 3, want: "Medium", change: true},
		{name: "already at the floor", bug: Bug{Priority: "High"}, count: 12},
		{name: "above the floor is never lowered", bug: Bug{Priority: "Highest"}, count: 12},
		{name: "above the floor is lowered when allowed", allowLower: true, bug: Bug{Priority: "Highest"}, count: 12, want: "High", change: true},
		{name: "allow_lower never lowers below every threshold", allowLower: true, bug: Bug{Priority: "Highest"}, count: 1},
		{name: "locked bug is left alone", bug: Bug{Priority: "Low", Labels: []string{"priority-locked"}}, count: 30},
		{name: "unknown priority is left alone", bug: Bug{Priority: "Blocker"}, count: 30},
		{name: "a done bug is not re-ranked", bug: Bug{Priority: "Low", StatusCategory: CategoryDone}, count: 30},
		{name: "an in-progress bug is raised", bug: Bug{Priority: "Low", StatusCategory: CategoryInProgress}, count: 30, want: "Highest", change: true},
		{name: "revenue alone raises", bug: Bug{Priority: "Low"}, count: 1, revenue: 100000, want: "High", change: true},
		{name: "the higher of count and revenue wins", bug: Bug{Priority: "Low"}, count: 30, revenue: 100000, want: "Highest", change: true},
		{name: "revenue wins over a lower count floor", bug: Bug{Priority: "Low"}, count: 12, revenue: 500000, want: "Highest", change: true},
		{name: "revenue below every threshold", bug: Bug{Priority: "Low"}, count: 1, revenue: 99999},
		{name: "revenue does not open the lock", bug: Bug{Priority: "Low", Labels: []string{"priority-locked"}}, revenue: 500000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := revenuePolicy()
			p.AllowLower = tt.allowLower
			got, change := p.targetPriority(tt.bug, tt.count, tt.revenue)
			if got != tt.want || change != tt.change {
				t.Fatalf("targetPriority = %q, %v; want %q, %v", got, change, tt.want, tt.change)
			}
		})
	}
}

func TestPlanBug(t *testing.T) {
	ent := func(int) int64 { return 1 } // every ticket of the enterprise org
	distinct := func(i int) int64 { return int64(100 + i) }
	tiers := map[int64]string{1: "enterprise"}
	type want struct {
		priority, from string
		count          *float64
		add, remove    []string
		bump           string // substring of the bump comment; "" for none
		bumpSeq        int
		stale          bool
		upserts        []int64
		deletes        []int64
		open           int
	}
	tests := []struct {
		name   string
		mutate func(*bugView)
		want   want
	}{
		{
			name: "twelve customers raise Low to High with one comment, set the count and the count label, and link every ticket",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(12, distinct)
			},
			want: want{priority: "High", from: "Low", count: f64(12), add: []string{"customers-10plus"},
				bump: "12 customers now report this; raised to High by helpdesk-sync (threshold 10).\n(ref: hs-ep-b10042-1)", bumpSeq: 1,
				upserts: []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, open: 12},
		},
		{
			name: "observed state equal to desired: nothing to write",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(2, distinct)
				v.Bug.CustomerCount = f64(2)
				v.Written = writtenFor(v.Tickets)
			},
			want: want{open: 2},
		},
		{
			name: "weighted: three enterprise tickets of one organization are one customer weighing 5",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(3, ent)
				v.Bug.CustomerCount = f64(1)
				v.Written = writtenFor(v.Tickets)
			},
			want: want{priority: "Medium", from: "Low", count: f64(5), open: 3,
				bump: "1 customer (1 enterprise) now reports this; raised to Medium by helpdesk-sync (weighted count 5, threshold 3).", bumpSeq: 1},
		},
		{
			name: "the last link gone: count to zero, managed labels off, remote link deleted; people's labels stay",
			mutate: func(v *bugView) {
				v.Bug.CustomerCount = f64(11)
				v.Bug.Labels = []string{"customers-10plus", "customer-impact", "stale"}
				v.Written = map[int64]WrittenLink{7: {GlobalID: "helpdesk-sync:https://h/agent/tickets/7", Digest: "x"}}
			},
			want: want{count: f64(0), remove: []string{"customers-10plus", "stale"}, deletes: []int64{7}},
		},
		{
			name: "a bug that never had a count gets none for zero customers",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(1, distinct)
				v.Tickets[1] = TicketRecord{ID: 1, Status: StatusSolved, RequesterID: 5, URL: "https://h/agent/tickets/1"}
				v.Written = writtenFor(v.Tickets)
			},
			want: want{},
		},
		{
			name: "a changed ticket rewrites its remote link only",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(2, distinct)
				v.Bug.CustomerCount = f64(1)
				v.Written = writtenFor(v.Tickets)
				t := v.Tickets[2]
				t.Status = StatusSolved
				v.Tickets[2] = t
			},
			want: want{upserts: []int64{2}, open: 1},
		},
		{
			name: "a ticket a person linked from the bug gets no second link, and is counted",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(3, distinct)
				v.Links[3] = LinkFromTicket | LinkFromTracker
				v.Links[2] = LinkFromTracker
				v.Written = writtenFor(map[int64]TicketRecord{1: v.Tickets[1]})
			},
			want: want{priority: "Medium", from: "Low", count: f64(3), bump: "raised to Medium", bumpSeq: 1, open: 3},
		},
		{
			name: "a linked ticket the store does not know yet counts for nothing and gets no link",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(1, distinct)
				v.Links[99] = LinkFromTicket
				v.Bug.CustomerCount = f64(1)
				v.Written = writtenFor(v.Tickets)
			},
			want: want{open: 1},
		},
		{
			name: "locked: count and label change, priority and its comment do not",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(10, distinct)
				v.Bug.Labels = []string{"priority-locked"}
				v.Written = writtenFor(v.Tickets)
			},
			want: want{count: f64(10), add: []string{"customers-10plus"}, open: 10},
		},
		{
			name: "the count label moves up: the lower one goes",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(50, distinct)
				v.Bug.Priority, v.Bug.CustomerCount = "Highest", f64(50)
				v.Bug.Labels = []string{"customers-10plus"}
				v.Written = writtenFor(v.Tickets)
			},
			want: want{add: []string{"customers-50plus"}, remove: []string{"customers-10plus"}, open: 50},
		},
		{
			name: "an interrupted bump to the same target reuses its marker",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(3, distinct)
				v.Bug.CustomerCount = f64(3)
				v.Written = writtenFor(v.Tickets)
				v.Memory.Bump = Pending{Seq: 4, Target: "Medium", Text: "earlier text", Phase: PhasePlanned}
			},
			want: want{priority: "Medium", from: "Low", bump: "earlier text", bumpSeq: 4, open: 3},
		},
		{
			name: "an interrupted bump to another target is replaced by a new one",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(10, distinct)
				v.Bug.CustomerCount = f64(10)
				v.Bug.Labels = []string{"customers-10plus"}
				v.Written = writtenFor(v.Tickets)
				v.Memory.Bump = Pending{Seq: 4, Target: "Medium", Text: "earlier text", Phase: PhasePlanned}
			},
			want: want{priority: "High", from: "Low", bump: "(ref: hs-ep-b10042-5)", bumpSeq: 5, open: 10},
		},
		{
			name: "an edit that landed before a crash: no edit, the comment is still owed",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(3, distinct)
				v.Bug.Priority, v.Bug.CustomerCount = "Medium", f64(3)
				v.Written = writtenFor(v.Tickets)
				v.Memory.Bump = Pending{Seq: 2, Target: "Medium", Text: "owed", Phase: PhasePlanned}
			},
			want: want{bump: "owed", bumpSeq: 2, open: 3},
		},
		{
			name: "an abandoned intent whose edit never landed is dropped",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(1, distinct)
				v.Bug.CustomerCount = f64(1)
				v.Written = writtenFor(v.Tickets)
				v.Memory.Bump = Pending{Seq: 2, Target: "Medium", Text: "never", Phase: PhasePlanned}
			},
			want: want{open: 1},
		},
		{
			name: "a comment possibly in flight is always finished",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(1, distinct)
				v.Bug.CustomerCount = f64(1)
				v.Written = writtenFor(v.Tickets)
				v.Memory.Bump = Pending{Seq: 2, Target: "Medium", Text: "maybe sent", Phase: PhaseSending}
			},
			want: want{bump: "maybe sent", bumpSeq: 2, open: 1},
		},
		{
			name: "stale flag: label added and one comment owed for the episode",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(1, distinct)
				v.Bug.CustomerCount = f64(1)
				v.Written = writtenFor(v.Tickets)
				v.Bug.Stale = StaleFlag{Flagged: true, Episode: 3, Since: planNow}
				v.Bug.LastActivity = planNow.Add(-20 * 24 * time.Hour)
			},
			want: want{add: []string{"stale"}, stale: true, open: 1},
		},
		{
			name: "stale comment of the episode already posted: nothing more",
			mutate: func(v *bugView) {
				v.Tickets, v.Links = openTickets(1, distinct)
				v.Bug.CustomerCount = f64(1)
				v.Bug.Labels = []string{"stale"}
				v.Written = writtenFor(v.Tickets)
				v.Bug.Stale = StaleFlag{Flagged: true, Episode: 3, Since: planNow}
				v.Memory.StaleNote = Pending{Seq: 3, Phase: PhaseDone}
			},
			want: want{open: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := bugView{
				Bug:   BugRecord{Bug: Bug{ID: "10042", Key: "PROJ-12", Priority: "Low"}},
				Tiers: tiers, Epoch: "ep",
			}
			tt.mutate(&v)
			got := testPolicy().planBug(v)
			w := tt.want
			if got.Edit.Priority != w.priority || got.FromPrio != w.from {
				t.Errorf("priority %q from %q, want %q from %q", got.Edit.Priority, got.FromPrio, w.priority, w.from)
			}
			if (got.Edit.CustomerCount == nil) != (w.count == nil) || got.Edit.CustomerCount != nil && *got.Edit.CustomerCount != *w.count {
				t.Errorf("count %v, want %v", deref(got.Edit.CustomerCount), deref(w.count))
			}
			if !slices.Equal(got.Edit.AddLabels, w.add) || !slices.Equal(got.Edit.RemoveLabels, w.remove) {
				t.Errorf("labels +%q -%q, want +%q -%q", got.Edit.AddLabels, got.Edit.RemoveLabels, w.add, w.remove)
			}
			switch {
			case w.bump == "" && got.Bump != nil:
				t.Errorf("bump %+v, want none", *got.Bump)
			case w.bump != "" && (got.Bump == nil || !strings.Contains(got.Bump.Text, w.bump) || got.Bump.Seq != w.bumpSeq):
				t.Errorf("bump %+v, want seq %d containing %q", got.Bump, w.bumpSeq, w.bump)
			}
			if (got.StaleNote != nil) != w.stale {
				t.Errorf("stale note %+v, want %v", got.StaleNote, w.stale)
			}
			if ids := slices.Sorted(maps.Keys(got.Upserts)); !slices.Equal(ids, w.upserts) {
				t.Errorf("upserts %v, want %v", ids, w.upserts)
			}
			if ids := slices.Sorted(maps.Keys(got.Deletes)); !slices.Equal(ids, w.deletes) {
				t.Errorf("deletes %v, want %v", ids, w.deletes)
			}
			if got.OpenTickets != w.open {
				t.Errorf("open tickets %d, want %d", got.OpenTickets, w.open)
			}
			if got.writes() != (got.hasEdit() || got.Bump != nil || got.StaleNote != nil || len(got.Upserts)+len(got.Deletes) > 0) {
				t.Error("writes() disagrees with the plan")
			}
		})
	}
}

func TestPlanBugStaleText(t *testing.T) {
	v := bugView{
		Bug: BugRecord{Bug: Bug{ID: "7", Key: "PROJ-7", Priority: "Low"},
			Stale: StaleFlag{Flagged: true, Episode: 1, Idle: 15*24*time.Hour + time.Hour}, LastActivity: planNow},
		Epoch: "ep",
	}
	v.Tickets, v.Links = openTickets(2, func(i int) int64 { return int64(i) })
	got := testPolicy().planBug(v).StaleNote
	want := "2 customers wait on this bug and nobody has updated it for 15 days; labelled stale by helpdesk-sync. The label goes away with the next update.\n(ref: hs-ep-s7-1)"
	if got == nil || got.Text != want {
		t.Fatalf("stale note %+v, want text %q", got, want)
	}
	p := withTexts(t, testPolicy(), texts.StaleComment, "{{.Customers}} waiting, {{.Days}}d idle at {{.Priority}}; {{.Label}}")
	if got := p.planBug(v).StaleNote.Text; !strings.HasPrefix(got, "2 customers waiting, 15d idle at Low; stale\n") {
		t.Fatalf("custom stale text %q", got)
	}
}

func TestBugPlanWithoutPriority(t *testing.T) {
	v := bugView{Bug: BugRecord{Bug: Bug{ID: "1", Key: "PROJ-1", Priority: "Low"}}, Epoch: "ep"}
	v.Tickets, v.Links = openTickets(10, func(i int) int64 { return int64(i) })
	full := testPolicy().planBug(v)
	held := full.withoutPriority()
	if held.changesPriority() || held.Bump != nil {
		t.Fatalf("held plan still changes priority: %+v", held)
	}
	if held.Edit.CustomerCount == nil || len(held.Edit.AddLabels) != 1 || len(held.Upserts) != 10 {
		t.Fatalf("held plan lost its other writes: %+v", held)
	}
	// A comment owed for an earlier change is not this cycle's priority change.
	v.Bug.Priority, v.Memory.Bump = "High", Pending{Seq: 1, Target: "High", Text: "owed", Phase: PhaseSending}
	if p := testPolicy().planBug(v).withoutPriority(); p.Bump == nil {
		t.Fatal("withoutPriority dropped a comment owed for an earlier change")
	}
}

func writtenFor(tickets map[int64]TicketRecord) map[int64]WrittenLink {
	out := map[int64]WrittenLink{}
	for id, t := range tickets {
		l := remoteLink(t)
		out[id] = WrittenLink{GlobalID: l.GlobalID, Digest: digest(l)}
	}
	return out
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func TestPlanBugStaleSilent(t *testing.T) {
	v := bugView{Bug: BugRecord{Bug: Bug{ID: "7", Key: "PROJ-7", Priority: "Low"},
		Stale: StaleFlag{Flagged: true, Episode: 1, Idle: 15 * 24 * time.Hour}, LastActivity: planNow}}
	v.Tickets, v.Links = openTickets(1, func(i int) int64 { return int64(100 + i) })
	p := testPolicy()
	p.Stale.Silent = true
	got := p.planBug(v)
	if got.StaleNote != nil {
		t.Fatalf("silent stale policy owes a comment: %+v", got.StaleNote)
	}
	if !slices.Contains(got.Edit.AddLabels, p.Stale.Label) {
		t.Fatalf("silent stale policy must still add the label %q: edit %+v", p.Stale.Label, got.Edit)
	}
}

const day = 24 * time.Hour

func TestJudgeStale(t *testing.T) {
	p := testPolicy()
	p.Stale = StalePolicy{Label: "stale", DefaultWindow: 14 * day, Windows: map[string]time.Duration{"Highest": 2 * day}, ExemptLabels: []string{"long-term"}}
	now := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	rec := func(lo, un time.Time, mutate ...func(*BugRecord)) BugRecord {
		r := BugRecord{Bug: Bug{ID: "1", Key: "PROJ-1", Priority: "Low"}, State: StateToDo, LastActivity: lo, Unattributed: un}
		for _, m := range mutate {
			m(&r)
		}
		return r
	}
	tests := []struct {
		name     string
		r        BugRecord
		open     int
		priority string
		flag     bool
		idle     time.Duration
		ask      bool
	}{
		{name: "a person within the window", r: rec(ago(3*day), time.Time{}), open: 1, priority: "Low"},
		{name: "untouched past the window", r: rec(ago(20*day), time.Time{}), open: 1, priority: "Low", flag: true, idle: 20 * day},
		{name: "nobody waits", r: rec(ago(20*day), time.Time{}), open: 0, priority: "Low"},
		{name: "raised to a shorter window", r: rec(ago(3*day), time.Time{}), open: 1, priority: "Highest", flag: true, idle: 3 * day},
		{name: "done", r: rec(ago(20*day), time.Time{}, func(r *BugRecord) { r.State = StateDone }), open: 1, priority: "Low"},
		{name: "released", r: rec(ago(20*day), time.Time{}, func(r *BugRecord) { r.State = StateReleased }), open: 1, priority: "Low"},
		{name: "won't fix", r: rec(ago(20*day), time.Time{}, func(r *BugRecord) { r.State = StateWontFix }), open: 1, priority: "Low"},
		{name: "exempt label", r: rec(ago(20*day), time.Time{}, func(r *BugRecord) { r.Labels = []string{"long-term"} }), open: 1, priority: "Low"},
		{name: "flagged already", r: rec(ago(20*day), time.Time{}, func(r *BugRecord) { r.Stale.Flagged = true }), open: 1, priority: "Low"},
		{name: "unattributed update within the window: ask", r: rec(ago(20*day), ago(day)), open: 1, priority: "Low", ask: true},
		{name: "unattributed update past the window too", r: rec(ago(30*day), ago(20*day)), open: 1, priority: "Low", flag: true, idle: 20 * day},
		{name: "no person known, update time maybe the service's: ask", r: rec(time.Time{}, ago(day)), open: 1, priority: "Low", ask: true},
		{name: "no person known, update past the window", r: rec(time.Time{}, ago(15*day)), open: 1, priority: "Low", flag: true, idle: 15 * day},
		{name: "a person after an unattributed update", r: rec(ago(day), ago(2*day)), open: 1, priority: "Low"},
	}
	for _, tt := range tests {
		flag, ask := p.judgeStale(tt.r, tt.open, tt.priority, now)
		switch {
		case tt.flag != (flag != nil):
			t.Errorf("%s: flag %+v, want flag %v", tt.name, flag, tt.flag)
		case flag != nil && (flag.Idle != tt.idle || !flag.Flagged || flag.Episode != tt.r.Stale.Episode+1 || !flag.Since.Equal(now)):
			t.Errorf("%s: flag %+v, want idle %s since now", tt.name, flag, tt.idle)
		case tt.ask != !ask.IsZero():
			t.Errorf("%s: ask since %v, want asking %v", tt.name, ask, tt.ask)
		case tt.ask && !ask.Equal(now.Add(-p.Window(tt.priority))):
			t.Errorf("%s: ask since %v, want the window's start", tt.name, ask)
		}
	}
}

func TestWhoMoved(t *testing.T) {
	u0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	prev := BugRecord{Bug: Bug{ID: "1", Updated: u0}}
	at := func(d time.Duration) Bug { return Bug{ID: "1", Updated: u0.Add(d)} }
	tests := []struct {
		name      string
		b         Bug
		mem       BugMemory
		explained bool
		want      mover
	}{
		{"a field changed, not by the engine's edit", at(time.Minute), BugMemory{Seen: u0, Echo: u0.Add(time.Hour)}, false, byOthers},
		{"the engine wrote nothing since it saw the bug", at(time.Minute), BugMemory{Seen: u0.Add(-time.Hour)}, true, byOthers},
		{"never wrote", at(time.Minute), BugMemory{}, true, byOthers},
		{"its comment is the last update", at(time.Minute), BugMemory{Seen: u0, Echo: u0.Add(time.Minute)}, true, byEngine},
		{"an update after its comment", at(2 * time.Minute), BugMemory{Seen: u0, Echo: u0.Add(time.Minute)}, true, byUnknown},
		{"an earlier comment, an edit since", at(2 * time.Minute), BugMemory{Seen: u0, Echo: u0.Add(-time.Hour)}, true, byUnknown},
		{"an edit alone: its time unknown", at(time.Minute), BugMemory{Seen: u0}, true, byUnknown},
	}
	for _, tt := range tests {
		if got := whoMoved(prev, tt.b, tt.mem, tt.explained); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

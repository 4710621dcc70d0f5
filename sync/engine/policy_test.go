package engine

import (
	"strings"
	"testing"
	"time"
)

func testPolicy() Policy {
	return Policy{
		Projects:      []string{"PROJ"},
		LinkTagPrefix: "jira_",
		CountBy:       CountByOrganization,
		CountTickets:  CountOpenTickets,
		TierWeights:   map[string]float64{"enterprise": 5, "pro": 2, "free": 1},
		DefaultWeight: 1,
		Thresholds: []Threshold{
			{Customers: 3, Priority: "Medium"},
			{Customers: 10, Priority: "High"},
			{Customers: 25, Priority: "Highest"},
		},
		Priorities:          []string{"Highest", "High", "Medium", "Low", "Lowest"},
		PriorityLockedLabel: "priority-locked",
		CountLabels:         []CountLabel{{10, "customers-10plus"}, {50, "customers-50plus"}},
		StatusTags:          StatusTags{ToDo: "bug_open", InProgress: "bug_in_progress", Done: "bug_fixed", WontFix: "bug_wont_fix", Released: "bug_released"},
		WontFixResolutions:  []string{"Won't Fix", "Won't Do"},
		Notes:               true,
		Stale: StalePolicy{
			Label:          "stale",
			Windows:        map[string]time.Duration{"Highest": 24 * time.Hour, "High": 72 * time.Hour},
			DefaultWindow:  14 * 24 * time.Hour,
			ExemptLabels:   []string{"long-term"},
			ExemptStatuses: []string{"Blocked"},
		},
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := testPolicy().Validate(); err != nil {
		t.Fatalf("valid policy: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*Policy)
		want   string
	}{
		{"no projects", func(p *Policy) { p.Projects = nil }, "projects: at least one"},
		{"bad project", func(p *Policy) { p.Projects = []string{"proj"} }, `projects: "proj" is not a project key`},
		{"upper-case tag prefix", func(p *Policy) { p.LinkTagPrefix = "JIRA_" }, "link_tag_prefix"},
		{"count_by", func(p *Policy) { p.CountBy = "user" }, `count_by: "user"`},
		{"count_tickets", func(p *Policy) { p.CountTickets = "" }, "count_tickets"},
		{"negative weight", func(p *Policy) { p.TierWeights["free"] = -1 }, "tier_weights.free"},
		{"unknown threshold priority", func(p *Policy) { p.Thresholds[0].Priority = "Urgent" }, `thresholds[0].priority: "Urgent"`},
		{"zero threshold", func(p *Policy) { p.Thresholds[1].Customers = 0 }, "thresholds[1]: set customers, revenue or both"},
		{"count label with space", func(p *Policy) { p.CountLabels[0].Label = "ten plus" }, "count_labels[0].label"},
		{"stale without window", func(p *Policy) { p.Stale.DefaultWindow = 0 }, "stale.default_window"},
		{"negative limit", func(p *Policy) { p.Limits.MaxBugEdits = -1 }, "limits:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy()
			p.TierWeights = map[string]float64{"enterprise": 5, "pro": 2, "free": 1}
			p.Thresholds = append([]Threshold(nil), p.Thresholds...)
			p.CountLabels = append([]CountLabel(nil), p.CountLabels...)
			tt.mutate(&p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestPolicyFloor(t *testing.T) {
	p := testPolicy()
	for _, tt := range []struct {
		count float64
		want  string
	}{{0, ""}, {2.99, ""}, {3, "Medium"}, {9, "Medium"}, {10, "High"}, {24.5, "High"}, {25, "Highest"}, {1000, "Highest"}} {
		if got := p.Floor(tt.count); got != tt.want {
			t.Errorf("Floor(%v) = %q, want %q", tt.count, got, tt.want)
		}
	}
	// Thresholds need not be sorted, and a lower priority at a higher count
	// never wins over a higher one.
	p.Thresholds = []Threshold{{Customers: 25, Priority: "Highest"}, {Customers: 3, Priority: "Medium"}, {Customers: 30, Priority: "Low"}}
	if got := p.Floor(40); got != "Highest" {
		t.Errorf("unsorted thresholds: Floor(40) = %q, want Highest", got)
	}
}

func TestPolicyRank(t *testing.T) {
	p := testPolicy()
	for _, tt := range []struct {
		prio string
		rank int
		ok   bool
	}{{"Highest", 0, true}, {"Lowest", 4, true}, {"", 5, true}, {"Blocker", -1, false}} {
		if r, ok := p.Rank(tt.prio); r != tt.rank || ok != tt.ok {
			t.Errorf("Rank(%q) = %d, %v; want %d, %v", tt.prio, r, ok, tt.rank, tt.ok)
		}
	}
}

func TestPolicyWeight(t *testing.T) {
	p := testPolicy()
	for tier, want := range map[string]float64{"enterprise": 5, "pro": 2, "free": 1, "": 1, "unknown": 1} {
		if got := p.Weight(tier); got != want {
			t.Errorf("Weight(%q) = %v, want %v", tier, got, want)
		}
	}
	if !p.Weighted() {
		t.Error("Weighted() = false with tier weights differing from the default")
	}
	p.TierWeights = map[string]float64{"free": 1}
	if p.Weighted() {
		t.Error("Weighted() = true when every tier weighs the default")
	}
}

func TestPolicyCountLabel(t *testing.T) {
	p := testPolicy()
	for count, want := range map[float64]string{0: "", 9.9: "", 10: "customers-10plus", 49: "customers-10plus", 50: "customers-50plus"} {
		if got := p.CountLabel(count); got != want {
			t.Errorf("CountLabel(%v) = %q, want %q", count, got, want)
		}
	}
}

func TestPolicyWindowAndExempt(t *testing.T) {
	p := testPolicy()
	for prio, want := range map[string]time.Duration{"Highest": 24 * time.Hour, "High": 72 * time.Hour, "Low": 14 * 24 * time.Hour, "": 14 * 24 * time.Hour} {
		if got := p.Window(prio); got != want {
			t.Errorf("Window(%q) = %v, want %v", prio, got, want)
		}
	}
	for _, tt := range []struct {
		name string
		bug  Bug
		want bool
	}{
		{"plain bug", Bug{Status: "Open"}, false},
		{"exempt label", Bug{Status: "Open", Labels: []string{"x", "long-term"}}, true},
		{"exempt status any case", Bug{Status: "blocked"}, true},
	} {
		if got := p.StaleExempt(tt.bug); got != tt.want {
			t.Errorf("%s: StaleExempt = %v, want %v", tt.name, got, tt.want)
		}
	}
	p.Stale.Label = ""
	if !p.StaleExempt(Bug{}) {
		t.Error("with stale flags disabled every bug is exempt")
	}
}

func TestPolicyStateOf(t *testing.T) {
	p := testPolicy()
	for _, tt := range []struct {
		bug  Bug
		want BugState
	}{
		{Bug{StatusCategory: CategoryToDo}, StateToDo},
		{Bug{StatusCategory: ""}, StateToDo},
		{Bug{StatusCategory: CategoryInProgress}, StateInProgress},
		{Bug{StatusCategory: CategoryDone, Resolution: "Fixed"}, StateDone},
		{Bug{StatusCategory: CategoryDone, Resolution: "won't fix"}, StateWontFix},
		{Bug{StatusCategory: CategoryDone}, StateDone},
		// Released: done (not won't fix) with at least one fix version
		// shipped; a second one still to come changes nothing.
		{Bug{StatusCategory: CategoryDone, Resolution: "Fixed", FixVersions: []string{"5.0.1"}}, StateDone},
		{Bug{StatusCategory: CategoryDone, Resolution: "Fixed", FixVersions: []string{"5.0.1"}, Released: []Version{{Name: "5.0.1"}}}, StateReleased},
		{Bug{StatusCategory: CategoryDone, Resolution: "Fixed", FixVersions: []string{"5.0.1", "5.1"}, Released: []Version{{Name: "5.1"}}}, StateReleased},
		{Bug{StatusCategory: CategoryDone, Resolution: "Won't Do", FixVersions: []string{"5.0.1"}, Released: []Version{{Name: "5.0.1"}}}, StateWontFix},
		{Bug{StatusCategory: CategoryInProgress, FixVersions: []string{"5.0.1"}, Released: []Version{{Name: "5.0.1"}}}, StateInProgress},
	} {
		if got := p.StateOf(tt.bug); got != tt.want {
			t.Errorf("StateOf(%+v) = %v, want %v", tt.bug, got, tt.want)
		}
	}
}

func TestStatusTags(t *testing.T) {
	tags := testPolicy().StatusTags
	if got := tags.All(); strings.Join(got, ",") != "bug_open,bug_in_progress,bug_fixed,bug_wont_fix,bug_released" {
		t.Errorf("All() = %q", got)
	}
	for _, s := range []BugState{StateToDo, StateInProgress, StateDone, StateWontFix, StateReleased} {
		if got, ok := tags.StateOfTag(tags.Tag(s)); !ok || got != s {
			t.Errorf("StateOfTag(Tag(%v)) = %v, %v", s, got, ok)
		}
	}
	if _, ok := tags.StateOfTag(""); ok {
		t.Error(`StateOfTag("") found a state`)
	}
	if _, ok := (StatusTags{}).StateOfTag("bug_fixed"); ok {
		t.Error("unconfigured tags map to no state")
	}
}

func TestCarriesOwnWrites(t *testing.T) {
	p := testPolicy()
	p.Stale.Label = "stale"
	p.CountLabels = []CountLabel{{Customers: 10, Label: "customers-10plus"}}
	zero := 0.0
	for _, tt := range []struct {
		name string
		b    Bug
		want bool
	}{
		{"untouched by the service", Bug{Labels: []string{"ui"}}, false},
		{"a customer count, even zero", Bug{CustomerCount: &zero}, true},
		{"a count label", Bug{Labels: []string{"customers-10plus"}}, true},
		{"the stale label", Bug{Labels: []string{"stale"}}, true},
	} {
		if got := p.carriesOwnWrites(tt.b); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	p.Stale.Label = ""
	if p.carriesOwnWrites(Bug{Labels: []string{""}}) {
		t.Error("an empty label counts as the stale label when stale flags are off")
	}
}

package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/texts"
)

// Every text the engine writes for people agrees with its counts: nouns and
// verbs at 0, 1 and 2.
func TestTextsAgreeWithCounts(t *testing.T) {
	p := testPolicy()
	customers := func(n int) Customers { return Customers{Distinct: n, Weighted: float64(n)} }
	day := 24 * time.Hour
	fixed := func(versions ...string) BugRecord {
		return BugRecord{Bug: Bug{Key: "PROJ-1", Summary: "Export fails", Status: "Done", Resolution: "Fixed", FixVersions: versions}, State: StateDone}
	}
	keys := func(ignored, overCap int, listed ...RejectedKey) TicketKeys {
		return TicketKeys{Rejected: listed, Ignored: ignored, OverCap: overCap}
	}
	tests := []struct {
		name, got, want string
	}{
		{"describe 0", p.Describe(customers(0)), "0 customers"},
		{"describe 1", p.Describe(customers(1)), "1 customer"},
		{"describe 2", p.Describe(customers(2)), "2 customers"},
		{"describe tiers", p.Describe(Customers{Distinct: 3, ByTier: map[string]int{"enterprise": 1, "pro": 2}}), "3 customers (1 enterprise, 2 pro)"},

		{"bump 0", p.bumpText(customers(0), "Low", "Medium", "m"), "0 customers now report this; raised to Medium by helpdesk-sync (threshold 3).\nm"},
		{"bump 1", p.bumpText(customers(1), "Low", "Medium", "m"), "1 customer now reports this; raised to Medium by helpdesk-sync (threshold 3).\nm"},
		{"bump 2", p.bumpText(customers(2), "High", "Medium", "m"), "2 customers now report this; lowered to Medium by helpdesk-sync (threshold 3).\nm"},

		{"stale 0", p.staleText(Bug{}, customers(0), 0, "m"),
			"0 customers wait on this bug and nobody has updated it for 0 days; labelled stale by helpdesk-sync. The label goes away with the next update.\nm"},
		{"stale 1", p.staleText(Bug{}, customers(1), day+time.Hour, "m"),
			"1 customer waits on this bug and nobody has updated it for 1 day; labelled stale by helpdesk-sync. The label goes away with the next update.\nm"},
		{"stale 2", p.staleText(Bug{}, customers(2), 2*day, "m"),
			"2 customers wait on this bug and nobody has updated it for 2 days; labelled stale by helpdesk-sync. The label goes away with the next update.\nm"},
		{"stale template", withTexts(t, p, texts.StaleComment, `{{.Customers}} {{agree .Count "waits" "wait"}}, {{.Idle}} ({{.Days}}) at {{.Priority}}; {{.Customers}}.`).staleText(Bug{Priority: "High"}, customers(1), day, "m"),
			"1 customer waits, 1 day (1) at High; 1 customer.\nm"},

		{"note, no fix version", p.noteText(fixed(), "", "m"),
			"Bug PROJ-1 \"Export fails\" is fixed (status: Done, resolution: Fixed).\nTell the customer: the fix is done and ships with an upcoming release.\nm"},
		{"note, 1 fix version", p.noteText(fixed("2.1"), "", "m"),
			"Bug PROJ-1 \"Export fails\" is fixed (status: Done, resolution: Fixed, fix version: 2.1).\nTell the customer: fixed in 2.1, not yet released; we will let them know the day it ships.\nm"},
		{"note, 2 fix versions", p.noteText(fixed("2.1", "3.0"), "", "m"),
			"Bug PROJ-1 \"Export fails\" is fixed (status: Done, resolution: Fixed, fix versions: 2.1, 3.0).\nTell the customer: fixed in 2.1, 3.0, not yet released; we will let them know the day it ships.\nm"},

		{"note, started", p.noteText(BugRecord{Bug: Bug{Key: "MOB-3", Summary: "File upload crashes on iOS 17", Status: "In Progress"}, State: StateInProgress}, "", "m"),
			"Bug MOB-3 \"File upload crashes on iOS 17\" is now in progress (status: In Progress).\nTell the customer: engineering is working on a fix; we will let them know when it ships.\nm"},
		{"note, won't fix", p.noteText(BugRecord{Bug: Bug{Key: "PROJ-4", Summary: "x", Status: "Done", Resolution: "Won't Fix"}, State: StateWontFix}, "", "m"),
			"Bug PROJ-4 \"x\" was closed as Won't Fix (status: Done).\nTell the customer: engineering will not change this; offer a workaround, or escalate if it blocks them.\nm"},
		{"note, no resolution", p.noteText(BugRecord{Bug: Bug{Key: "PROJ-1", Summary: "x", Status: "Closed"}, State: StateDone}, "", "m"),
			"Bug PROJ-1 \"x\" is fixed (status: Closed).\nTell the customer: the fix is done and ships with an upcoming release.\nm"},
		{"reopen", p.reopenText("", []string{"PROJ-1"}), "helpdesk-sync reopened this ticket because its bug changed."},

		{"stale event 0", staleDetail(0, 0, 36*time.Hour, ""), "stale: 0 open tickets wait and nobody updated it for 0 days (window 36h0m0s for (none))"},
		{"stale event 1", staleDetail(1, day, day, "High"), "stale: 1 open ticket waits and nobody updated it for 1 day (window 1 day for High)"},
		{"stale event 2", staleDetail(2, 2*day, 2*day, "High"), "stale: 2 open tickets wait and nobody updated it for 2 days (window 2 days for High)"},
		{"bug gone 0", goneDetail(0), "bug no longer exists; unlinked from 0 tickets"},
		{"bug gone 1", goneDetail(1), "bug no longer exists; unlinked from 1 ticket"},
		{"bug gone 2", goneDetail(2), "bug no longer exists; unlinked from 2 tickets"},

		{"ignored 1", ignoredText(keys(1, 0, RejectedKey{"OTHER-1", ReasonUnknownProject}), 20),
			`ignored 1 bug key: "OTHER-1": project not configured`},
		{"ignored 2, 1 over the cap", ignoredText(keys(2, 1, RejectedKey{"X", ReasonMalformed}, RejectedKey{"PROJ-2", ReasonTooMany}), 1),
			`ignored 2 bug keys: "X": not a bug key; "PROJ-2": too many keys (a ticket links at most 1 key, the first it names; 1 valid key was over that)`},
		{"ignored 2 listed of 4, 2 over the cap", ignoredText(keys(4, 2, RejectedKey{"X", ReasonMalformed}, RejectedKey{"PROJ-3", ReasonTooMany}), 2),
			`ignored 4 bug keys: "X": not a bug key; "PROJ-3": too many keys; and 2 more (a ticket links at most 2 keys, the first it names; 2 valid keys were over that)`},
		{"ignored 1 more", ignoredText(keys(2, 0, RejectedKey{"X", ReasonMalformed}), 20), `ignored 2 bug keys: "X": not a bug key; and 1 more`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s:\n got  %q\n want %q", tt.name, tt.got, tt.want)
		}
	}
}

// withTexts is p with template name replaced in the default language.
func withTexts(t *testing.T, p Policy, name, tmpl string) Policy {
	t.Helper()
	set, err := texts.New("", map[string]map[string]string{texts.DefaultLanguage: {name: tmpl}})
	if err != nil {
		t.Fatal(err)
	}
	p.Texts = set
	return p
}

// An event's detail stays one bounded line whatever the vendors hold.
func TestIgnoredTextIsBounded(t *testing.T) {
	p := testPolicy()
	var field strings.Builder
	for range 1000 {
		field.WriteString(strings.Repeat("é", 300) + " OTHER-1 PROJ-1 PROJ-2 ")
	}
	p.MaxKeys = 1
	text := ignoredText(p.Keys(Ticket{KeysField: field.String()}), 1)
	if n := len([]rune(text)); n > maxDetail {
		t.Fatalf("%d runes: %s", n, text)
	}
}

func TestTruncate(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"", 3, ""}, {"abc", 3, "abc"}, {"abcd", 3, "ab…"}, {"éèê", 3, "éèê"}, {"éèêë", 3, "éè…"}, {"ab", 1, "ab"[:0] + "…"},
		{"a", 1, "a"}, {strings.Repeat("x", 1<<20), 4, "xxx…"},
	} {
		if got := truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("truncate(%.10q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

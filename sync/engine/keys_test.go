package engine

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func keysPolicy() Policy {
	return Policy{Projects: []string{"PROJ", "MY_APP", "WEB2"}, LinkTagPrefix: "jira_"}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name     string
		subjects bool
		ticket   Ticket
		want     []string
		rejected []RejectedKey
	}{
		{name: "empty ticket"},
		{name: "field any case, comma and space separated",
			ticket: Ticket{KeysField: "proj-12, PROJ-3  Proj-7"},
			want:   []string{"PROJ-12", "PROJ-3", "PROJ-7"}},
		{name: "semicolons, newlines and duplicates collapse",
			ticket: Ticket{KeysField: "PROJ-1;proj-1\nPROJ-1"},
			want:   []string{"PROJ-1"}},
		{name: "pasted browse URL",
			ticket: Ticket{KeysField: "https://acme.atlassian.net/browse/PROJ-42?focusedCommentId=1"},
			want:   []string{"PROJ-42"}},
		{name: "unknown project is rejected with its reason",
			ticket:   Ticket{KeysField: "OTHER-5 PROJ-5"},
			want:     []string{"PROJ-5"},
			rejected: []RejectedKey{{Text: "OTHER-5", Reason: ReasonUnknownProject}}},
		{name: "malformed keys are rejected",
			ticket: Ticket{KeysField: "PROJ-0 PROJ-01 PROJ- -12 P-1 PROJ-12345678901 PROJ-1'OR'1=1 1PROJ-2"},
			rejected: []RejectedKey{
				{"PROJ-0", ReasonMalformed}, {"PROJ-01", ReasonMalformed}, {"PROJ-", ReasonMalformed},
				{"-12", ReasonMalformed}, {"P-1", ReasonMalformed}, {"PROJ-12345678901", ReasonMalformed},
				{"PROJ-1'OR'1=1", ReasonMalformed}, {"1PROJ-2", ReasonMalformed},
			}},
		{name: "tags, including projects with underscores",
			ticket: Ticket{Tags: []string{"vip", "jira_proj_12", "jira_my_app_3", "jira_web2_9"}},
			want:   []string{"MY_APP-3", "PROJ-12", "WEB2-9"}},
		{name: "tags of unknown projects and malformed link tags are rejected; other tags ignored",
			ticket: Ticket{Tags: []string{"jira_other_1", "jira_proj_x", "jira_escalated", "jira_", "bug_fixed"}},
			rejected: []RejectedKey{
				{"jira_other_1", ReasonUnknownProject}, {"jira_proj_x", ReasonMalformed},
			}},
		{name: "field and tags merge and sort",
			ticket: Ticket{KeysField: "PROJ-9", Tags: []string{"jira_proj_10", "jira_proj_9"}},
			want:   []string{"PROJ-10", "PROJ-9"}},
		{name: "subject ignored unless enabled",
			ticket: Ticket{Subject: "Crash in PROJ-77 export"}},
		{name: "subject keys when enabled; prose lookalikes ignored silently",
			subjects: true,
			ticket:   Ticket{Subject: "Crash in proj-77 export since COVID-19 (see PROJ-78, X-1)"},
			want:     []string{"PROJ-77", "PROJ-78"}},
		{name: "a candidate pasted at length is shown cut",
			ticket:   Ticket{KeysField: "PROJ-1 " + strings.Repeat("é", 100)},
			want:     []string{"PROJ-1"},
			rejected: []RejectedKey{{strings.Repeat("é", MaxRejectedText-1) + "…", ReasonMalformed}}},
		{name: "keys over the cap are rejected, after the other rejections",
			ticket: Ticket{KeysField: "PROJ-1 PROJ-2 PROJ-3 PROJ-4 PROJ-5 PROJ-6 PROJ-7 PROJ-8 PROJ-9 PROJ-10 " +
				"PROJ-11 PROJ-12 PROJ-13 PROJ-14 PROJ-15 PROJ-16 PROJ-17 PROJ-18 PROJ-19 PROJ-20 PROJ-21 PROJ-1 OTHER-1",
				Tags: []string{"jira_proj_22"}},
			want: []string{"PROJ-1", "PROJ-10", "PROJ-11", "PROJ-12", "PROJ-13", "PROJ-14", "PROJ-15", "PROJ-16", "PROJ-17",
				"PROJ-18", "PROJ-19", "PROJ-2", "PROJ-20", "PROJ-3", "PROJ-4", "PROJ-5", "PROJ-6", "PROJ-7", "PROJ-8", "PROJ-9"},
			rejected: []RejectedKey{{"OTHER-1", ReasonUnknownProject}, {"PROJ-21", ReasonTooMany}, {"jira_proj_22", ReasonTooMany}}},
		{name: "only the first rejections are listed",
			ticket: Ticket{KeysField: "A-1 B-1 C-1 D-1 E-1 F-1 G-1"},
			rejected: []RejectedKey{{"A-1", ReasonMalformed}, {"B-1", ReasonMalformed}, {"C-1", ReasonMalformed},
				{"D-1", ReasonMalformed}, {"E-1", ReasonMalformed}, {"F-1", ReasonMalformed}, {"G-1", ReasonMalformed}}},
		{name: "subject key glued to a word is not a key",
			subjects: true,
			ticket:   Ticket{Subject: "aPROJ-7 PROJ-7b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := keysPolicy()
			p.SubjectKeys = tt.subjects
			got := p.Keys(tt.ticket)
			if !slices.Equal(got.Keys, tt.want) {
				t.Errorf("keys = %q, want %q", got.Keys, tt.want)
			}
			want := tt.rejected[:min(len(tt.rejected), MaxListedRejections)]
			if !slices.Equal(got.Rejected, want) || got.Ignored != len(tt.rejected) {
				t.Errorf("rejected = %q (%d in all), want %q (%d)", got.Rejected, got.Ignored, want, len(tt.rejected))
			}
		})
	}
}

func TestKeysWithoutTagPrefixIgnoresTags(t *testing.T) {
	p := keysPolicy()
	p.LinkTagPrefix = ""
	if got := p.Keys(Ticket{Tags: []string{"proj_1", "_proj_1"}}); got.Keys != nil || got.Ignored != 0 {
		t.Fatalf("keys %+v, want none", got)
	}
}

func TestValidKey(t *testing.T) {
	p := keysPolicy()
	for key, want := range map[string]bool{
		"PROJ-1": true, "MY_APP-99": true, "proj-1": false, "OTHER-1": false, "PROJ-1 ": false, "PROJ-1\"": false,
	} {
		if got := p.ValidKey(key); got != want {
			t.Errorf("ValidKey(%q) = %v, want %v", key, got, want)
		}
	}
}

// FuzzKeys: whatever agents type, every key handed on is valid, upper case,
// of a configured project, unique and sorted, and there are at most the cap
// of them; the cap keeps a prefix of what an uncapped policy finds and
// rejects the rest as too many; what is listed of the rejections is bounded;
// nothing panics.
func FuzzKeys(f *testing.F) {
	for _, s := range []string{"PROJ-1", "proj-12, PROJ-3", "https://x/browse/PROJ-4", "jira_my_app_7", "PROJ-1;DROP", "\x00PROJ-2\u00a0", "ǅ-1",
		"PROJ-1 PROJ-2 PROJ-3 PROJ-4 OTHER-1 x", strings.Repeat("PROJ-9 ", 30)} {
		f.Add(s, s, s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, field, tag, subject string, maxKeys uint8) {
		p := keysPolicy()
		p.SubjectKeys = true
		p.MaxKeys = int(maxKeys % 8)
		ticket := Ticket{KeysField: field, Tags: []string{tag}, Subject: subject}
		got := p.Keys(ticket)
		checkKeys(t, p, got)
		limit := p.maxKeys()
		p.MaxKeys = 1 << 30
		all := p.Keys(ticket)
		checkKeys(t, p, all)
		if all.OverCap != 0 {
			t.Fatalf("over the cap without one: %+v", all)
		}
		for _, k := range got.Keys {
			if !slices.Contains(all.Keys, k) {
				t.Fatalf("capped key %q is not among the uncapped %q", k, all.Keys)
			}
		}
		if len(got.Keys) != min(len(all.Keys), limit) || got.OverCap < len(all.Keys)-len(got.Keys) ||
			got.Ignored != all.Ignored+got.OverCap {
			t.Fatalf("cap %d: %+v; uncapped %+v", limit, got, all)
		}
	})
}

// checkKeys asserts what holds of every extraction.
func checkKeys(t *testing.T, p Policy, got TicketKeys) {
	t.Helper()
	if !slices.IsSorted(got.Keys) {
		t.Fatalf("keys not sorted: %q", got.Keys)
	}
	for i, k := range got.Keys {
		if !p.ValidKey(k) {
			t.Fatalf("invalid key %q handed on", k)
		}
		if i > 0 && got.Keys[i-1] == k {
			t.Fatalf("duplicate key %q", k)
		}
	}
	if len(got.Rejected) > MaxListedRejections || got.Ignored < len(got.Rejected) || got.OverCap > got.Ignored {
		t.Fatalf("rejections out of bounds: %+v", got)
	}
	for _, r := range got.Rejected {
		if r.Reason != ReasonMalformed && r.Reason != ReasonUnknownProject && r.Reason != ReasonTooMany {
			t.Fatalf("rejection without a known reason: %+v", r)
		}
		if strings.TrimSpace(r.Text) == "" || utf8.RuneCountInString(r.Text) > MaxRejectedText {
			t.Fatalf("rejected candidate shown as %q", r.Text)
		}
	}
}

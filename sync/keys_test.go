package sync

import (
	"slices"
	"strings"
	"testing"
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
		{name: "subject key glued to a word is not a key",
			subjects: true,
			ticket:   Ticket{Subject: "aPROJ-7 PROJ-7b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := keysPolicy()
			p.SubjectKeys = tt.subjects
			got, rejected := p.Keys(tt.ticket)
			if !slices.Equal(got, tt.want) {
				t.Errorf("keys = %q, want %q", got, tt.want)
			}
			if !slices.Equal(rejected, tt.rejected) {
				t.Errorf("rejected = %q, want %q", rejected, tt.rejected)
			}
		})
	}
}

func TestKeysWithoutTagPrefixIgnoresTags(t *testing.T) {
	p := keysPolicy()
	p.LinkTagPrefix = ""
	if got, rej := p.Keys(Ticket{Tags: []string{"proj_1", "_proj_1"}}); got != nil || rej != nil {
		t.Fatalf("keys %q rejected %q, want none", got, rej)
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
// of a configured project, unique and sorted; nothing panics.
func FuzzKeys(f *testing.F) {
	for _, s := range []string{"PROJ-1", "proj-12, PROJ-3", "https://x/browse/PROJ-4", "jira_my_app_7", "PROJ-1;DROP", "\x00PROJ-2\u00a0", "ǅ-1"} {
		f.Add(s, s, s)
	}
	p := keysPolicy()
	p.SubjectKeys = true
	f.Fuzz(func(t *testing.T, field, tag, subject string) {
		keys, rejected := p.Keys(Ticket{KeysField: field, Tags: []string{tag}, Subject: subject})
		if !slices.IsSorted(keys) {
			t.Fatalf("keys not sorted: %q", keys)
		}
		for i, k := range keys {
			if !p.ValidKey(k) {
				t.Fatalf("invalid key %q handed on from field %q tag %q subject %q", k, field, tag, subject)
			}
			if i > 0 && keys[i-1] == k {
				t.Fatalf("duplicate key %q", k)
			}
		}
		for _, r := range rejected {
			if r.Reason != ReasonMalformed && r.Reason != ReasonUnknownProject {
				t.Fatalf("rejection without a known reason: %+v", r)
			}
			if strings.TrimSpace(r.Text) == "" {
				t.Fatalf("rejected an empty candidate: %+v", r)
			}
		}
	})
}

package notice

import (
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestNoticeOf(t *testing.T) {
	n := &Notices{opt: Options{Priorities: []string{"Highest", "High", "Medium", "Low", "Lowest"}}}
	rec := engine.BugRecord{Bug: engine.Bug{ID: "10001", Key: "PROJ-1", Project: "PROJ", Summary: "Export fails",
		Priority: "High", Resolution: "Fixed", FixVersions: []string{"2.4.1"}, URL: "https://jira.example/browse/PROJ-1"}}
	rec.Stale.Idle = 9 * 24 * time.Hour
	waiting := engine.Standing{Customers: engine.Customers{Distinct: 4}}
	tests := []struct {
		name  string
		w     wire
		st    engine.Standing
		id    string // "" for no notice
		kind  slack.Kind
		words string
	}{
		{"raise", wire{Kind: engine.EventPriorityChanged, Bug: "10001", Seq: 2, From: "Low", To: "High"}, waiting,
			"raised:10001:2:High", slack.KindPriorityRaised, "Priority raised"},
		{"raise from none", wire{Kind: engine.EventPriorityChanged, Bug: "10001", Seq: 1, To: "Medium"}, waiting,
			"raised:10001:1:Medium", slack.KindPriorityRaised, "Medium"},
		{"lowering is no notice", wire{Kind: engine.EventPriorityChanged, Bug: "10001", Seq: 3, From: "High", To: "Low"}, waiting, "", "", ""},
		{"stale", wire{Kind: engine.EventStaleFlagged, Bug: "10001", Seq: 1}, waiting, "stale:10001:1", slack.KindStale, "9 days"},
		{"fixed", wire{Kind: engine.EventTransition, Bug: "10001", Seq: 4, State: engine.StateDone}, waiting,
			"fixed:10001:4", slack.KindFixed, "Fixed"},
		{"released", wire{Kind: engine.EventTransition, Bug: "10001", Seq: 5, State: engine.StateReleased}, waiting,
			"released:10001:5", slack.KindReleased, "2.4.1"},
		{"fixed, nobody waits", wire{Kind: engine.EventTransition, Bug: "10001", Seq: 4, State: engine.StateDone}, engine.Standing{}, "", "", ""},
		{"in progress", wire{Kind: engine.EventTransition, Bug: "10001", Seq: 3, State: engine.StateInProgress}, waiting, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nt, ok := n.noticeOf(tt.w, rec, tt.st)
			if tt.id == "" {
				if ok {
					t.Fatalf("a notice %q, want none", nt.id)
				}
				return
			}
			if !ok || nt.id != tt.id || nt.kind != tt.kind || nt.facts.Kind != tt.kind {
				t.Fatalf("notice %q %q (ok %v), want %q %q", nt.id, nt.kind, ok, tt.id, tt.kind)
			}
			if nt.facts.Project != "PROJ" || nt.facts.Customers != 4 {
				t.Errorf("facts %+v", nt.facts)
			}
			if !strings.Contains(nt.message.Text, tt.words) {
				t.Errorf("text %q lacks %q", nt.message.Text, tt.words)
			}
		})
	}
}

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

// Where revenue is counted, notices show it and route by it, and a raise
// names it when a revenue threshold of the new priority is reached.
func TestNoticeOfRevenue(t *testing.T) {
	counted := Options{Priorities: []string{"Highest", "High", "Medium", "Low"},
		Revenue:    engine.RevenuePolicy{Enabled: true, Currency: "EUR"},
		Thresholds: []engine.Threshold{{Customers: 3, Priority: "Medium"}, {Customers: 10, Priority: "High"}, {Revenue: 100000, Priority: "High"}}}
	off := counted
	off.Revenue = engine.RevenuePolicy{}
	rec := engine.BugRecord{Bug: engine.Bug{ID: "10001", Key: "PROJ-1", Project: "PROJ", Summary: "Export fails", Priority: "Low"}}
	standing := func(n int, revenue float64) engine.Standing {
		return engine.Standing{Customers: engine.Customers{Distinct: n, Weighted: float64(n), Revenue: revenue}}
	}
	raise := func(to string) wire {
		return wire{Kind: engine.EventPriorityChanged, Bug: "10001", Seq: 1, From: "Low", To: to}
	}
	tests := []struct {
		name    string
		opt     Options
		w       wire
		st      engine.Standing
		why     string  // the raise's reason; "" for a notice that is no raise
		revenue float64 // in the routing facts
		shows   string  // in the fallback text; "" when no revenue may show
	}{
		{"raised by revenue", counted, raise("High"), standing(2, 125000.4), "Why: 2 customers, 125,000 EUR waiting", 125000.4, "125,000 EUR"},
		{"raised by customers and revenue", counted, raise("High"), standing(12, 100000), "Why: 12 customers, 100,000 EUR waiting", 100000, "100,000 EUR"},
		{"raised by customers alone", counted, raise("High"), standing(12, 5000), "Why: 12 customers waiting", 5000, "5,000 EUR"},
		{"raised below the revenue's priority", counted, raise("Medium"), standing(3, 150000), "Why: 3 customers waiting", 150000, "150,000 EUR"},
		{"fixed", counted, wire{Kind: engine.EventTransition, Bug: "10001", Seq: 4, State: engine.StateDone}, standing(2, 1234567), "", 1234567, "1,234,567 EUR"},
		{"revenue not counted", off, raise("High"), standing(12, 125000), "Why: 12 customers waiting", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &Notices{opt: tt.opt}
			nt, ok := n.noticeOf(tt.w, rec, tt.st)
			if !ok {
				t.Fatal("no notice")
			}
			if nt.facts.Revenue != tt.revenue {
				t.Errorf("facts.Revenue = %v, want %v", nt.facts.Revenue, tt.revenue)
			}
			switch {
			case tt.shows == "" && strings.Contains(nt.message.Text, "EUR"):
				t.Errorf("text %q shows a revenue that is not counted", nt.message.Text)
			case !strings.Contains(nt.message.Text, tt.shows):
				t.Errorf("text %q lacks %q", nt.message.Text, tt.shows)
			}
			if tt.why == "" {
				return
			}
			last := nt.message.Blocks[len(nt.message.Blocks)-1]
			if last.Type != "context" || last.Elements[0].Text != tt.why {
				t.Errorf("last block %+v, want the reason %q", last, tt.why)
			}
		})
	}
}

package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack/slacktest"
)

var bug = Bug{Key: "PROJ-7", Summary: "Export <fails> for A&B", URL: "https://jira.example/browse/PROJ-7",
	Priority: "High", Customers: 12, Revenue: 125000.4, Currency: "EUR"}

// huge is a bug whose every text field is far past any limit.
var huge = Bug{Key: strings.Repeat("K", 500), Summary: strings.Repeat("<&>", 5000), URL: "https://jira.example/" + strings.Repeat("x", 5000),
	Priority: strings.Repeat("P", 500), Customers: 1 << 40, Revenue: 1e300, Currency: strings.Repeat("C", 50)}

func many(n int, b Bug) []Bug {
	out := make([]Bug, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func TestBuilders(t *testing.T) {
	day := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		msg  Message
		want []string // substrings of the blocks' JSON
		text []string // substrings of the fallback text
	}{
		{"raised", PriorityRaised(PriorityRaise{Bug: bug, From: "Medium", To: "High", Reason: "12 customers ≥ 10"}),
			[]string{`"type":"header"`, "Priority raised: PROJ-7 Export <fails> for A&B", "<https://jira.example/browse/PROJ-7|PROJ-7>",
				"Export &lt;fails&gt; for A&amp;B", "12 customers, 125,000 EUR waiting", "*Medium* → *High*", "Why: 12 customers ≥ 10"},
			[]string{"Priority raised to High: PROJ-7 Export &lt;fails&gt; for A&amp;B (12 customers, 125,000 EUR waiting)"}},
		{"raised, no revenue configured", PriorityRaised(PriorityRaise{Bug: Bug{Key: "P-1", Summary: "s", Customers: 1}, From: "Low", To: "High"}),
			[]string{"1 customer"}, []string{"(1 customer)"}},
		{"stale", WentStale(Stale{Bug: bug, IdleDays: 14}),
			[]string{"Gone stale: PROJ-7", "Priority *High*", "No update for 14 days while customers wait."},
			[]string{"Gone stale: PROJ-7", "no update for 14 days"}},
		{"fixed", Fixed(Fix{Bug: bug, Resolution: "Done"}),
			[]string{"Fixed: PROJ-7", "Resolution *Done*"}, []string{"Fixed: PROJ-7"}},
		{"released", Released(Release{Bug: bug, Version: "2.4.1"}),
			[]string{"Fix released: PROJ-7", "Released in *2.4.1*"}, []string{"in 2.4.1"}},
		{"digest", DailyDigest(Digest{Day: day, ByCustomers: many(3, bug), ByRevenue: many(1, bug), FixedThisWeek: many(12, bug), Top: 10}),
			[]string{"Customer impact digest — Monday 2 June 2025", "*Most customers waiting*", "3. *<https://jira.example/browse/PROJ-7|PROJ-7>*",
				"*Newly stale*\\n_none_", "_…and 2 more_"},
			[]string{"Most customers waiting: 3", "Most revenue waiting: 1", "Newly stale: 0", "Fixed this week: 12"}},
		{"digest without revenue", DailyDigest(Digest{Day: day, ByCustomers: many(1, Bug{Key: "P-2", Summary: "x", Customers: 2})}),
			[]string{"Most customers waiting"}, []string{"Fixed this week: 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tc.msg.Blocks); err != nil {
				t.Fatal(err)
			}
			raw := buf.String()
			for _, w := range tc.want {
				if !strings.Contains(raw, w) {
					t.Errorf("blocks lack %q:\n%s", w, raw)
				}
			}
			for _, w := range tc.text {
				if !strings.Contains(tc.msg.Text, w) {
					t.Errorf("text lacks %q: %q", w, tc.msg.Text)
				}
			}
			if strings.Contains(tc.name, "without revenue") || strings.Contains(tc.name, "no revenue") {
				if strings.Contains(raw, "revenue waiting") || strings.Contains(raw, " waiting, ") {
					t.Errorf("revenue shown where none is configured:\n%s", raw)
				}
			}
		})
	}
}

// Every builder, given ordinary and absurd input, produces messages the
// stand-in (Slack's rules) accepts.
func TestBuildersKeepWithinSlackLimits(t *testing.T) {
	day := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
	msgs := map[string]Message{}
	for name, b := range map[string]Bug{"ordinary": bug, "huge": huge, "empty": {}} {
		long := strings.Repeat("<R&D>", 2000)
		msgs[name+" raised"] = PriorityRaised(PriorityRaise{Bug: b, From: long, To: long, Reason: long})
		msgs[name+" stale"] = WentStale(Stale{Bug: b, IdleDays: -3})
		msgs[name+" fixed"] = Fixed(Fix{Bug: b, Resolution: long})
		msgs[name+" released"] = Released(Release{Bug: b, Version: long})
		msgs[name+" digest"] = DailyDigest(Digest{Day: day, ByCustomers: many(500, b), ByRevenue: many(500, b),
			NewlyStale: many(500, b), FixedThisWeek: many(500, b), Top: 1000})
		msgs[name+" repeat"] = withRepeatNote(DailyDigest(Digest{Day: day, ByCustomers: many(3, b)}))
	}
	srv := slacktest.New(t)
	c, err := NewClient(srv.WebhookURL(), ClientOptions{Name: "test", MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range msgs {
		if err := c.Post(context.Background(), m); err != nil {
			t.Errorf("%s: %v (refused: %q)", name, err, srv.Refused())
		}
		if n := utf8.RuneCountInString(m.Text); n == 0 || n > MaxFallbackText {
			t.Errorf("%s: fallback text of %d runes", name, n)
		}
		if len(m.Blocks) > MaxBlocks {
			t.Errorf("%s: %d blocks", name, len(m.Blocks))
		}
	}
	if got := len(srv.Messages()); got != len(msgs) {
		t.Errorf("stand-in accepted %d of %d messages", got, len(msgs))
	}
}

func TestRepeatNoteKeepsWithinBlocks(t *testing.T) {
	m := Message{Text: "t", Blocks: make([]Block, MaxBlocks)}
	for i := range m.Blocks {
		m.Blocks[i] = divider()
	}
	got := withRepeatNote(m)
	if len(got.Blocks) != MaxBlocks || got.Blocks[MaxBlocks-1].Type != "context" {
		t.Fatalf("%d blocks, last %q", len(got.Blocks), got.Blocks[len(got.Blocks)-1].Type)
	}
	if len(m.Blocks) != MaxBlocks || m.Blocks[MaxBlocks-1].Type != "divider" {
		t.Fatal("withRepeatNote changed its argument")
	}
}

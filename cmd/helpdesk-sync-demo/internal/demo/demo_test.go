package demo_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/helpdesk-sync-demo/internal/demo"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// TestDemoTellsWhatTheSimulatorsHold runs the whole demo and holds what it
// printed against the simulators' final state.
func TestDemoTellsWhatTheSimulatorsHold(t *testing.T) {
	for _, seed := range []int64{42, 7} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rdb, prefix := redistest.Client(t)
			ds, err := simulation.Generate(seed, simulation.DemoSize)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			res, err := demo.Run(context.Background(), demo.Options{Dataset: ds, Out: &out,
				Logger: zaptest.NewLogger(t), Redis: rdb, KeyPrefix: prefix})
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			text := out.String()
			t.Log("\n" + text)
			expect := func(s string) {
				t.Helper()
				if !strings.Contains(text, s) {
					t.Errorf("output lacks %q", s)
				}
			}
			for _, s := range []string{"1. Backfill", "2. An agent links", "3. An engineer", "4. Time passes",
				"5. An idle cycle", "6. A macro links", "Summary", "total", "Redis: deleted the demo's"} {
				expect(s)
			}
			zd, jr := res.Stack.Zendesk, res.Stack.Jira
			count := func(key string) float64 {
				is, _ := jr.Issue(key)
				if c := is.Custom[jiratest.CustomerCountField]; c != nil {
					return *c
				}
				return 0
			}
			private := func(id int64) []string {
				var out []string
				for _, c := range zd.Comments(id) {
					if !c.Public {
						out = append(out, c.Body)
					}
				}
				return out
			}

			arr := map[int64]float64{}
			for o := range ds.Orgs() {
				arr[o.ID] = o.ARR
			}
			// revenue sums the seeded revenue of the organizations with an
			// open ticket the service's remote links on the bug point at.
			revenue := func(key string) float64 {
				orgs := map[int64]bool{}
				for _, l := range jr.RemoteLinks(key) {
					u, _ := l.Object["url"].(string)
					_, ref, _ := strings.Cut(u, "/agent/tickets/")
					id, err := strconv.ParseInt(ref, 10, 64)
					if !strings.HasPrefix(l.GlobalID, "helpdesk-sync:") || err != nil {
						continue
					}
					if tk, ok := zd.Ticket(id); ok && engine.TicketStatus(tk.Status).Open() && tk.OrganizationID != 0 {
						orgs[tk.OrganizationID] = true
					}
				}
				sum := 0.0
				for o := range orgs {
					sum += arr[o]
				}
				return sum
			}
			euros := engine.RevenuePolicy{Enabled: true, Currency: "EUR"}

			// The table of top bugs: as Jira holds them (nothing later
			// touches their counts but step 2's bug), with the revenue
			// waiting the seeded organizations' arr gives.
			if len(res.Facts.TopBugs) == 0 {
				t.Fatal("no top bugs printed")
			}
			for _, b := range res.Facts.TopBugs {
				if b.Key != res.Facts.Linked.Bug && count(b.Key) != b.Count {
					t.Errorf("top bug %s printed with count %v; Jira holds %v", b.Key, b.Count, count(b.Key))
				}
				if want := revenue(b.Key); b.Key != res.Facts.Linked.Bug && (b.Revenue != want || want == 0) {
					t.Errorf("top bug %s printed with revenue %v; its organizations' arr sums to %v", b.Key, b.Revenue, want)
				}
				expect(b.Customers)
				expect(euros.FormatRevenue(b.Revenue) + "  " + b.Customers)
			}

			// Step 2: three enterprise customers, weight 5 each.
			l := res.Facts.Linked
			is, _ := jr.Issue(l.Bug)
			if len(l.Tickets) != 3 || l.CountAfter-l.CountBefore != 15 || count(l.Bug) != l.CountAfter || is.Priority != l.PriorityAfter {
				t.Errorf("linked %+v; Jira holds count %v, priority %s", l, count(l.Bug), is.Priority)
			}
			for _, id := range l.Tickets {
				tk, _ := zd.Ticket(id)
				if tk.Field(simulation.KeysFieldID) != l.Bug {
					t.Errorf("ticket %d keys field %v, want %s", id, tk.Field(simulation.KeysFieldID), l.Bug)
				}
			}
			expect(fmt.Sprintf("customer count %v → %v", l.CountBefore, l.CountAfter))
			// The sidebar's view of the first ticket: the bug, counted at the
			// weight Jira holds, with this enterprise customer in it.
			if p := l.Panel; len(p.Bugs) != 1 || p.Bugs[0].Key != l.Bug || p.Bugs[0].Customers.Weighted != l.CountAfter ||
				!strings.Contains(p.Bugs[0].Standing, "(enterprise)") {
				t.Errorf("sidebar view of ticket %d: %+v", l.Tickets[0], p)
			} else {
				expect(fmt.Sprintf("The sidebar beside ticket #%d shows:", l.Tickets[0]))
				expect(p.Bugs[0].Standing)
				if c := p.Bugs[0].Customers; c.Revenue == nil || *c.Revenue != revenue(l.Bug) {
					t.Errorf("sidebar revenue %v; the organizations' arr sums to %v", c.Revenue, revenue(l.Bug))
				} else {
					expect(fmt.Sprintf("(weighted %v; %s revenue waiting)", l.CountAfter, euros.FormatRevenue(*c.Revenue)))
				}
			}

			// Step 3: each open ticket got exactly three notes (in
			// progress, fixed not yet released, released), solved ones
			// none; the quoted notes are the real ones.
			f := res.Facts.Fixed
			if len(f.Noted) == 0 {
				t.Fatal("no open ticket waited on the fixed bug")
			}
			for _, id := range f.Noted {
				n := private(id)
				if len(n) != 3 || !strings.Contains(n[0], "is now in progress") || !strings.Contains(n[1], "fixed in "+f.FixVersion+", not yet released") ||
					!strings.Contains(n[2], f.FixVersion+" is released") {
					t.Errorf("open ticket %d notes %q", id, n)
				}
			}
			for _, id := range f.Quiet {
				if n := private(id); len(n) != 0 {
					t.Errorf("solved ticket %d got notes %q", id, n)
				}
			}
			if n := private(f.Noted[0]); f.Note != n[len(n)-1] || len(n) < 2 || f.Fixed != n[len(n)-2] {
				t.Errorf("printed notes %q, %q; the ticket's last two are %q", f.Fixed, f.Note, n)
			}
			expect(strings.SplitN(f.Fixed, "\n", 2)[0])
			expect(strings.SplitN(f.Note, "\n", 2)[0])
			fixed, _ := jr.Issue(f.Bug)
			if fixed.Status.Name != "Done" || !slices.Equal(fixed.FixVersions, []string{f.FixVersion}) {
				t.Errorf("fixed bug %s is %s %v", f.Bug, fixed.Status.Name, fixed.FixVersions)
			}

			// Step 4: the stale comment printed is on the bug, and the
			// label is gone after the engineer's comment.
			s := res.Facts.Stale
			if s.Bug == "" || !s.Lifted {
				t.Fatalf("stale story %+v", s)
			}
			var comments []string
			for _, c := range jr.Comments(s.Bug) {
				if c.Author == jiratest.ServiceAccount {
					comments = append(comments, c.Body)
				}
			}
			if !slices.Contains(comments, s.Comment) {
				t.Errorf("printed stale comment %q is not among %q", s.Comment, comments)
			}
			stale, _ := jr.Issue(s.Bug)
			if slices.Contains(stale.Labels, "customer-waiting-stale") {
				t.Errorf("%s still labelled: %v", s.Bug, stale.Labels)
			}

			// Step 5: one read per system.
			want := map[string]int{"Zendesk GET /api/v2/incremental/tickets/cursor": 1, "Jira GET /rest/api/2/search/jql": 1}
			if !maps.Equal(res.Facts.Idle, want) {
				t.Errorf("idle cycle requests %v, want %v", res.Facts.Idle, want)
			}

			// Step 6: the dry run sent no write, the guard held the
			// tickets, the confirmation wrote them.
			sf := res.Facts.Safety
			if len(sf.Tickets) == 0 || sf.DryRunWrites != 0 || sf.DryRunPlanned != len(sf.Tickets) || sf.Shown != len(sf.Tickets) ||
				len(sf.Held) != 1 || sf.Held[0].Kind != "ticket" || sf.Held[0].Planned != len(sf.Tickets) {
				t.Errorf("safety story %+v", sf)
			}
			for _, id := range sf.Tickets {
				if tk, _ := zd.Ticket(id); !strings.HasPrefix(fmt.Sprint(tk.Field(simulation.StatusFieldID)), sf.Bug+":") {
					t.Errorf("ticket %d shows %v, want %s", id, tk.Field(simulation.StatusFieldID), sf.Bug)
				}
			}
			expect(fmt.Sprintf("the guard holds all %d planned ticket writes", len(sf.Tickets)))

			// The summary's totals are what the vendors received.
			notes, reported := 0, 0
			for tk := range ds.Tickets() {
				notes += len(private(tk.ID))
			}
			for _, step := range res.Steps {
				if step.Name != "dry run" {
					reported += step.Report.Notes
				}
			}
			if notes != reported {
				t.Errorf("the steps report %d notes; Zendesk holds %d", reported, notes)
			}

			// Slack: the stand-in refused no notice, and the steps told
			// every one it took. The fixed bug made exactly one Fixed and
			// one Fix released notice, the linked bug its raise and the
			// stale bug its flag, printed as the stand-in got them.
			if r := res.Slack.Refused(); len(r) > 0 {
				t.Errorf("the Slack stand-in refused %q", r)
			}
			told := map[string][]string{}
			n := 0
			for _, step := range res.Steps {
				name := step.Name
				if strings.HasSuffix(name, " later") { // "8 days later": stale's window and a day
					name = "later"
				}
				told[name] = append(told[name], step.Slack...)
				n += len(step.Slack)
			}
			msgs := res.Slack.Messages()
			if len(msgs) != n {
				t.Errorf("Slack got %d notices; the steps told %d", len(msgs), n)
			}
			notices := func(prefix string) []string {
				var out []string
				for _, m := range msgs {
					if strings.HasPrefix(m.Text, prefix) {
						out = append(out, m.Text)
					}
				}
				return out
			}
			for _, c := range []struct {
				step, prefix string
			}{
				{"fixed", "Fixed: " + f.Bug + " "},
				{"released", "Fix released: " + f.Bug + " "},
			} {
				got := notices(c.prefix)
				if len(got) != 1 || !slices.Equal(told[c.step], got) || !slices.Contains(f.Slack, got[0]) {
					t.Errorf("notices %q of %q; step %s told %q", got, c.prefix, c.step, told[c.step])
					continue
				}
				expect("   Slack gets: " + got[0] + "\n")
			}
			if l.PriorityAfter != l.PriorityBefore {
				got := notices("Priority raised to " + l.PriorityAfter + ": " + l.Bug + " ")
				if len(got) != 1 || !slices.Equal(told["agent links"], got) {
					t.Errorf("raise notices %q; step told %q", got, told["agent links"])
				} else {
					expect("   Slack gets: " + got[0] + "\n")
				}
			}
			if !slices.ContainsFunc(told["later"], func(s string) bool { return strings.HasPrefix(s, "Gone stale: "+res.Facts.Stale.Bug+" ") }) {
				t.Errorf("no stale notice for %s among %q", res.Facts.Stale.Bug, told)
			}

			// The demo's keys are gone.
			var left []string
			iter := rdb.Scan(context.Background(), 0, prefix+"*", 1000).Iterator()
			for iter.Next(context.Background()) {
				left = append(left, iter.Val())
			}
			if err := iter.Err(); err != nil || len(left) != 0 {
				t.Errorf("keys left under %s: %v (%v)", prefix, left, err)
			}
		})
	}
}

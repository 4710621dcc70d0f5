package board

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// jiraView is what Jira holds of the bugs customers wait on, written there
// by the service or by people: what the board must show.
type jiraView struct {
	counts     map[string]float64 // the customer count the service wrote
	categories map[string]string
	outcomes   map[string]Outcome // of done bugs
	locked     map[string]bool    // carrying the lock label
}

func readJira(t *testing.T, sim simulated) jiraView {
	t.Helper()
	v := jiraView{counts: map[string]float64{}, categories: map[string]string{}, outcomes: map[string]Outcome{}, locked: map[string]bool{}}
	for b := range sim.dataset.Bugs() {
		is, ok := sim.env.Jira.Issue(b.Key)
		if !ok {
			continue
		}
		c := is.Custom[jiratest.CustomerCountField]
		if c == nil || *c <= 0 {
			continue
		}
		v.counts[is.Key], v.categories[is.Key] = *c, is.Status.Category
		if is.Status.Category == string(engine.CategoryDone) {
			v.outcomes[is.Key] = OutcomeFixed
			if slices.Contains(sim.policy.WontFixResolutions, is.Resolution) {
				v.outcomes[is.Key] = OutcomeWontFix
			}
		}
		v.locked[is.Key] = slices.Contains(is.Labels, sim.policy.PriorityLockedLabel)
	}
	if len(v.counts) < 10 || len(v.outcomes) == 0 {
		t.Fatalf("%d bugs have customers in Jira, %d of them done: the simulation did not sync", len(v.counts), len(v.outcomes))
	}
	return v
}

// checkRanking: every bug with customers is listed, open ones first, each
// group by customers as counted in Jira; done ones are marked with how
// they ended, under their own heading.
func checkRanking(t *testing.T, br *browser, jr jiraView) {
	t.Helper()
	rows := br.attrs(t, `#bugs tbody tr[data-key]`, "data-key")
	outcomes := br.attrs(t, `#bugs tbody tr[data-key]`, "data-outcome")
	if len(rows) != len(jr.counts) {
		t.Fatalf("the board lists %d bugs, Jira has %d with customers", len(rows), len(jr.counts))
	}
	for i, k := range rows {
		if _, ok := jr.counts[k]; !ok {
			t.Fatalf("row %d: %s has no customers in Jira", i+1, k)
		}
		if Outcome(outcomes[i]) != jr.outcomes[k] {
			t.Errorf("row %d: %s marked %q, Jira says %q", i+1, k, outcomes[i], jr.outcomes[k])
		}
		if i == 0 {
			continue
		}
		prev := rows[i-1]
		switch done, prevDone := jr.outcomes[k] != "", jr.outcomes[prev] != ""; {
		case prevDone && !done:
			t.Fatalf("row %d: %s, open, is listed after %s, done", i+1, k, prev)
		case done == prevDone && jr.counts[k] > jr.counts[prev]:
			t.Fatalf("row %d: %s (%v customers in Jira) ranks below %s (%v)", i+1, k, jr.counts[k], prev, jr.counts[prev])
		}
	}
	if got := br.attrs(t, `#bugs tbody.done tr[data-key]`, "data-key"); len(got) != len(jr.outcomes) {
		t.Errorf("%d bugs under the done heading, Jira has %d done with customers", len(got), len(jr.outcomes))
	}
	heading := br.texts(t, `#done-title`)
	if len(heading) != 1 || !strings.Contains(heading[0], "tell the customers") {
		t.Errorf("the done bugs' heading reads %q", heading)
	}
	for _, o := range []Outcome{OutcomeFixed, OutcomeWontFix} {
		for _, told := range br.texts(t, `#bugs tr[data-outcome="`+string(o)+`"] .told`) {
			if told != outcomeText(o) {
				t.Errorf("a %s bug's status says %q", o, told)
			}
		}
	}
}

// checkLocksAndTiers: a locked bug's priority says so, no other does;
// tiers are listed heaviest first; the update column says whose update.
func checkLocksAndTiers(t *testing.T, br *browser, jr jiraView, p engine.Policy) {
	t.Helper()
	shown := br.attrs(t, `#bugs tbody tr[data-key]:has(td.priority .badge.locked)`, "data-key")
	var want []string
	for k, l := range jr.locked {
		if l {
			want = append(want, k)
		}
	}
	slices.Sort(shown)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(shown, want) {
		t.Errorf("priorities shown locked %v, Jira has the lock label on %v", shown, want)
	}
	for _, cell := range br.texts(t, `#bugs tbody td.tiers`) {
		var weights []float64
		for part := range strings.SplitSeq(cell, ", ") {
			if _, tier, ok := strings.Cut(part, " "); ok {
				weights = append(weights, p.Weight(tier))
			}
		}
		if !slices.IsSortedFunc(weights, func(a, b float64) int { return cmp.Compare(b, a) }) {
			t.Errorf("tiers %q are not listed heaviest first", cell)
		}
	}
	if heads := br.texts(t, `#bugs thead th`); !slices.ContainsFunc(heads, func(h string) bool { return strings.HasPrefix(h, "Last update by a person") }) {
		t.Errorf("column headings %q", heads)
	}
}

// checkLongestWaits: each organization has waited since its oldest open
// ticket linked to a bug was opened in Zendesk, not since the backfill
// linked it a moment ago.
func checkLongestWaits(t *testing.T, br *browser, sim simulated) {
	t.Helper()
	want := map[string]time.Time{}
	for tk := range sim.dataset.Tickets() {
		zt, ok := sim.env.Zendesk.Ticket(tk.ID)
		if !ok || tk.OrganizationID == 0 || len(tk.Bugs) == 0 || !engine.TicketStatus(zt.Status).Open() {
			continue
		}
		org := strconv.FormatInt(tk.OrganizationID, 10)
		if cur, ok := want[org]; !ok || zt.CreatedAt.Before(cur) {
			want[org] = zt.CreatedAt
		}
	}
	orgs := br.attrs(t, `#customers tbody tr[data-org]`, "data-org")
	longest := br.attrs(t, `#customers tbody tr[data-org] td.longest time`, "datetime")
	if len(orgs) != len(want) || len(longest) != len(orgs) {
		t.Fatalf("%d organizations listed (%d waits), %d have open tickets on bugs in Zendesk", len(orgs), len(longest), len(want))
	}
	old := 0
	for i, org := range orgs {
		if w := want[org].UTC().Format(time.RFC3339); longest[i] != w {
			t.Errorf("organization %s waits since %s, its oldest open ticket on a bug was opened %s", org, longest[i], w)
		}
		if time.Since(want[org]) > 24*time.Hour {
			old++
		}
	}
	if old == 0 {
		t.Fatal("no organization has waited a day: the simulation's tickets are all new")
	}
}

// texts reads the text of every element sel matches, in document order.
func (b *browser) texts(t *testing.T, sel string) []string {
	t.Helper()
	js := `Array.from(document.querySelectorAll(` + strconv.Quote(sel) + `), e => e.textContent.trim().replace(/\s+/g, " "))`
	return run(t, b, chromedp.Evaluate[[]string](js))
}

// screenshots saves the page as a support lead sees it at 1400 pixels and
// on a phone 400 pixels wide, in $BOARD_SCREENSHOTS or else the temporary
// directory.
func (b *browser) screenshots(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("BOARD_SCREENSHOTS")
	if dir == "" {
		dir = os.TempDir()
	}
	for _, size := range []struct {
		suffix string
		width  int64
	}{{"", 1400}, {"-narrow", 400}} {
		b.do(t, chromedp.EmulateViewport(size.width, 900))
		shot := run(t, b, chromedp.FullScreenshot(100))
		path := filepath.Join(dir, name+size.suffix+".png")
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot at %d px: %s", size.width, path)
	}
	b.do(t, chromedp.EmulateViewport(1400, 1000))
}

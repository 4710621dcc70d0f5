package board

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// afterBackfill is a board as a backfill leaves it: the two bugs with the
// most customers are done (one fixed, one won't fix), a locked bug stays
// Low with many customers, and tiers are counted so that listing them by
// count would put enterprise last.
//
//	PROJ-1  Done (Fixed)       101..105 enterprise, 301..305 free          → 30 (10)
//	PROJ-2  Done (Won't Do)    102, 103 enterprise, 201..204 pro          → 18 (6)
//	WEB-4   To Do, locked Low  101..104 enterprise, 201 pro, 301..303 free → 25 (8)
//	PROJ-3  In Progress        301 free                                    → 1 (1)
func afterBackfill(t testing.TB) *fixture {
	f := newFixture(t)
	open := func(orgs ...int64) []waiter {
		var ws []waiter
		for _, o := range orgs {
			ws = append(ws, waiter{org: o, open: true})
		}
		return ws
	}
	fixed := bugRec("1", "PROJ-1", "Done", engine.CategoryDone, "High")
	fixed.Resolution, fixed.State = "Done", engine.StateDone
	f.bug(fixed, open(101, 102, 103, 104, 105, 301, 302, 303, 304, 305)...)
	wont := bugRec("2", "PROJ-2", "Done", engine.CategoryDone, "Medium")
	wont.Resolution, wont.State = "Won't Do", engine.StateWontFix
	f.bug(wont, open(102, 103, 201, 202, 203, 204)...)
	locked := bugRec("4", "WEB-4", "To Do", engine.CategoryToDo, "Low")
	locked.Labels = []string{"regression", "priority-locked"}
	f.bug(locked, open(101, 102, 103, 104, 201, 301, 302, 303)...)
	f.bug(bugRec("3", "PROJ-3", "In Progress", engine.CategoryInProgress, "Medium"), open(301)...)
	return f
}

// Done bugs with customers still linked are listed apart, after the open
// ones, marked with how they ended, whatever the sort.
func TestDoneBugsAreListedApart(t *testing.T) {
	m := afterBackfill(t).model()
	tests := []struct {
		query string
		want  []string
		done  int
	}{
		{"", []string{"WEB-4", "PROJ-3", "PROJ-1", "PROJ-2"}, 2},
		{"sort=customers", []string{"WEB-4", "PROJ-3", "PROJ-1", "PROJ-2"}, 2},
		{"sort=customers&dir=asc", []string{"PROJ-3", "WEB-4", "PROJ-2", "PROJ-1"}, 2},
		{"sort=key&dir=desc", []string{"WEB-4", "PROJ-3", "PROJ-2", "PROJ-1"}, 2},
		{"category=done", []string{"PROJ-1", "PROJ-2"}, 2},
		{"category=new", []string{"WEB-4"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			v, _ := url.ParseQuery(tt.query)
			q, err := ParseQuery(v)
			if err != nil {
				t.Fatal(err)
			}
			list, err := m.Bugs(context.Background(), q, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(list.Bugs); !slices.Equal(got, tt.want) || list.Done != tt.done {
				t.Fatalf("bugs %v (%d done), want %v (%d done)", got, list.Done, tt.want, tt.done)
			}
		})
	}
	list, _ := m.Bugs(context.Background(), Query{}, 0)
	want := map[string]struct {
		rank    int
		outcome Outcome
	}{"WEB-4": {1, ""}, "PROJ-3": {2, ""}, "PROJ-1": {3, OutcomeFixed}, "PROJ-2": {4, OutcomeWontFix}}
	for _, b := range list.Bugs {
		if w := want[b.Key]; b.Rank != w.rank || b.Outcome != w.outcome {
			t.Errorf("%s: rank %d, outcome %q; want %d, %q", b.Key, b.Rank, b.Outcome, w.rank, w.outcome)
		}
	}
}

// The page lists done bugs under their own heading, each saying what its
// customers are owed; the JSON says it in outcome.
func TestDoneBugsOnThePage(t *testing.T) {
	srv := afterBackfill(t).server(afterBackfill(t).model())
	_, body := get(t, srv, "/board")
	open, done, ok := strings.Cut(body, `<tbody class="done"`)
	if !ok {
		t.Fatalf("no section for done bugs:\n%s", body)
	}
	for _, k := range []string{`data-key="WEB-4"`, `data-key="PROJ-3"`} {
		if !strings.Contains(open, k) || strings.Contains(done, k) {
			t.Errorf("%s is not among the open bugs", k)
		}
	}
	for _, want := range []string{
		`<tr data-key="PROJ-1" data-outcome="fixed">`, `<span class="told">fixed — tell the customers</span>`,
		`<tr data-key="PROJ-2" data-outcome="wont_fix">`, `<span class="told">won&#39;t fix — tell the customers</span>`,
		`tell the customers <small>2 bugs</small>`,
	} {
		if !strings.Contains(done, want) {
			t.Errorf("the done section lacks %s", want)
		}
	}
	if !strings.Contains(open, `<small>4 bugs: 2 open, 2 done</small>`) {
		t.Errorf("the heading does not count open and done bugs")
	}
	_, body = get(t, srv, "/api/v1/bugs")
	var p struct{ Bugs []map[string]any }
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	for _, b := range p.Bugs {
		want := map[string]any{"PROJ-1": "fixed", "PROJ-2": "wont_fix"}[b["key"].(string)]
		if b["outcome"] != want {
			t.Errorf("%s: outcome %v, want %v", b["key"], b["outcome"], want)
		}
	}
	_, body = get(t, srv, "/board/customers")
	if !strings.Contains(body, `· <span class="told">fixed — tell the customers</span>`) {
		t.Errorf("the customers view does not mark done bugs:\n%s", body)
	}
}

// A bug carrying the policy's lock label says its priority is locked, on
// the page and in JSON; no other bug does.
func TestLockedPriorityIsShown(t *testing.T) {
	f := afterBackfill(t)
	srv := f.server(f.model())
	_, body := get(t, srv, "/board")
	row := regexp.MustCompile(`(?s)<tr data-key="([^"]+)".*?</tr>`)
	locked := 0
	for _, m := range row.FindAllStringSubmatch(body, -1) {
		has := strings.Contains(m[0], `<td class="priority">Low <span class="badge locked"`)
		if has != (m[1] == "WEB-4") {
			t.Errorf("%s shown locked: %v", m[1], has)
		}
		if has {
			locked++
		}
	}
	if locked != 1 {
		t.Fatalf("%d locked rows:\n%s", locked, body)
	}
	list, _ := f.model().Bugs(context.Background(), Query{}, 0)
	for _, b := range list.Bugs {
		if b.PriorityLocked != (b.Key == "WEB-4") {
			t.Errorf("%s: priorityLocked %v", b.Key, b.PriorityLocked)
		}
	}
	// Without a lock label in the policy, nothing is locked.
	list, _ = f.model(func(o *Options) { o.Policy.PriorityLockedLabel = "" }).Bugs(context.Background(), Query{}, 0)
	for _, b := range list.Bugs {
		if b.PriorityLocked {
			t.Errorf("%s locked without a lock label", b.Key)
		}
	}
}

// Tiers are listed heaviest first, however many customers each has: in
// the row, the filter, and the JSON object's order.
func TestTiersHeaviestFirst(t *testing.T) {
	f := afterBackfill(t)
	m := f.model()
	list, _ := m.Bugs(context.Background(), Query{}, 0)
	if !slices.Equal(list.Tiers, []string{"enterprise", "pro", "free"}) {
		t.Errorf("tier filter %v", list.Tiers)
	}
	srv := f.server(m)
	_, body := get(t, srv, "/board")
	for _, want := range []string{
		`<td class="tiers">5 enterprise, 5 free</td>`,
		`<td class="tiers">4 enterprise, 1 pro, 3 free</td>`,
		`<td class="tiers">2 enterprise, 4 pro</td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if i, j, k := strings.Index(body, `>enterprise</a>`), strings.Index(body, `>pro</a>`), strings.Index(body, `>free</a>`); !(i < j && j < k) {
		t.Errorf("tier filter links not heaviest first: %d %d %d", i, j, k)
	}
	_, body = get(t, srv, "/board/customers")
	if i, j, k := strings.Index(body, `>enterprise</a>`), strings.Index(body, `>pro</a>`), strings.Index(body, `>free</a>`); !(i < j && j < k) {
		t.Errorf("customers' tier filter links not heaviest first: %d %d %d", i, j, k)
	}
	_, body = get(t, srv, "/api/v1/bugs?project=PROJ&category=done")
	// The object's members come in order (encoding/json would sort them
	// by name, free before pro); TierCounts reads them back in order.
	var p struct{ Bugs []Bug }
	if err := json.Unmarshal([]byte(body), &p); err != nil || len(p.Bugs) != 2 ||
		!slices.Equal(p.Bugs[0].ByTier, TierCounts{{"enterprise", 5}, {"free", 5}}) ||
		!slices.Equal(p.Bugs[1].ByTier, TierCounts{{"enterprise", 2}, {"pro", 4}}) {
		t.Fatalf("JSON tiers read back %+v (%v)", p.Bugs, err)
	}
	_, body = get(t, srv, "/api/v1/bugs?project=WEB")
	if i, j, k := strings.Index(body, `"enterprise": 4`), strings.Index(body, `"pro": 1`), strings.Index(body, `"free": 3`); i < 0 || !(i < j && j < k) {
		t.Errorf("JSON tiers not heaviest first:\n%s", body)
	}
}

// The update column says whose update it counts.
func TestLastUpdateIsAPersons(t *testing.T) {
	f := afterBackfill(t)
	_, body := get(t, f.server(f.model()), "/board")
	if !strings.Contains(body, `<a href="?sort=age">Last update <br><small>by a person</small></a>`) {
		t.Errorf("the update column does not say whose:\n%s", body)
	}
}

// A customer waits since its oldest ticket was opened, as the engine
// records it; the board shows that time, and never the year 1.
func TestLongestWaitShown(t *testing.T) {
	f := afterBackfill(t)
	_, body := get(t, f.server(f.model()), "/board/customers")
	if strings.Contains(body, "0001-01-01") {
		t.Fatalf("the zero time is shown:\n%s", body)
	}
	// The fixture waits organization 101 since 4 days before now (101 % 7 + 1).
	since := now.Add(-4 * 24 * time.Hour).Format(time.RFC3339)
	if !strings.Contains(body, `<td class="longest"><time datetime="`+since+`" title="since 2025-06-16 12:00 UTC, when its oldest ticket on these bugs was opened">4d</time></td>`) {
		t.Errorf("organization 101's longest wait is not shown as recorded:\n%s", body)
	}
}

// Text from the vendors is bounded: a 200 KB subject, summary or name
// goes into no page, tooltip or JSON whole.
func TestVendorTextIsBounded(t *testing.T) {
	f := newFixture(t)
	huge := strings.Repeat("Customer pasted a log line. ", 200_000/28+1) // 200 KB
	b := bugRec("7", "PROJ-7", "In "+huge, engine.CategoryInProgress, "High "+huge)
	b.Summary = huge
	f.bug(b, waiter{org: 101, open: true, subject: huge})
	if err := f.store.PutOrganizations(f.ctx, []engine.Organization{{ID: 101, Name: huge, Tier: "enterprise"}}, now); err != nil {
		t.Fatal(err)
	}
	srv := f.server(f.model(func(o *Options) { o.ShowCustomerNames = true }))
	for _, path := range []string{"/board", "/board/customers", "/api/v1/bugs", "/api/v1/customers"} {
		resp, body := get(t, srv, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		// Every field at its bound is a few KB; the text itself is 200.
		if len(body) > 20_000 {
			t.Errorf("%s is %d bytes with a 200 KB text in it", path, len(body))
		}
		if !strings.Contains(body, "Customer pasted a log line. Customer pasted") || !strings.Contains(body, "…") {
			t.Errorf("%s does not show the start of the text, cut", path)
		}
	}
	_, body := get(t, srv, "/board")
	title := regexp.MustCompile(`title="(Customer pasted[^"]*)"`).FindStringSubmatch(body)
	if title == nil || len([]rune(title[1])) > maxText {
		t.Errorf("the ticket's tooltip is %v", title)
	}
	list, _ := f.model(func(o *Options) { o.ShowCustomerNames = true }).Bugs(context.Background(), Query{}, AllTickets)
	bug := list.Bugs[0]
	for name, v := range map[string]struct {
		s   string
		max int
	}{"summary": {bug.Summary, maxText}, "status": {bug.Status, maxName}, "priority": {bug.Priority, maxName},
		"subject": {bug.Tickets[0].Subject, maxText}} {
		if n := len([]rune(v.s)); n != v.max || !strings.HasSuffix(v.s, "…") {
			t.Errorf("%s is %d characters, want %d ending in …", name, n, v.max)
		}
	}
}

func TestClip(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven ch…"},
		{"éèêëēėęe", 4, "éèê…"},
		{"éèê", 3, "éèê"},
		{"bad \xff utf8", 20, "bad \uFFFD utf8"},
		{"", 5, ""},
	} {
		if got := clip(tt.in, tt.n); got != tt.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
	long := strings.Repeat("é", maxTier+10)
	if got := clipTier(long); got != strings.Repeat("é", maxTier) || !tierPattern.MatchString(got) {
		t.Errorf("clipTier cut %d characters to %q", len([]rune(long)), got)
	}
}

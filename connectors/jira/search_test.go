package jira_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestChangedBugsPagesOldestFirstWithMappedFields(t *testing.T) {
	f := newFixture(t, func(o *jira.Options) { o.PageSize = 2 })
	f.seed(t, "PROJ", 3)
	f.seed(t, "OPS", 2)
	f.seed(t, "SECRET", 1) // not a configured project
	count := 4.0
	f.clock.Advance(time.Minute)
	if err := f.srv.SetNumber("PROJ-1", jiratest.CustomerCountField, &count, jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	if err := f.srv.Resolve("OPS-2", "Done", "2.4.1", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}

	pages := collect(t, f.jira, t0)
	if len(pages) != 3 {
		t.Fatalf("got %d pages, want 3 (5 issues, 2 per page)", len(pages))
	}
	var all []engine.Bug
	for _, p := range pages {
		all = append(all, p...)
	}
	if got, want := keys(all), []string{"PROJ-2", "PROJ-3", "OPS-1", "PROJ-1", "OPS-2"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v (updated ascending)", got, want)
	}
	p1, o2 := all[3], all[4]
	if p1.CustomerCount == nil || *p1.CustomerCount != 4 || p1.Project != "PROJ" || p1.Priority != "Medium" ||
		p1.StatusCategory != engine.CategoryToDo || p1.URL != f.srv.URL+"/browse/PROJ-1" || p1.Summary != "bug 0" {
		t.Errorf("PROJ-1 mapped to %+v", p1)
	}
	if o2.StatusCategory != engine.CategoryDone || o2.Resolution != "Done" || !slices.Equal(o2.FixVersions, []string{"2.4.1"}) ||
		o2.Status != "Done" || o2.CustomerCount != nil || !o2.Updated.Equal(t0.Add(8*time.Minute)) {
		t.Errorf("OPS-2 mapped to %+v", o2)
	}
	if n := f.srv.Count("GET", "/rest/api/2/search/jql"); n != 3 {
		t.Errorf("%d search requests, want 3", n)
	}
}

func TestChangedBugsOverlapWindow(t *testing.T) {
	f := newFixture(t, func(o *jira.Options) { o.SearchOverlap = 5 * time.Minute })
	issues := f.seed(t, "PROJ", 10) // updated t0+1m … t0+10m
	watermark := issues[7].Updated  // t0+8m

	got := keys(slices.Concat(collect(t, f.jira, watermark)...))
	// since - overlap = t0+3m: PROJ-3 (t0+3m, exactly at the bound) … PROJ-10.
	if want := []string{"PROJ-3", "PROJ-4", "PROJ-5", "PROJ-6", "PROJ-7", "PROJ-8", "PROJ-9", "PROJ-10"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}

	g := newFixture(t, func(o *jira.Options) { o.SearchOverlap = time.Millisecond })
	more := g.seed(t, "PROJ", 3)
	got = keys(slices.Concat(collect(t, g.jira, more[1].Updated.Add(time.Millisecond))...))
	if want := []string{"PROJ-2", "PROJ-3"}; !slices.Equal(got, want) {
		t.Fatalf("a bug updated exactly at since - overlap must be returned: got %v, want %v", got, want)
	}
}

// The last page of a search is Through the newest Date a Jira response
// gave before the search was sent (Jira's clock, whole seconds): zero
// before any response; the others carry none.
func TestChangedBugsThroughIsJiraTimeBeforeTheSearch(t *testing.T) {
	for name, dep := range map[string]jiratest.Deployment{"cloud": jiratest.Cloud, "datacenter": jiratest.DataCenter} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(o *jira.Options) { o.PageSize = 2 }, jiratest.WithDeployment(dep))
			f.seed(t, "PROJ", 3)
			first := collectPages(t, f.jira, time.Time{})
			if len(first) != 2 || !first[0].Through.IsZero() || !first[1].Through.IsZero() {
				t.Fatalf("first search: %+v; want two pages, no Through before any response", first)
			}
			answered := f.clock.Now() // the clock when the first search was answered
			f.clock.Advance(90*time.Second + 700*time.Millisecond)
			second := collectPages(t, f.jira, time.Time{})
			if n := len(second); n != 2 || !second[0].Through.IsZero() || !second[1].Through.Equal(answered.Truncate(time.Second)) {
				t.Fatalf("second search: %+v; want Through %s on its last page", second, answered)
			}
		})
	}
}

func TestChangedBugsFromTheBeginning(t *testing.T) {
	f := newFixture(t, nil)
	f.seed(t, "PROJ", 2)
	if got := keys(slices.Concat(collect(t, f.jira, time.Time{})...)); !slices.Equal(got, []string{"PROJ-1", "PROJ-2"}) {
		t.Fatalf("got %v", got)
	}
	if q := f.srv.Requests()[0].Query; strings.Contains(q, "updated+%3E%3D") || !strings.Contains(q, "ORDER+BY+updated+ASC") {
		t.Errorf("a zero watermark must not bound updated: %s", q)
	}
}

func TestChangedBugsStopsOnHandlerError(t *testing.T) {
	f := newFixture(t, func(o *jira.Options) { o.PageSize = 1 })
	f.seed(t, "PROJ", 3)
	stop := errors.New("stop")
	calls := 0
	err := f.jira.ChangedBugs(context.Background(), t0, func(context.Context, engine.BugPage) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("err %v after %d calls; want the handler's error after one page", err, calls)
	}
}

func TestBugsByKey(t *testing.T) {
	f := newFixture(t, nil)
	f.seed(t, "PROJ", 3)
	f.seed(t, "SECRET", 1)
	moved, err := f.srv.Move("PROJ-2", "OPS", jiratest.Engineer)
	if err != nil {
		t.Fatal(err)
	}
	found, missing, err := f.jira.BugsByKey(context.Background(),
		[]string{"PROJ-1", "PROJ-2", "PROJ-99", "OPS-7", "SECRET-1", "proj-3", "PROJ-1) OR project = SECRET", "PROJ-1"})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(found, func(a, b engine.Bug) int { return strings.Compare(a.Key, b.Key) })
	if got := keys(found); !slices.Equal(got, []string{moved, "PROJ-1"}) {
		t.Errorf("found %v, want [%s PROJ-1] (PROJ-2 resolves to its new key)", got, moved)
	}
	slices.Sort(missing)
	if want := []string{"OPS-7", "PROJ-1) OR project = SECRET", "PROJ-99", "SECRET-1", "proj-3"}; !slices.Equal(missing, want) {
		t.Errorf("missing %v, want %v", missing, want)
	}
	for _, r := range f.srv.Requests() {
		if strings.Contains(r.Query, "SECRET") || strings.Contains(r.Query, "proj-3") {
			t.Errorf("an unvalidated key reached Jira: %s?%s", r.Path, r.Query)
		}
	}
	// One refused batch, one retry without the absent keys.
	if n := f.srv.Count("GET", "/rest/api/2/search/jql"); n != 2 {
		t.Errorf("%d searches, want 2", n)
	}
}

func TestBugsByKeyBatchesOfAHundred(t *testing.T) {
	f := newFixture(t, nil)
	f.seed(t, "PROJ", 250)
	var ks []string
	for i := 1; i <= 250; i++ {
		ks = append(ks, fmt.Sprintf("PROJ-%d", i))
	}
	found, missing, err := f.jira.BugsByKey(context.Background(), ks)
	if err != nil || len(found) != 250 || len(missing) != 0 {
		t.Fatalf("found %d, missing %v, err %v", len(found), missing, err)
	}
	if n := f.srv.Count("GET", "/rest/api/2/search/jql"); n != 3 {
		t.Errorf("%d searches, want 3", n)
	}
}

func TestBugsByID(t *testing.T) {
	f := newFixture(t, nil)
	issues := f.seed(t, "PROJ", 3)
	if err := f.srv.Delete("PROJ-2", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	found, missing, err := f.jira.BugsByID(context.Background(), []string{issues[0].ID, issues[1].ID, issues[2].ID, "abc", "0"})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(found); len(got) != 2 || !slices.Contains(got, "PROJ-1") || !slices.Contains(got, "PROJ-3") {
		t.Errorf("found %v", got)
	}
	slices.Sort(missing)
	if want := []string{"0", issues[1].ID, "abc"}; !slices.Equal(missing, want) {
		t.Errorf("missing %v, want %v", missing, want)
	}
}

func TestDataCenter(t *testing.T) {
	f := newFixture(t, func(o *jira.Options) { o.PageSize = 2 }, jiratest.WithDeployment(jiratest.DataCenter))
	is := f.seed(t, "PROJ", 5)
	pages := collect(t, f.jira, t0)
	if len(pages) != 3 || len(slices.Concat(pages...)) != 5 {
		t.Fatalf("pages %v", pages)
	}
	if f.srv.Count("GET", "/rest/api/2/search") != 3 || f.srv.Count("GET", "/rest/api/2/search/jql") != 0 {
		t.Errorf("DC must page /rest/api/2/search by startAt: %v", f.srv.Counts())
	}
	found, missing, err := f.jira.BugsByKey(context.Background(), []string{"PROJ-1", "PROJ-77"})
	if err != nil || len(found) != 1 || !slices.Equal(missing, []string{"PROJ-77"}) {
		t.Fatalf("BugsByKey on DC: %v %v %v", found, missing, err)
	}
	since := f.clock.Advance(time.Minute)
	at := f.clock.Advance(time.Minute)
	if _, err := f.srv.AddComment(is[0].Key, jiratest.Engineer, "on it"); err != nil {
		t.Fatal(err)
	}
	if got, err := f.jira.ActivityByOthers(context.Background(), is[0].ID, since); err != nil || !got.Equal(at) {
		t.Fatalf("ActivityByOthers on DC (users by key): %v %v, want %v", got, err, at)
	}
}

func TestProjectKeysThatAreJQLWords(t *testing.T) {
	f := newFixture(t, func(o *jira.Options) { o.Projects = []string{"OR", "EMPTY"} })
	f.srv.AddProject("OR", "Operations Research")
	f.srv.AddProject("EMPTY", "Empty")
	f.seed(t, "OR", 2)
	if got := keys(slices.Concat(collect(t, f.jira, t0)...)); !slices.Equal(got, []string{"OR-1", "OR-2"}) {
		t.Fatalf("got %v", got)
	}
	found, missing, err := f.jira.BugsByKey(context.Background(), []string{"OR-2", "EMPTY-1"})
	if err != nil || len(found) != 1 || !slices.Equal(missing, []string{"EMPTY-1"}) {
		t.Fatalf("BugsByKey: %v %v %v", found, missing, err)
	}
}

// A bug's fix versions come with whether each is released (the Version
// bean's released and releaseDate, in both deployments): release tracking
// reads a bug's release from the search, with no version request.
func TestBugReleasedFixVersions(t *testing.T) {
	for _, dep := range []jiratest.Deployment{jiratest.Cloud, jiratest.DataCenter} {
		t.Run(fmt.Sprint(dep), func(t *testing.T) {
			f := newFixture(t, nil, jiratest.WithDeployment(dep))
			is := f.seed(t, "PROJ", 1)[0]
			for _, v := range []string{"5.0.1", "5.1"} {
				if err := f.srv.Resolve(is.Key, "Done", v, jiratest.Engineer); err != nil {
					t.Fatal(err)
				}
			}
			read := func() engine.Bug {
				bugs, _, err := f.jira.BugsByID(context.Background(), []string{is.ID})
				if err != nil || len(bugs) != 1 {
					t.Fatalf("read %s: %v %v", is.Key, bugs, err)
				}
				return bugs[0]
			}
			if b := read(); !slices.Equal(b.FixVersions, []string{"5.0.1", "5.1"}) || b.Released != nil {
				t.Fatalf("before release: %+v", b)
			}
			day := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
			if err := f.srv.ReleaseVersion("PROJ", "5.1", day); err != nil {
				t.Fatal(err)
			}
			b := read()
			if len(b.Released) != 1 || b.Released[0].Name != "5.1" || !b.Released[0].ReleaseDate.Equal(day) ||
				b.Released[0].ID == "" || b.Released[0].Project != "PROJ" || !b.Released[0].Released {
				t.Fatalf("after releasing 5.1: %+v", b.Released)
			}
		})
	}
}

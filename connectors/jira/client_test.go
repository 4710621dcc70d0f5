package jira_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest/contract"
	"github.com/helpdesk-sync/helpdesk-sync/sync"
)

// clock is a settable time source shared by the simulator and the test.
type clock struct {
	mu stdsync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

type fixture struct {
	srv   *jiratest.Server
	jira  *jira.Client
	clock *clock
}

// newFixture starts a simulator with the OpenAPI contract check on every
// request and response, and a client for it.
func newFixture(t *testing.T, mutate func(*jira.Options), simOpts ...jiratest.Option) *fixture {
	t.Helper()
	clk := &clock{t: t0}
	opts := append([]jiratest.Option{jiratest.WithClock(clk.now), jiratest.WithMiddleware(contract.Check(t))}, simOpts...)
	srv := jiratest.NewServer(opts...)
	t.Cleanup(srv.Close)
	srv.AddProject("PROJ", "Project")
	srv.AddProject("OPS", "Operations")
	srv.AddProject("SECRET", "Secret")
	o := jira.Options{
		BaseURL: srv.URL, Email: jiratest.ServiceEmail, Token: jiratest.ServiceToken,
		HTTPClient: srv.Client(), Projects: []string{"PROJ", "OPS"},
		CustomerCountField: jiratest.CustomerCountField, Clock: clk.now,
	}
	if srv.Deployment() == jiratest.DataCenter {
		o.Deployment, o.Email, o.Token, o.PAT = jira.DataCenter, "", "", jiratest.ServicePAT
	}
	if mutate != nil {
		mutate(&o)
	}
	c, err := jira.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, jira: c, clock: clk}
}

// seed creates n issues in project, one minute apart.
func (f *fixture) seed(t *testing.T, project string, n int) []jiratest.Issue {
	t.Helper()
	var out []jiratest.Issue
	for i := range n {
		f.clock.add(time.Minute)
		out = append(out, f.srv.MustCreateIssue(jiratest.NewIssue{Project: project, Summary: fmt.Sprintf("bug %d", i)}))
	}
	return out
}

func collect(t *testing.T, c *jira.Client, since time.Time) (pages [][]sync.Bug) {
	t.Helper()
	err := c.ChangedBugs(context.Background(), since, func(_ context.Context, bugs []sync.Bug) error {
		pages = append(pages, bugs)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

func keys(bugs []sync.Bug) []string {
	out := make([]string, len(bugs))
	for i, b := range bugs {
		out[i] = b.Key
	}
	return out
}

func TestChangedBugsPagesOldestFirstWithMappedFields(t *testing.T) {
	f := newFixture(t, func(o *jira.Options) { o.PageSize = 2 })
	f.seed(t, "PROJ", 3)
	f.seed(t, "OPS", 2)
	f.seed(t, "SECRET", 1) // not a configured project
	count := 4.0
	f.clock.add(time.Minute)
	if err := f.srv.SetNumber("PROJ-1", jiratest.CustomerCountField, &count, jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Minute)
	if err := f.srv.Resolve("OPS-2", "Done", "2.4.1", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}

	pages := collect(t, f.jira, t0)
	if len(pages) != 3 {
		t.Fatalf("got %d pages, want 3 (5 issues, 2 per page)", len(pages))
	}
	var all []sync.Bug
	for _, p := range pages {
		all = append(all, p...)
	}
	if got, want := keys(all), []string{"PROJ-2", "PROJ-3", "OPS-1", "PROJ-1", "OPS-2"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v (updated ascending)", got, want)
	}
	p1, o2 := all[3], all[4]
	if p1.CustomerCount == nil || *p1.CustomerCount != 4 || p1.Project != "PROJ" || p1.Priority != "Medium" ||
		p1.StatusCategory != sync.CategoryToDo || p1.URL != f.srv.URL+"/browse/PROJ-1" || p1.Summary != "bug 0" {
		t.Errorf("PROJ-1 mapped to %+v", p1)
	}
	if o2.StatusCategory != sync.CategoryDone || o2.Resolution != "Done" || !slices.Equal(o2.FixVersions, []string{"2.4.1"}) ||
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

func TestChangedBugsStopsOnHandlerError(t *testing.T) {
	f := newFixture(t, func(o *jira.Options) { o.PageSize = 1 })
	f.seed(t, "PROJ", 3)
	stop := errors.New("stop")
	calls := 0
	err := f.jira.ChangedBugs(context.Background(), t0, func(context.Context, []sync.Bug) error { calls++; return stop })
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
	slices.SortFunc(found, func(a, b sync.Bug) int { return strings.Compare(a.Key, b.Key) })
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

func TestEditBugSendsOneRequestWithEveryField(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	if err := f.srv.AddLabels(is.Key, jiratest.Engineer, "customer", "stale"); err != nil {
		t.Fatal(err)
	}
	n := 12.0
	err := f.jira.EditBug(context.Background(), sync.BugEdit{ID: is.ID, Key: is.Key, Priority: "Highest",
		CustomerCount: &n, AddLabels: []string{"zendesk"}, RemoveLabels: []string{"stale"}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := f.srv.Issue(is.Key)
	if got.Priority != "Highest" || *got.Custom[jiratest.CustomerCountField] != 12 ||
		!slices.Equal(got.Labels, []string{"customer", "zendesk"}) {
		t.Errorf("issue after edit: %+v", got)
	}
	if got.Notified != 0 {
		t.Errorf("notifyUsers=false from an admin account must not notify watchers (notified %d)", got.Notified)
	}
	reqs := f.srv.Requests()
	last := reqs[len(reqs)-1]
	if f.srv.Count("PUT", "/rest/api/2/issue/{issueIdOrKey}") != 1 || last.Query != "notifyUsers=false" || last.Path != "/rest/api/2/issue/"+is.ID {
		t.Errorf("edit sent as %+v", last)
	}
	// Nothing to change: nothing is sent.
	f.srv.ResetLog()
	if err := f.jira.EditBug(context.Background(), sync.BugEdit{ID: is.ID}); err != nil || len(f.srv.Requests()) != 0 {
		t.Errorf("empty edit: err %v, %d requests", err, len(f.srv.Requests()))
	}
}

func TestEditBugWithoutAdminNotifies(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	if err := f.srv.SetAdmin(jiratest.ServiceAccount, false); err != nil {
		t.Fatal(err)
	}
	if err := f.jira.EditBug(context.Background(), sync.BugEdit{ID: is.ID, Priority: "High"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.srv.Issue(is.Key); got.Notified != 1 {
		t.Errorf("Jira ignores notifyUsers=false without admin rights; notified = %d, want 1", got.Notified)
	}
}

func TestEditBugErrors(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	err := f.jira.EditBug(context.Background(), sync.BugEdit{ID: is.ID, Key: is.Key, Priority: "Blocker"})
	var jerr *jira.Error
	if !errors.Is(err, sync.ErrPermanent) || !errors.As(err, &jerr) || jerr.Status != 400 ||
		!strings.Contains(err.Error(), "PROJ-1 ("+is.ID+")") || !strings.Contains(err.Error(), "priority: Specify a valid 'id' or 'name' for Priority") {
		t.Errorf("bad priority: %v", err)
	}
	err = f.jira.EditBug(context.Background(), sync.BugEdit{ID: is.ID, AddLabels: []string{"two words"}})
	if !errors.Is(err, sync.ErrPermanent) || !strings.Contains(err.Error(), "contains spaces") {
		t.Errorf("bad label: %v", err)
	}
	if err := f.srv.Delete(is.Key, jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	err = f.jira.EditBug(context.Background(), sync.BugEdit{ID: is.ID, Priority: "High"})
	if !errors.Is(err, sync.ErrNotFound) || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("deleted issue: %v", err)
	}
	if err := f.jira.EditBug(context.Background(), sync.BugEdit{ID: "../myself"}); !errors.Is(err, sync.ErrPermanent) {
		t.Errorf("id that is not an id: %v", err)
	}
}

func TestCommentsAndMarkersAcrossPages(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	ctx := context.Background()
	if err := f.jira.AddComment(ctx, is.ID, "first words [hs:marker-1]"); err != nil {
		t.Fatal(err)
	}
	for i := range 230 {
		f.clock.add(time.Second)
		if _, err := f.srv.AddComment(is.Key, jiratest.Engineer, fmt.Sprintf("chatter %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if cs := f.srv.Comments(is.Key); cs[0].Author != jiratest.ServiceAccount || cs[0].Body != "first words [hs:marker-1]" {
		t.Fatalf("first comment %+v", cs[0])
	}
	f.srv.ResetLog()
	if ok, err := f.jira.HasComment(ctx, is.ID, "[hs:marker-1]"); err != nil || !ok {
		t.Fatalf("HasComment(old marker) = %v, %v", ok, err)
	}
	if n := f.srv.Count("GET", "/rest/api/2/issue/{issueIdOrKey}/comment"); n != 3 {
		t.Errorf("%d comment pages read, want 3 (231 comments)", n)
	}
	if ok, err := f.jira.HasComment(ctx, is.ID, "[hs:marker-2]"); err != nil || ok {
		t.Fatalf("HasComment(absent marker) = %v, %v", ok, err)
	}
}

func TestRemoteLinks(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	ctx := context.Background()
	link := sync.RemoteLink{GlobalID: "helpdesk-sync:https://acme.zendesk.com/agent/tickets/42", URL: "https://acme.zendesk.com/agent/tickets/42",
		Title: "Ticket #42: Login fails", Summary: "Acme Corp"}
	if err := f.jira.UpsertRemoteLink(ctx, is.ID, link); err != nil {
		t.Fatal(err)
	}
	link.Resolved, link.Title = true, "Ticket #42: Login fails (solved)"
	if err := f.jira.UpsertRemoteLink(ctx, is.ID, link); err != nil {
		t.Fatal(err)
	}
	stored := f.srv.RemoteLinks(is.Key)
	if len(stored) != 1 {
		t.Fatalf("%d links after two upserts of one global id, want 1", len(stored))
	}
	if s := stored[0]; s.Application["type"] != "com.zendesk" || s.Application["name"] != "Zendesk" ||
		s.Object["status"].(map[string]any)["resolved"] != true || s.Object["icon"].(map[string]any)["url16x16"] != "https://acme.zendesk.com/favicon.ico" {
		t.Errorf("stored link %+v", s)
	}
	got, err := f.jira.RemoteLinks(ctx, is.ID)
	if err != nil || len(got) != 1 || got[0] != link {
		t.Fatalf("RemoteLinks = %+v, %v; want [%+v]", got, err, link)
	}
	if err := f.jira.DeleteRemoteLink(ctx, is.ID, link.GlobalID); err != nil {
		t.Fatal(err)
	}
	if err := f.jira.DeleteRemoteLink(ctx, is.ID, link.GlobalID); err != nil {
		t.Fatalf("deleting an absent link: %v", err)
	}
	if got, err := f.jira.RemoteLinks(ctx, is.ID); err != nil || len(got) != 0 {
		t.Fatalf("after delete: %+v, %v", got, err)
	}
	wantQuery := "globalId=helpdesk-sync%3Ahttps%3A%2F%2Facme.zendesk.com%2Fagent%2Ftickets%2F42"
	for _, r := range f.srv.Requests() {
		if r.Method == "DELETE" && r.Query != wantQuery {
			t.Errorf("delete query %q, want %q", r.Query, wantQuery)
		}
	}
}

func TestTouchedByOthers(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	ctx := context.Background()
	// 150 edits by the service itself, then the flag time.
	for i := range 150 {
		f.clock.add(time.Second)
		if err := f.jira.EditBug(ctx, sync.BugEdit{ID: is.ID, AddLabels: []string{fmt.Sprintf("l%d", i%2)}, RemoveLabels: []string{fmt.Sprintf("l%d", (i+1)%2)}}); err != nil {
			t.Fatal(err)
		}
	}
	since := f.clock.add(time.Minute)
	if touched, err := f.jira.TouchedByOthers(ctx, is.ID, since); err != nil || touched {
		t.Fatalf("before anyone else acted: %v, %v", touched, err)
	}
	f.clock.add(time.Minute)
	if err := f.jira.AddComment(ctx, is.ID, "stale flag"); err != nil {
		t.Fatal(err)
	}
	if touched, err := f.jira.TouchedByOthers(ctx, is.ID, since); err != nil || touched {
		t.Fatalf("the service's own comment: %v, %v", touched, err)
	}
	f.clock.add(time.Minute)
	if _, err := f.srv.AddComment(is.Key, jiratest.Engineer, "looking"); err != nil {
		t.Fatal(err)
	}
	if touched, err := f.jira.TouchedByOthers(ctx, is.ID, since); err != nil || !touched {
		t.Fatalf("an engineer's comment: %v, %v", touched, err)
	}
	later := f.clock.add(time.Minute)
	f.clock.add(time.Minute)
	if err := f.srv.Transition(is.Key, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	if touched, err := f.jira.TouchedByOthers(ctx, is.ID, later); err != nil || !touched {
		t.Fatalf("an engineer's transition: %v, %v", touched, err)
	}
	if n := f.srv.Count("GET", "/rest/api/2/myself"); n != 1 {
		t.Errorf("GET /myself %d times, want once (cached)", n)
	}
}

func TestAuthFailureKeepsTheTokenSecret(t *testing.T) {
	f := newFixture(t, func(o *jira.Options) { o.Token = "wrong-token-s3cret" })
	_, _, err := f.jira.BugsByKey(context.Background(), []string{"PROJ-1"})
	if !errors.Is(err, sync.ErrPermanent) || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), jiratest.ServiceEmail) {
		t.Fatalf("credentials leaked into %q", err)
	}
}

func TestVendorFailuresAreRetryableAndNamed(t *testing.T) {
	f := newFixture(t, nil)
	is := f.seed(t, "PROJ", 1)[0]
	ctx := context.Background()
	cases := []struct {
		name  string
		fault jiratest.Fault
		want  string
	}{
		{"503", jiratest.Fault{Status: 503, RetryAfter: time.Second}, "HTTP 503"},
		{"409", jiratest.Fault{Status: 409}, "HTTP 409"},
		{"truncated", jiratest.Fault{Truncate: true}, "unexpected EOF"},
		{"malformed", jiratest.Fault{Malformed: true}, "invalid character"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.srv.InjectFault(c.fault)
			_, err := f.jira.RemoteLinks(ctx, is.ID)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
			if c.name == "409" != errors.Is(err, sync.ErrConflict) || errors.Is(err, sync.ErrPermanent) || errors.Is(err, sync.ErrNotFound) {
				t.Errorf("%s classified as %v", c.name, err)
			}
		})
	}
	f.srv.SetRateLimit(jiratest.RateLimit{Requests: 1})
	_, _ = f.jira.RemoteLinks(ctx, is.ID)
	_, err := f.jira.RemoteLinks(ctx, is.ID)
	var jerr *jira.Error
	if !errors.As(err, &jerr) || jerr.Status != 429 || errors.Is(err, sync.ErrPermanent) {
		t.Fatalf("over the burst budget: %v", err)
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
	since := f.clock.add(time.Minute)
	f.clock.add(time.Minute)
	if _, err := f.srv.AddComment(is[0].Key, jiratest.Engineer, "on it"); err != nil {
		t.Fatal(err)
	}
	if touched, err := f.jira.TouchedByOthers(context.Background(), is[0].ID, since); err != nil || !touched {
		t.Fatalf("TouchedByOthers on DC (users by key): %v %v", touched, err)
	}
}

func TestBearerTokenAgainstCloudIs401(t *testing.T) {
	f := newFixture(t, func(o *jira.Options) {
		o.Deployment, o.PAT = jira.DataCenter, "pat"
	})
	_, _, err := f.jira.BugsByKey(context.Background(), []string{"PROJ-1"})
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("bearer token against Cloud: %v", err)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	ok := jira.Options{BaseURL: "https://acme.atlassian.net", Email: "a@b.c", Token: "t", Projects: []string{"PROJ"}}
	cases := map[string]func(*jira.Options){
		"base URL":     func(o *jira.Options) { o.BaseURL = "acme.atlassian.net" },
		"credentials":  func(o *jira.Options) { o.Token = "" },
		"PAT":          func(o *jira.Options) { o.Deployment = jira.DataCenter },
		"deployment":   func(o *jira.Options) { o.Deployment = "server" },
		"no projects":  func(o *jira.Options) { o.Projects = nil },
		"project key":  func(o *jira.Options) { o.Projects = []string{"PROJ) OR (x"} },
		"count field":  func(o *jira.Options) { o.CustomerCountField = "Customers" },
		"overlap sign": func(o *jira.Options) { o.SearchOverlap = -time.Second },
	}
	if _, err := jira.New(ok); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			o := ok
			mutate(&o)
			if _, err := jira.New(o); err == nil {
				t.Fatal("accepted")
			}
		})
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

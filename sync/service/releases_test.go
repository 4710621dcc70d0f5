package service_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/sync/sidebar"
)

// versionReads counts the Jira requests listing a project's versions.
func versionReads(e *jiratest.Server) int {
	n := 0
	for route, c := range e.Counts() {
		if strings.HasSuffix(route, "/project/{projectIdOrKey}/version") {
			n += c
		}
	}
	return n
}

// The panel marks each fix version released (with its day) or not, reads
// a project's versions at most once a minute however often it loads, and
// shows the names alone while Jira cannot list the versions.
func TestSidebarFixVersionReleases(t *testing.T) {
	e, srv := sidebarEnv(t)
	project := simulation.ProjectKeys()[0]
	for _, v := range []string{"7.0", "7.1"} {
		if _, err := e.Jira.AddVersion(project, v); err != nil {
			t.Fatal(err)
		}
	}
	shipped := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	if err := e.Jira.ReleaseVersion(project, "7.0", shipped); err != nil {
		t.Fatal(err)
	}
	fixed, planned := e.Bug(project, "High"), e.Bug(project, "High")
	for key, v := range map[string]string{fixed.Key: "7.0", planned.Key: "7.1"} {
		if err := e.Jira.Resolve(key, "Done", v, jiratest.Engineer); err != nil {
			t.Fatal(err)
		}
	}
	ticket := e.Ticket(e.Org("enterprise"), fixed.Key+", "+planned.Key)
	e.Settle()
	session := openPanel(t, e, srv)

	versions := func() string {
		t.Helper()
		var v sidebar.TicketView
		if status := call(t, srv, session, "GET", fmt.Sprintf("tickets/%d", ticket), nil, &v); status != http.StatusOK {
			t.Fatalf("ticket view: %d", status)
		}
		var out []string
		for _, b := range v.Bugs {
			out = append(out, fmt.Sprintf("%s %v", b.Key, b.FixVersions))
		}
		return strings.Join(out, "; ")
	}
	want := fmt.Sprintf("%s [7.0 (released 2026-03-04)]; %s [7.1 (not released yet)]", fixed.Key, planned.Key)
	before := versionReads(e.Jira)
	for range 3 {
		if got := versions(); got != want {
			t.Fatalf("fix versions %q, want %q", got, want)
		}
	}
	if n := versionReads(e.Jira) - before; n != 1 {
		t.Errorf("%d version reads for three panel loads within a minute, want 1", n)
	}

	// A minute on, the list is read again: a release shows.
	if err := e.Jira.ReleaseVersion(project, "7.1", shipped.AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(61 * time.Second)
	want = fmt.Sprintf("%s [7.0 (released 2026-03-04)]; %s [7.1 (released 2026-04-04)]", fixed.Key, planned.Key)
	if got := versions(); got != want {
		t.Fatalf("after the release: %q, want %q", got, want)
	}

	// Jira refuses the list: the panel still loads, with names only, and
	// does not ask again within the minute.
	e.Clock.Advance(61 * time.Second)
	e.Jira.InjectFault(jiratest.Fault{Method: "GET", Pattern: "/rest/api/2/project/{projectIdOrKey}/version", Status: http.StatusForbidden, Times: 5})
	t.Cleanup(e.Jira.ClearFaults)
	before = versionReads(e.Jira)
	want = fmt.Sprintf("%s [7.0]; %s [7.1]", fixed.Key, planned.Key)
	for range 2 {
		if got := versions(); got != want {
			t.Fatalf("versions not readable: %q, want %q", got, want)
		}
	}
	if n := versionReads(e.Jira) - before; n != 1 {
		t.Errorf("%d version reads while Jira refuses them, want 1", n)
	}
}

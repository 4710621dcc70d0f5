package webhook_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

// A jira:version_released delivery makes the next drain read the
// versions at once (long before the release check interval) and tell the
// waiting ticket; with no webhook, no pass reads them before the
// interval.
func TestVersionReleasedWebhookReadsAtOnce(t *testing.T) {
	e, key, ticket := linked(t, envOptions{})
	if err := e.Jira.Resolve(key, "Done", "5.0.1", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.Settle()
	notes := func(s string) int {
		n := 0
		for _, c := range e.Zendesk.Comments(ticket) {
			if !c.Public && strings.Contains(c.Body, s) {
				n++
			}
		}
		return n
	}
	if notes("fixed in 5.0.1, not yet released") != 1 {
		t.Fatalf("no fixed-not-released note: %+v", e.Zendesk.Comments(ticket))
	}
	e.hookJira(jiraSecret)
	e.ResetLogs()
	if err := e.Jira.ReleaseVersion("PROJ", "5.0.1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.flush()
	var released int
	for _, d := range e.Jira.Deliveries() {
		if d.Event == "jira:version_released" {
			released++
			if d.Status != http.StatusAccepted {
				t.Fatalf("version delivery answered %d (%v)", d.Status, d.Err)
			}
		}
	}
	if released != 1 {
		t.Fatalf("%d version deliveries: %+v", released, e.Jira.Deliveries())
	}
	rep := e.drain()
	if rep.VersionReads != 1 || rep.Notes != 1 {
		t.Fatalf("drain after the delivery: %+v", rep)
	}
	if n := e.Jira.Count("GET", "/rest/api/2/project/{projectIdOrKey}/version"); n != 1 {
		t.Fatalf("%d paged version reads, want 1 (counts %v)", n, e.Jira.Counts())
	}
	if notes("5.0.1 is released") != 1 {
		t.Fatalf("no released note: %+v", e.Zendesk.Comments(ticket))
	}
	if rep := e.drain(); rep.VersionReads != 0 || rep.Notes != 0 {
		t.Fatalf("second drain: %+v", rep)
	}
}

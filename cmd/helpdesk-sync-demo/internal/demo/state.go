package demo

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack/slacktest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// run is one demo in progress.
type run struct {
	o      Options
	out    *printer
	clock  *clocktest.Shifted
	st     *simulation.Stack
	svc    *service.Service
	cfg    *config.Config
	rdb    redis.UniversalClient
	rec    *servicetest.Recorder
	policy engine.Policy
	tiers  map[int64]string // organization → tier, as seeded
	steps  []Step
	facts  Facts
	// slack is the Slack stand-in the service posts notices to;
	// slackSeen counts its messages the story has told.
	slack     *slacktest.Server
	slackSeen int
}

// remoteLinkPrefix starts the global id of the remote links the service
// writes (sync/text.go); people's own links are left out.
const remoteLinkPrefix = "helpdesk-sync:"

// linkedTickets are the tickets the service's remote links on the bug point
// at, read from both simulators, by id.
func (d *run) linkedTickets(key string) []zendesktest.Ticket {
	var out []zendesktest.Ticket
	for _, l := range d.st.Jira.RemoteLinks(key) {
		if !strings.HasPrefix(l.GlobalID, remoteLinkPrefix) {
			continue
		}
		u, _ := l.Object["url"].(string)
		id, ok := d.svc.Helpdesk.TicketRef(u)
		if !ok {
			continue
		}
		if t, ok := d.st.Zendesk.Ticket(id); ok {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b zendesktest.Ticket) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func isOpen(t zendesktest.Ticket) bool { return engine.TicketStatus(t.Status).Open() }

// customers counts who waits on the bug from the simulators' state, with
// the service's own policy: what its count field should say.
func (d *run) customers(key string) engine.Customers {
	var recs []engine.TicketRecord
	for _, t := range d.linkedTickets(key) {
		recs = append(recs, engine.TicketRecord{ID: t.ID, Status: engine.TicketStatus(t.Status),
			RequesterID: t.RequesterID, OrganizationID: t.OrganizationID})
	}
	return d.policy.CountCustomers(recs, d.tiers)
}

// bugs are the dataset's issues as Jira holds them now.
func (d *run) bugs() []jiratest.Issue {
	var out []jiratest.Issue
	for b := range d.st.Dataset.Bugs() {
		if is, ok := d.st.Jira.Issue(b.Key); ok {
			out = append(out, is)
		}
	}
	return out
}

func count(is jiratest.Issue) float64 {
	if c := is.Custom[jiratest.CustomerCountField]; c != nil {
		return *c
	}
	return 0
}

func done(is jiratest.Issue) bool { return is.Status.Category == string(engine.CategoryDone) }

// outranks reports whether priority a is higher than b under the policy
// (a bug without a priority ranks lowest).
func (d *run) outranks(a, b string) bool {
	ra, okA := d.policy.Rank(a)
	rb, okB := d.policy.Rank(b)
	return a != "" && okA && (!okB || ra < rb)
}

// privateNotes are the ticket's internal notes, oldest first.
func (d *run) privateNotes(id int64) []string {
	var out []string
	for _, c := range d.st.Zendesk.Comments(id) {
		if !c.Public {
			out = append(out, c.Body)
		}
	}
	return out
}

// serviceComments are the bug's comments written by the service's account.
func (d *run) serviceComments(key string) []string {
	var out []string
	for _, c := range d.st.Jira.Comments(key) {
		if c.Author == jiratest.ServiceAccount {
			out = append(out, c.Body)
		}
	}
	return out
}

// statusTags are the tags the service manages on a ticket (bug_*).
func (d *run) statusTags(t zendesktest.Ticket) []string {
	managed := []string{d.policy.StatusTags.ToDo, d.policy.StatusTags.InProgress, d.policy.StatusTags.Done, d.policy.StatusTags.WontFix}
	var out []string
	for _, tag := range t.Tags {
		if slices.Contains(managed, tag) {
			out = append(out, tag)
		}
	}
	return out
}

func statusField(t zendesktest.Ticket) string {
	s, _ := t.Field(simulation.StatusFieldID).(string)
	return s
}

// requests counts the simulators' request logs by "vendor METHOD route".
func (d *run) requests() map[string]int {
	out := map[string]int{}
	for _, r := range d.st.Zendesk.Requests() {
		out["Zendesk "+r.Method+" "+r.Route]++
	}
	for _, r := range d.st.Jira.Requests() {
		out["Jira "+r.Method+" "+r.Pattern]++
	}
	return out
}

func orgName(ds simulation.Dataset, id int64) string {
	for o := range ds.Orgs() {
		if o.ID == id {
			return o.Name
		}
	}
	return fmt.Sprintf("organization %d", id)
}

func days(d time.Duration) string { return plural(int(d.Hours()/24), "day", "days") }

package simulation

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
)

// The Zendesk fields of the dataset; the ids are the ones config/example.yaml
// names, so the example configuration fits the simulated account.
const (
	KeysFieldID   int64 = 360001234567
	StatusFieldID int64 = 360007654321
	TierField           = "customer_tier"
	// RevenueField is the organization field holding each organization's
	// annual revenue (Org.ARR), for revenue.field.
	RevenueField = "arr"
	// RevenueCurrency is the currency of RevenueField's values (the field
	// is titled "ARR (EUR)"), for revenue.currency.
	RevenueCurrency = "EUR"
)

// Summary counts what Seed created.
type Summary struct {
	Orgs, Users, Bugs, Tickets int
	OrgsByTier                 map[string]int
	BugsByStatus               map[string]int
	TicketsByStatus            map[string]int
	TicketsByLink              map[LinkForm]int
	// Links is the number of ticket-to-bug links the service should find:
	// keys and tags naming existing issues of configured projects.
	Links int
	Took  time.Duration
}

// String tells what was seeded, in one line.
func (s Summary) String() string {
	return fmt.Sprintf("%s (%s) with %s; %s in %s (%s); %s (%s) naming bugs %s",
		plural(s.Orgs, "organization", "organizations"), tally(s.OrgsByTier), plural(s.Users, "requester", "requesters"),
		plural(s.Bugs, "bug", "bugs"), strings.Join(ProjectKeys(), ", "), tally(s.BugsByStatus),
		plural(s.Tickets, "ticket", "tickets"), tally(s.TicketsByStatus), plural(s.Links, "time", "times"))
}

// plural is n with the form of the noun that agrees with it.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// tally renders counts as "116 open, 86 pending", largest first.
func tally[K ~string](m map[K]int) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b K) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}

// progressEvery is how many records pass between two progress lines.
const progressEvery = 20_000

// Seed creates d in a fresh pair of simulators: the ticket and organization
// fields, the projects, every organization with its requesters, every bug
// and every ticket, one at a time as the dataset computes them. Times are
// relative to the Zendesk simulator's clock, which should be the Jira one's
// too. Bugs must be numbered as the dataset says, so jr must hold no issues
// of the dataset's projects yet; a mismatch is an error.
func Seed(ctx context.Context, zd *zendesktest.Server, jr *jiratest.Site, d Dataset, log *zap.Logger) (Summary, error) {
	if log == nil {
		log = zap.NewNop()
	}
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	start := time.Now()
	now := zd.Now()
	sum := Summary{OrgsByTier: map[string]int{}, BugsByStatus: map[string]int{},
		TicketsByStatus: map[string]int{}, TicketsByLink: map[LinkForm]int{}}

	zd.AddTicketField(zendesktest.TicketField{ID: KeysFieldID, Type: "text", Title: "Jira keys", Active: true})
	zd.AddTicketField(zendesktest.TicketField{ID: StatusFieldID, Type: "text", Title: "Bug status", Active: true})
	tierField := zendesktest.OrganizationField{Key: TierField, Title: "Customer tier", Type: "dropdown"}
	for _, t := range tiers {
		tierField.Options = append(tierField.Options, zendesktest.FieldOption{Name: t, Value: t})
	}
	zd.AddOrganizationField(tierField)
	zd.AddOrganizationField(zendesktest.OrganizationField{Key: RevenueField, Title: "ARR (" + RevenueCurrency + ")", Type: "decimal"})
	for _, p := range Projects() {
		jr.AddProject(p.Key, p.Name)
	}

	for o := range d.Orgs() {
		zd.AddOrganization(zendesktest.Organization{ID: o.ID, Name: o.Name,
			Fields: map[string]any{TierField: o.Tier, RevenueField: o.ARR}, CreatedAt: now.Add(-400 * 24 * time.Hour)})
		for _, u := range o.Users {
			zd.AddUser(zendesktest.User{ID: u.ID, Name: u.Name, Email: u.Email, OrganizationID: o.ID})
		}
		sum.Orgs++
		sum.Users += len(o.Users)
		sum.OrgsByTier[o.Tier]++
	}
	for u := range d.Individuals() {
		zd.AddUser(zendesktest.User{ID: u.ID, Name: u.Name, Email: u.Email})
		sum.Users++
	}

	for b := range d.Bugs() {
		if err := seedBug(jr, b, now); err != nil {
			return sum, err
		}
		sum.Bugs++
		sum.BugsByStatus[b.Status]++
		if sum.Bugs%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
			log.Info("seeding bugs", zap.Int("bugs", sum.Bugs), zap.Int("of", d.Size.Bugs))
		}
	}

	for t := range d.Tickets() {
		tk := zendesktest.Ticket{ID: t.ID, Subject: t.Subject, Status: t.Status, Priority: t.Priority,
			RequesterID: t.RequesterID, OrganizationID: t.OrganizationID, Tags: t.Tags,
			CreatedAt: now.Add(-t.Age)}
		if t.KeysField != "" {
			tk.CustomFields = []zendesktest.CustomField{{ID: KeysFieldID, Value: t.KeysField}}
		}
		zd.CreateTicket(tk)
		sum.Tickets++
		sum.TicketsByStatus[t.Status]++
		sum.TicketsByLink[t.Link]++
		sum.Links += len(t.Bugs)
		if sum.Tickets%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
			log.Info("seeding tickets", zap.Int("tickets", sum.Tickets), zap.Int("of", d.Size.Tickets),
				zap.Duration("elapsed", time.Since(start)))
		}
	}
	sum.Took = time.Since(start)
	log.Info("seeded the simulators", zap.Int64("seed", d.Seed), zap.Int("orgs", sum.Orgs), zap.Int("users", sum.Users),
		zap.Int("bugs", sum.Bugs), zap.Int("tickets", sum.Tickets), zap.Int("links", sum.Links), zap.Duration("took", sum.Took))
	return sum, nil
}

// seedBug creates b; a done bug is created open and resolved by the
// engineer, which is how it gets its resolution and fix version.
func seedBug(jr *jiratest.Site, b Bug, now time.Time) error {
	status := b.Status
	if b.Resolution != "" {
		status = "To Do"
	}
	is, err := jr.CreateIssue(jiratest.NewIssue{Project: b.Project, Summary: b.Summary, Status: status,
		Priority: b.Priority, Labels: b.Labels, Created: now.Add(-b.Age), Updated: now.Add(-b.Idle)})
	if err != nil {
		return fmt.Errorf("simulation: seed bug %s: %w", b.Key, err)
	}
	if is.Key != b.Key {
		return fmt.Errorf("simulation: seed bug %s: Jira numbered it %s; seed into a simulator without issues of %s",
			b.Key, is.Key, b.Project)
	}
	if b.Resolution != "" {
		if err := jr.Resolve(b.Key, b.Resolution, b.FixVersion, jiratest.Engineer); err != nil {
			return fmt.Errorf("simulation: resolve bug %s: %w", b.Key, err)
		}
	}
	return nil
}

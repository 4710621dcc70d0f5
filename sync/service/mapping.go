package service

import (
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// ZendeskUpdateTicketPerMinute is Zendesk's account-wide budget for the
// Update Ticket endpoint ("100 requests per min per account", notes.md §4);
// the service's single-ticket safe updates go through it.
const ZendeskUpdateTicketPerMinute = 100

// Limiters makes the limiter of one budget: events per window, kept under
// key.
type Limiters func(key string, events int, per time.Duration) connectors.Limiter

// RedisLimiters keep every budget in Redis, so that every replica draws on
// the same ones.
func RedisLimiters(rdb redis.UniversalClient) Limiters {
	return func(key string, events int, per time.Duration) connectors.Limiter {
		return connectors.NewRedisLimiter(rdb, key, events, per)
	}
}

// LocalLimiters keep every budget in this process: for a one-off command
// of a handful of requests that must work, and say what is wrong, while
// Redis is down (validate --online).
func LocalLimiters(_ string, events int, per time.Duration) connectors.Limiter {
	return connectors.NewLocalLimiter(events, per, events)
}

// ZendeskLimits are the client-side budgets of the Zendesk transport: the
// account's per-minute budget, the incremental export's 10 per minute, and
// Update Ticket's updatePerMinute (ZendeskUpdateTicketPerMinute on a real
// account). A speedup above 1 shortens every window by that factor (see
// servicetest.WithBudgetSpeedup).
func ZendeskLimits(limiter Limiters, prefix string, c config.Zendesk, updatePerMinute int, speedup float64) []connectors.Limit {
	key := prefix + "ratelimit:zendesk:"
	minute := shorter(time.Minute, speedup)
	return []connectors.Limit{
		{Name: "account", Limiter: limiter(key+"account", c.RequestsPerMinute, minute)},
		{Name: "export", Match: isZendeskExport, Limiter: limiter(key+"export", c.ExportRequestsPerMinute, minute)},
		{Name: "update_ticket", Match: isZendeskTicketUpdate, Limiter: limiter(key+"update_ticket", updatePerMinute, minute)},
	}
}

// shorter is d sped up by speedup, when that is above 1.
func shorter(d time.Duration, speedup float64) time.Duration {
	if speedup <= 1 {
		return d
	}
	return time.Duration(float64(d) / speedup)
}

func isZendeskExport(r *http.Request) bool {
	return strings.Contains(r.URL.Path, "/api/v2/incremental/")
}

func isZendeskTicketUpdate(r *http.Request) bool {
	return r.Method == http.MethodPut && connectors.RouteTemplate(r) == "/api/v2/tickets/{id}.json" ||
		r.Method == http.MethodPut && connectors.RouteTemplate(r) == "/api/v2/tickets/{id}"
}

// JiraLimits is the Jira transport's per-second budget, its window
// shortened by speedup as ZendeskLimits's.
func JiraLimits(limiter Limiters, prefix string, c config.Jira, speedup float64) []connectors.Limit {
	events, per := jiraWindow(c.RequestsPerSecond)
	return []connectors.Limit{
		{Name: "burst", Limiter: limiter(prefix+"ratelimit:jira:burst", events, shorter(per, speedup))},
	}
}

// jiraWindow is jira.requests_per_second as whole requests per window,
// which is what the Redis limiter counts: a fractional rate (0.5/s, 2.5/s)
// is one request per 1/rate, which no second sees more of than the rate
// rounded up, where 5 per 2 s would let 5 into one second.
func jiraWindow(perSecond float64) (int, time.Duration) {
	if events := int(perSecond); float64(events) == perSecond && events >= 1 {
		return events, time.Second
	}
	return 1, time.Duration(float64(time.Second) / perSecond)
}

// ZendeskOptions are the adapter's options from the zendesk section.
func ZendeskOptions(c config.Zendesk, hc *http.Client, log *zap.Logger, now func() time.Time) zendesk.Options {
	return zendesk.Options{
		BaseURL: c.URL, Subdomain: c.Subdomain,
		Email: c.Email, Token: c.Token.Value(), OAuthToken: c.OAuthToken.Value(),
		HTTPClient:  hc,
		KeysFieldID: c.KeysFieldID, StatusFieldID: c.StatusFieldID, TierField: c.TierField,
		StartTime: c.StartTime, PageSize: c.PageSize, NoteAuthorID: c.NoteAuthorID,
		Logger: log.Named("zendesk"), Clock: now,
	}
}

// JiraOptions are the adapter's options from the jira section.
func JiraOptions(c config.Jira, hc *http.Client, log *zap.Logger, now func() time.Time) jira.Options {
	return jira.Options{
		BaseURL: c.URL, Deployment: jira.Deployment(c.Deployment),
		Email: c.Email, Token: c.Token.Value(), PAT: c.PAT.Value(),
		HTTPClient: hc, Projects: c.Projects, CustomerCountField: c.CustomerCountField,
		SearchOverlap: c.SearchOverlap, PageSize: c.PageSize,
		Logger: log.Named("jira"), Clock: now,
	}
}

// Policy is the engine's policy from the policy section and the linking
// keys of the vendor sections.
func Policy(cfg *config.Config) engine.Policy {
	p := cfg.Policy
	out := engine.Policy{
		Projects:      cfg.Jira.Projects,
		LinkTagPrefix: cfg.Zendesk.LinkTagPrefix,
		SubjectKeys:   cfg.Zendesk.SubjectKeys,
		TrackerLinks:  cfg.Jira.TrackerLinks,
		MaxKeys:       cfg.Zendesk.MaxKeysPerTicket,

		CountBy:       engine.CountBy(p.CountBy),
		CountTickets:  engine.CountTickets(p.CountTickets),
		TierWeights:   p.TierWeights,
		DefaultWeight: p.DefaultWeight,

		Priorities:          cfg.Jira.Priorities,
		AllowLower:          p.AllowLower,
		PriorityLockedLabel: p.PriorityLockedLabel,

		StatusTags: engine.StatusTags{
			ToDo: p.StatusTags.ToDo, InProgress: p.StatusTags.InProgress,
			Done: p.StatusTags.Done, WontFix: p.StatusTags.WontFix, Released: p.StatusTags.Released,
		},
		WontFixResolutions: p.WontFixResolutions,
		Notes:              p.Notes,
		ReopenSolved:       p.ReopenSolved,
		Follow:             follow(p.TicketStatus),

		Stale: engine.StalePolicy{
			Label: p.Stale.Label, Windows: p.Stale.Windows, DefaultWindow: p.Stale.DefaultWindow,
			ExemptLabels: p.Stale.ExemptLabels, ExemptStatuses: p.Stale.ExemptStatuses,
			Silent: !p.Stale.Comment,
		},
		Texts: cfg.TextSet(),
		Limits: engine.Limits{
			MaxPriorityChanges: p.MaxPriorityChanges, MaxBugEdits: p.MaxBugEdits,
			MaxTicketUpdates: p.MaxTicketUpdates,
		},
	}
	for _, t := range p.Thresholds {
		out.Thresholds = append(out.Thresholds, engine.Threshold{Customers: t.Customers, Revenue: t.Revenue, Priority: t.Priority})
	}
	if r := cfg.Revenue; r.Field != "" {
		out.Revenue = engine.RevenuePolicy{Enabled: true, Currency: r.Currency, Field: r.JiraField != ""}
	}
	for _, l := range p.CountLabels {
		out.CountLabels = append(out.CountLabels, engine.CountLabel{Customers: l.Customers, Label: l.Label})
	}
	return out
}

// follow is the engine's ticket status automation from
// policy.ticket_status, which Load has validated.
func follow(t config.TicketStatus) engine.FollowPolicy {
	kind, group, _ := t.Assignment()
	return engine.FollowPolicy{
		Enabled: t.Enabled, WhileOpen: engine.TicketStatus(t.WhileOpen), When: engine.FollowWhen(t.When),
		Then: engine.TicketStatus(t.Then), Assign: engine.Assign{Kind: engine.AssignKind(kind), GroupID: group},
	}
}

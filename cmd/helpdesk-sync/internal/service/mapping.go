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
	"github.com/helpdesk-sync/helpdesk-sync/sync"
)

// ZendeskUpdateTicketPerMinute is Zendesk's account-wide budget for the
// Update Ticket endpoint ("100 requests per min per account", notes.md §4);
// the service's single-ticket safe updates go through it.
const ZendeskUpdateTicketPerMinute = 100

// ZendeskLimits are the client-side budgets of the Zendesk transport, kept
// in Redis so that every replica draws on the same ones: the account's
// per-minute budget, the incremental export's 10 per minute, and Update
// Ticket's updatePerMinute (ZendeskUpdateTicketPerMinute on a real account).
func ZendeskLimits(rdb redis.UniversalClient, prefix string, c config.Zendesk, updatePerMinute int) []connectors.Limit {
	key := prefix + "ratelimit:zendesk:"
	return []connectors.Limit{
		{Name: "account", Limiter: connectors.NewRedisLimiter(rdb, key+"account", c.RequestsPerMinute, time.Minute)},
		{Name: "export", Match: isZendeskExport,
			Limiter: connectors.NewRedisLimiter(rdb, key+"export", c.ExportRequestsPerMinute, time.Minute)},
		{Name: "update_ticket", Match: isZendeskTicketUpdate,
			Limiter: connectors.NewRedisLimiter(rdb, key+"update_ticket", updatePerMinute, time.Minute)},
	}
}

func isZendeskExport(r *http.Request) bool {
	return strings.Contains(r.URL.Path, "/api/v2/incremental/")
}

func isZendeskTicketUpdate(r *http.Request) bool {
	return r.Method == http.MethodPut && connectors.RouteTemplate(r) == "/api/v2/tickets/{id}.json" ||
		r.Method == http.MethodPut && connectors.RouteTemplate(r) == "/api/v2/tickets/{id}"
}

// JiraLimits is the Jira transport's per-second budget, shared in Redis.
func JiraLimits(rdb redis.UniversalClient, prefix string, c config.Jira) []connectors.Limit {
	// The Redis limiter counts whole events per period: express fractional
	// rates (0.5/s) as events per 10 s rather than rounding them to zero.
	events, per := int(c.RequestsPerSecond), time.Second
	if c.RequestsPerSecond != float64(events) || events < 1 {
		events, per = int(c.RequestsPerSecond*10+0.5), 10*time.Second
	}
	if events < 1 {
		events = 1
	}
	return []connectors.Limit{
		{Name: "burst", Limiter: connectors.NewRedisLimiter(rdb, prefix+"ratelimit:jira:burst", events, per)},
	}
}

// ZendeskOptions are the adapter's options from the zendesk section.
func ZendeskOptions(c config.Zendesk, hc *http.Client, log *zap.Logger, clock func() time.Time) zendesk.Options {
	o := zendesk.Options{
		BaseURL: c.URL, Subdomain: c.Subdomain,
		Email: c.Email, Token: c.Token.Value(), OAuthToken: c.OAuthToken.Value(),
		HTTPClient:  hc,
		KeysFieldID: c.KeysFieldID, StatusFieldID: c.StatusFieldID, TierField: c.TierField,
		StartTime: c.StartTime, PageSize: c.PageSize, NoteAuthorID: c.NoteAuthorID,
		Logger: log.Named("zendesk"),
	}
	if clock != nil {
		o.Clock = clockFunc(clock)
	}
	return o
}

// JiraOptions are the adapter's options from the jira section.
func JiraOptions(c config.Jira, hc *http.Client, log *zap.Logger, clock func() time.Time) jira.Options {
	return jira.Options{
		BaseURL: c.URL, Deployment: jira.Deployment(c.Deployment),
		Email: c.Email, Token: c.Token.Value(), PAT: c.PAT.Value(),
		HTTPClient: hc, Projects: c.Projects, CustomerCountField: c.CustomerCountField,
		SearchOverlap: c.SearchOverlap, PageSize: c.PageSize,
		Logger: log.Named("jira"), Clock: clock,
	}
}

// Policy is the engine's policy from the policy section and the linking
// keys of the vendor sections.
func Policy(cfg *config.Config) sync.Policy {
	p := cfg.Policy
	out := sync.Policy{
		Projects:      cfg.Jira.Projects,
		LinkTagPrefix: cfg.Zendesk.LinkTagPrefix,
		SubjectKeys:   cfg.Zendesk.SubjectKeys,
		TrackerLinks:  cfg.Jira.TrackerLinks,

		CountBy:       sync.CountBy(p.CountBy),
		CountTickets:  sync.CountTickets(p.CountTickets),
		TierWeights:   p.TierWeights,
		DefaultWeight: p.DefaultWeight,

		Priorities:          cfg.Jira.Priorities,
		AllowLower:          p.AllowLower,
		PriorityLockedLabel: p.PriorityLockedLabel,

		StatusTags: sync.StatusTags{
			ToDo: p.StatusTags.ToDo, InProgress: p.StatusTags.InProgress,
			Done: p.StatusTags.Done, WontFix: p.StatusTags.WontFix,
		},
		WontFixResolutions: p.WontFixResolutions,
		Notes:              p.Notes,
		ReopenSolved:       p.ReopenSolved,

		Stale: sync.StalePolicy{
			Label: p.Stale.Label, Windows: p.Stale.Windows, DefaultWindow: p.Stale.DefaultWindow,
			ExemptLabels: p.Stale.ExemptLabels, ExemptStatuses: p.Stale.ExemptStatuses,
			Comment: p.Stale.CommentText, Silent: !p.Stale.Comment,
		},
		Limits: sync.Limits{
			MaxPriorityChanges: p.MaxPriorityChanges, MaxBugEdits: p.MaxBugEdits,
			MaxTicketUpdates: p.MaxTicketUpdates,
		},
	}
	for _, t := range p.Thresholds {
		out.Thresholds = append(out.Thresholds, sync.Threshold{Customers: t.Customers, Priority: t.Priority})
	}
	for _, l := range p.CountLabels {
		out.CountLabels = append(out.CountLabels, sync.CountLabel{Customers: l.Customers, Label: l.Label})
	}
	return out
}

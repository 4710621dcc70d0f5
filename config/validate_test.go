package config

import (
	"strings"
	"testing"
	"time"
)

// valid is a configuration that passes Validate, for the rules to break.
func valid() *Config {
	c := Default()
	c.Zendesk.URL = "https://acme.zendesk.com"
	c.Zendesk.Email, c.Zendesk.Token = "sync@acme.com", "zd-token"
	c.Jira.URL = "https://acme.atlassian.net"
	c.Jira.Email, c.Jira.Token = "sync@acme.com", "jira-token"
	c.Jira.Projects = []string{"PROJ", "WEB_2"}
	return c
}

func TestValidateAcceptsValid(t *testing.T) {
	if err := valid().Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	c := valid()
	c.Zendesk.URL, c.Zendesk.Subdomain = "", "acme-2"
	c.Zendesk.Email, c.Zendesk.Token, c.Zendesk.OAuthToken = "", "", "oauth"
	c.Jira.Deployment, c.Jira.Token, c.Jira.Email, c.Jira.PAT = "datacenter", "", "", "pat"
	c.Jira.URL = "http://jira.internal:8080/jira"
	c.Redis.URL, c.Redis.Addrs, c.Redis.MasterName = "", []string{"s1:26379", "[::1]:26379"}, "mymaster"
	c.Policy.TierWeights, c.Zendesk.TierField = map[string]float64{"enterprise": 5, "free": 0}, "tier"
	c.Policy.Stale.Label = "" // off: windows are not checked
	c.Policy.Stale.Windows = map[string]time.Duration{"Nonsense": -1}
	c.Webhooks.Enabled, c.Webhooks.JiraSecret = true, "jira-webhook-secret-0123"
	c.Board.Enabled, c.Board.BasicUser, c.Board.BasicPassword = true, "lead", "board-password-0123"
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate of the alternatives: %v", err)
	}
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		key    string
		want   string
	}{
		// zendesk
		{"no account", func(c *Config) { c.Zendesk.URL = "" }, "zendesk.url", "not set, nor is zendesk.subdomain"},
		{"url and subdomain", func(c *Config) { c.Zendesk.Subdomain = "acme" }, "zendesk.subdomain", "set together with zendesk.url"},
		{"url not http", func(c *Config) { c.Zendesk.URL = "acme.zendesk.com" }, "zendesk.url", `"acme.zendesk.com" is not an http(s) URL; write it like url: https://acme.zendesk.com`},
		{"url with a path", func(c *Config) { c.Zendesk.URL = "https://acme.zendesk.com/agent" }, "zendesk.url", "not the account's root URL"},
		{"url with /api/v2 is fine", func(c *Config) { c.Zendesk.URL = "https://acme.zendesk.com/api/v2/" }, "", ""},
		{"url with credentials, not echoed", func(c *Config) { c.Zendesk.URL = "https://me:pw-secret@acme.zendesk.com" }, "zendesk.url", "carries credentials"},
		{"bad subdomain", func(c *Config) { c.Zendesk.URL, c.Zendesk.Subdomain = "", "acme.zendesk.com" }, "zendesk.subdomain", `"acme.zendesk.com" is not a subdomain`},
		{"no credentials", func(c *Config) { c.Zendesk.Email, c.Zendesk.Token = "", "" }, "zendesk.token", "no credentials"},
		{"token without email", func(c *Config) { c.Zendesk.Email = "" }, "zendesk.email", "not set, but token is"},
		{"email without token", func(c *Config) { c.Zendesk.Token = "" }, "zendesk.token", "not set, but email is"},
		{"token file counts as a token", func(c *Config) { c.Zendesk.Token, c.Zendesk.TokenFile = "", "/run/secrets/t" }, "", ""},
		{"oauth and token", func(c *Config) { c.Zendesk.OAuthToken = "o" }, "zendesk.oauth_token", "set together with zendesk.email and zendesk.token"},
		{"email without @", func(c *Config) { c.Zendesk.Email = "sync" }, "zendesk.email", `"sync" is not an email address`},
		{"negative field id", func(c *Config) { c.Zendesk.KeysFieldID = -1 }, "zendesk.keys_field_id", "-1 is negative"},
		{"negative status field", func(c *Config) { c.Zendesk.StatusFieldID = -2 }, "zendesk.status_field_id", "-2 is negative"},
		{"negative note author", func(c *Config) { c.Zendesk.NoteAuthorID = -3 }, "zendesk.note_author_id", "-3 is negative"},
		{"upper-case tag prefix", func(c *Config) { c.Zendesk.LinkTagPrefix = "Jira_" }, "zendesk.link_tag_prefix", `"Jira_" is not a lower-case word`},
		{"nothing links", func(c *Config) { c.Zendesk.LinkTagPrefix = "" }, "zendesk.keys_field_id", "nothing links a ticket to a bug"},
		{"subject keys link", func(c *Config) { c.Zendesk.LinkTagPrefix, c.Zendesk.SubjectKeys = "", true }, "", ""},
		{"page size too big", func(c *Config) { c.Zendesk.PageSize = 1001 }, "zendesk.page_size", "1001 is over 1000"},
		{"no request budget", func(c *Config) { c.Zendesk.RequestsPerMinute = 0 }, "zendesk.requests_per_minute", "0 must be more than 0"},
		{"export budget over the total", func(c *Config) { c.Zendesk.ExportRequestsPerMinute = 500 }, "zendesk.export_requests_per_minute", "500 is outside 1..400"},

		// jira
		{"no url", func(c *Config) { c.Jira.URL = "" }, "jira.url", "not set; set the site URL"},
		{"url not http", func(c *Config) { c.Jira.URL = "ftp://jira" }, "jira.url", "is not an http(s) URL"},
		{"url with query", func(c *Config) { c.Jira.URL = "https://jira/?a=b" }, "jira.url", "has a query or fragment"},
		{"unknown deployment", func(c *Config) { c.Jira.Deployment = "server" }, "jira.deployment", `"server" is neither cloud nor datacenter`},
		{"cloud without email", func(c *Config) { c.Jira.Email = "" }, "jira.email", "Jira Cloud authenticates"},
		{"cloud without token", func(c *Config) { c.Jira.Token = "" }, "jira.token", "not set; Jira Cloud"},
		{"cloud with pat", func(c *Config) { c.Jira.PAT = "p" }, "jira.pat", "set, but deployment is cloud"},
		{"datacenter without pat", func(c *Config) { c.Jira.Deployment, c.Jira.Email, c.Jira.Token = "datacenter", "", "" }, "jira.pat", "not set; Jira Data Center"},
		{"datacenter with token", func(c *Config) { c.Jira.Deployment, c.Jira.PAT = "datacenter", "p" }, "jira.token", "set, but deployment is datacenter"},
		{"no projects", func(c *Config) { c.Jira.Projects = nil }, "jira.projects", "empty; set at least one project key, e.g. projects: [PROJ] (env HELPDESK_SYNC_JIRA_PROJECTS=PROJ)"},
		{"lower-case project", func(c *Config) { c.Jira.Projects = []string{"PROJ", "web"} }, "jira.projects[1]", `"web" is not a project key`},
		{"one-letter project", func(c *Config) { c.Jira.Projects = []string{"P"} }, "jira.projects[0]", `"P" is not a project key`},
		{"project twice", func(c *Config) { c.Jira.Projects = []string{"PROJ", "PROJ"} }, "jira.projects[1]", "listed twice"},
		{"count field", func(c *Config) { c.Jira.CustomerCountField = "Customers" }, "jira.customer_count_field", `"Customers" is not a custom field id`},
		{"no priorities", func(c *Config) { c.Jira.Priorities, c.Policy.Thresholds, c.Policy.Stale.Windows = nil, nil, nil }, "jira.priorities", "empty"},
		{"priority twice", func(c *Config) { c.Jira.Priorities = append(c.Jira.Priorities, "High") }, "jira.priorities[5]", "listed twice"},
		{"no request budget", func(c *Config) { c.Jira.RequestsPerSecond = 0 }, "jira.requests_per_second", "0 must be more than 0"},
		{"overlap under a minute", func(c *Config) { c.Jira.SearchOverlap = 59 * time.Second }, "jira.search_overlap", "59s is under 1m"},
		{"page size", func(c *Config) { c.Jira.PageSize = 101 }, "jira.page_size", "101 is over 100"},

		// redis
		{"no url", func(c *Config) { c.Redis.URL = "" }, "redis.url", "not set"},
		{"bad url", func(c *Config) { c.Redis.URL = "http://:pw-secret@host" }, "redis.url", `"http://:xxxxx@host": invalid URL scheme: http`},
		{"bad db", func(c *Config) { c.Redis.URL = "redis://host/x" }, "redis.url", "invalid database number"},
		{"master without addrs", func(c *Config) { c.Redis.MasterName = "m" }, "redis.master_name", `"m" is set, but addrs is empty`},
		{"addrs and an explicit url", func(c *Config) {
			c.Redis.Addrs = []string{"a:1"}
			c.origins = map[string]string{"redis.url": "env REDIS_URL"}
		}, "redis.addrs", "set together with redis.url (env REDIS_URL)"},
		{"bad addr", func(c *Config) { c.Redis.Addrs = []string{"a:1", "sentinel"} }, "redis.addrs[1]", `"sentinel" is not host:port`},
		{"no key prefix", func(c *Config) { c.Redis.KeyPrefix = "" }, "redis.key_prefix", "empty"},
		{"glob in key prefix", func(c *Config) { c.Redis.KeyPrefix = "hs*" }, "redis.key_prefix", "glob characters"},

		// policy
		{"count_by", func(c *Config) { c.Policy.CountBy = "org" }, "policy.count_by", `"org" is not one of organization, requester`},
		{"count_tickets", func(c *Config) { c.Policy.CountTickets = "solved" }, "policy.count_tickets", `"solved" is not one of open, all`},
		{"negative tier weight", func(c *Config) {
			c.Zendesk.TierField, c.Policy.TierWeights = "tier", map[string]float64{"free": -1}
		}, "policy.tier_weights.free", "-1 is negative"},
		{"weights without a tier field", func(c *Config) { c.Policy.TierWeights = map[string]float64{"pro": 2} }, "policy.tier_weights", "zendesk.tier_field is empty"},
		{"negative default weight", func(c *Config) { c.Policy.DefaultWeight = -0.5 }, "policy.default_weight", "-0.5 is negative"},

		// revenue
		{"revenue counted", func(c *Config) {
			c.Revenue = Revenue{Field: "arr", Currency: "EUR", JiraField: "customfield_10043"}
			c.Policy.Thresholds = []Threshold{{Customers: 10, Priority: "High"}, {Revenue: 100000, Priority: "High"}, {Customers: 25, Revenue: 1e6, Priority: "Highest"}}
		}, "", ""},
		{"revenue without currency", func(c *Config) { c.Revenue.Field = "arr" }, "revenue.currency", "not set, but revenue.field is"},
		{"currency not a code", func(c *Config) { c.Revenue = Revenue{Field: "arr", Currency: "euro"} }, "revenue.currency", `"euro" is not an ISO 4217 currency code`},
		{"currency without field", func(c *Config) { c.Revenue.Currency = "EUR" }, "revenue.currency", "revenue.field is empty"},
		{"jira field without field", func(c *Config) { c.Revenue.JiraField = "customfield_10043" }, "revenue.jira_field", "revenue.field is empty"},
		{"jira field not an id", func(c *Config) { c.Revenue = Revenue{Field: "arr", Currency: "EUR", JiraField: "Revenue"} }, "revenue.jira_field", `"Revenue" is not a custom field id`},
		{"jira field is the count field", func(c *Config) {
			c.Jira.CustomerCountField = "customfield_10043"
			c.Revenue = Revenue{Field: "arr", Currency: "EUR", JiraField: "customfield_10043"}
		}, "revenue.jira_field", "also jira.customer_count_field"},
		{"revenue threshold without revenue field", func(c *Config) {
			c.Policy.Thresholds = []Threshold{{Revenue: 100000, Priority: "High"}}
		}, "policy.thresholds[0].revenue", "set, but revenue.field is empty"},
		{"revenue threshold over the bound", func(c *Config) {
			c.Revenue = Revenue{Field: "arr", Currency: "EUR"}
			c.Policy.Thresholds = []Threshold{{Revenue: 2e15, Priority: "High"}}
		}, "policy.thresholds[0].revenue", "2e+15 is out of range (more than 0, up to 1000000000000000)"},
		{"negative revenue threshold", func(c *Config) {
			c.Revenue = Revenue{Field: "arr", Currency: "EUR"}
			c.Policy.Thresholds = []Threshold{{Revenue: -5, Priority: "High"}}
		}, "policy.thresholds[0].revenue", "-5 is out of range"},
		{"revenue thresholds out of order", func(c *Config) {
			c.Revenue = Revenue{Field: "arr", Currency: "EUR"}
			c.Policy.Thresholds = []Threshold{{Revenue: 500000, Priority: "High"}, {Revenue: 100000, Priority: "Highest"}}
		}, "policy.thresholds[0]", "revenue 500000 raises to High, but the lower revenue 100000 already raises to Highest"},
		{"revenue thresholds with the same amount", func(c *Config) {
			c.Revenue = Revenue{Field: "arr", Currency: "EUR"}
			c.Policy.Thresholds = []Threshold{{Revenue: 1000, Priority: "High"}, {Revenue: 1000, Priority: "Highest"}}
		}, "policy.thresholds[1].revenue", "1000 is used by another threshold"},
		{"threshold of unknown priority", func(c *Config) { c.Policy.Thresholds = []Threshold{{Customers: 5, Priority: "P1"}} }, "policy.thresholds[0].priority", `"P1" is not one of jira.priorities`},
		{"threshold case matters", func(c *Config) { c.Policy.Thresholds = []Threshold{{Customers: 5, Priority: "high"}} }, "policy.thresholds[0].priority", "case matters"},
		{"threshold of zero customers", func(c *Config) { c.Policy.Thresholds = []Threshold{{Customers: 0, Priority: "High"}} }, "policy.thresholds[0]", "sets neither customers nor revenue above 0"},
		{"thresholds out of order", func(c *Config) {
			c.Policy.Thresholds = []Threshold{{Customers: 25, Priority: "High"}, {Customers: 10, Priority: "Highest"}}
		}, "policy.thresholds[0]", "customers 25 raises to High, but the lower customers 10 already raises to Highest"},
		{"thresholds with the same priority", func(c *Config) {
			c.Policy.Thresholds = []Threshold{{Customers: 10, Priority: "High"}, {Customers: 20, Priority: "High"}}
		}, "policy.thresholds[1]", "customers 20 raises to High, but the lower customers 10 already raises to High"},
		{"thresholds with the same count", func(c *Config) {
			c.Policy.Thresholds = []Threshold{{Customers: 10, Priority: "High"}, {Customers: 10, Priority: "Highest"}}
		}, "policy.thresholds[1].customers", "10 is used by another threshold"},
		{"thresholds in any order", func(c *Config) {
			c.Policy.Thresholds = []Threshold{{Customers: 25, Priority: "Highest"}, {Customers: 5, Priority: "Medium"}, {Customers: 10, Priority: "High"}}
		}, "", ""},
		{"lock label with a space", func(c *Config) { c.Policy.PriorityLockedLabel = "priority locked" }, "policy.priority_locked_label", "has spaces"},
		{"count label empty", func(c *Config) { c.Policy.CountLabels = []CountLabel{{10, ""}} }, "policy.count_labels[0].label", "empty"},
		{"count label of no customers", func(c *Config) { c.Policy.CountLabels = []CountLabel{{-1, "x"}} }, "policy.count_labels[0].customers", "-1 must be more than 0"},
		{"count label count twice", func(c *Config) { c.Policy.CountLabels = []CountLabel{{10, "a"}, {10, "b"}} }, "policy.count_labels[1].customers", "used by an earlier count label"},
		{"status tag with a space", func(c *Config) { c.Policy.StatusTags.Done = "bug fixed" }, "policy.status_tags.done", `"bug fixed" is not a lower-case word`},
		{"status tags shared", func(c *Config) { c.Policy.StatusTags.WontFix = "bug_fixed" }, "policy.status_tags.wont_fix", `"bug_fixed" is also policy.status_tags.done`},
		{"status tag off", func(c *Config) { c.Policy.StatusTags.ToDo = "" }, "", ""},
		{"negative guard", func(c *Config) { c.Policy.MaxBugEdits = -1 }, "policy.max_bug_edits", "-1 is negative"},
		{"ticket status enabled", func(c *Config) { c.Policy.TicketStatus.Enabled = true }, "", ""},
		{"ticket status to a group", func(c *Config) { c.Policy.TicketStatus.Assign = "group:360001234567" }, "", ""},
		{"ticket status while_open unknown", func(c *Config) { c.Policy.TicketStatus.WhileOpen = "on-hold" }, "policy.ticket_status.while_open", `"on-hold" is not a status the service sets`},
		{"ticket status then solved", func(c *Config) { c.Policy.TicketStatus.Then = "solved" }, "policy.ticket_status.then", `"solved" is not a status the service sets`},
		{"ticket status then unknown, example its default", func(c *Config) { c.Policy.TicketStatus.Then = "bogus" }, "policy.ticket_status.then", "solved and closed are the agent's to set), e.g. open"},
		{"ticket status same twice", func(c *Config) { c.Policy.TicketStatus.Then = "hold" }, "policy.ticket_status.then", "also while_open"},
		{"ticket status when unknown", func(c *Config) { c.Policy.TicketStatus.When = "shipped" }, "policy.ticket_status.when", `"shipped" is neither fixed nor released`},
		{"ticket status assign unknown", func(c *Config) { c.Policy.TicketStatus.Assign = "agent" }, "policy.ticket_status.assign", `"agent" is not none, last_agent or group:<id>`},
		{"ticket status group by name", func(c *Config) { c.Policy.TicketStatus.Assign = "group:Tier 2" }, "policy.ticket_status.assign", `"group:Tier 2" does not name a group by its id`},
		{"ticket status group zero", func(c *Config) { c.Policy.TicketStatus.Assign = "group:0" }, "policy.ticket_status.assign", "does not name a group by its id"},
		{"stale label with a space", func(c *Config) { c.Policy.Stale.Label = "stale bug" }, "policy.stale.label", "has spaces"},
		{"stale window of unknown priority", func(c *Config) { c.Policy.Stale.Windows["Critical"] = time.Hour }, "policy.stale.windows.Critical", `"Critical" is not one of jira.priorities`},
		{"stale window zero", func(c *Config) { c.Policy.Stale.Windows["High"] = 0 }, "policy.stale.windows.High", "0s must be more than 0"},
		{"stale default window", func(c *Config) { c.Policy.Stale.DefaultWindow = 0 }, "policy.stale.default_window", "0s must be more than 0"},

		// service
		{"poll interval", func(c *Config) { c.Sync.PollInterval = 0 }, "sync.poll_interval", "must be more than 0"},
		{"webhook poll faster than poll", func(c *Config) { c.Sync.WebhookPollInterval = 30 * time.Second }, "sync.webhook_poll_interval", "30s is shorter than sync.poll_interval 1m"},
		{"sweep interval", func(c *Config) { c.Sync.SweepInterval = -time.Second }, "sync.sweep_interval", "-1s must be more than 0"},
		{"workers", func(c *Config) { c.Sync.Workers = 0 }, "sync.workers", "0 must be more than 0"},
		{"cache ttl", func(c *Config) { c.Sync.CacheTTL = 0 }, "sync.cache_ttl", "must be more than 0"},
		{"lease ttl", func(c *Config) { c.Sync.LeaseTTL = 500 * time.Millisecond }, "sync.lease_ttl", "500ms is under 1s"},
		{"shutdown grace", func(c *Config) { c.Sync.ShutdownGrace = 0 }, "sync.shutdown_grace", "must be more than 0"},
		{"listen without port", func(c *Config) { c.HTTP.Listen = "localhost" }, "http.listen", `"localhost" is not host:port`},
		{"listen port out of range", func(c *Config) { c.HTTP.Listen = ":70000" }, "http.listen", "is not host:port"},
		{"admin listener", func(c *Config) { c.HTTP.AdminListen = "127.0.0.1:9090" }, "", ""},
		{"admin listen without port", func(c *Config) { c.HTTP.AdminListen = "localhost" }, "http.admin_listen", `"localhost" is not host:port`},
		{"admin listen on the public port", func(c *Config) { c.HTTP.Listen, c.HTTP.AdminListen = "127.0.0.1:8080", ":8080" }, "http.admin_listen", `":8080" is http.listen's address too`},
		{"admin listen on the public port, other host", func(c *Config) { c.HTTP.Listen, c.HTTP.AdminListen = "10.0.0.1:8080", "127.0.0.1:8080" }, "", ""},
		{"both on any free port", func(c *Config) { c.HTTP.Listen, c.HTTP.AdminListen = "127.0.0.1:0", "127.0.0.1:0" }, "", ""},
		{"log level", func(c *Config) { c.Log.Level = "trace" }, "log.level", `"trace" is not one of info, debug, warn, error; set e.g. level: info`},
		{"log format", func(c *Config) { c.Log.Format = "text" }, "log.format", `"text" is not one of auto, json, console`},
		{"webhooks without secrets", func(c *Config) { c.Webhooks.Enabled = true }, "webhooks.enabled", "neither zendesk_secret nor jira_secret is set"},
		{"webhook secret file counts", func(c *Config) { c.Webhooks.Enabled, c.Webhooks.ZendeskSecretFile = true, "/run/s" }, "", ""},
		{"webhook tolerance", func(c *Config) { c.Webhooks.Tolerance = 0 }, "webhooks.tolerance", "must be more than 0"},
		{"webhook body", func(c *Config) { c.Webhooks.MaxBodyBytes = 0 }, "webhooks.max_body_bytes", "0 must be more than 0"},
		{"board without auth", func(c *Config) { c.Board.Enabled = true }, "board.enabled", "nobody could open the board"},
		{"board with token", func(c *Config) { c.Board.Enabled, c.Board.Token = true, "board-token-0123456789" }, "", ""},
		{"basic user without password", func(c *Config) { c.Board.BasicUser = "lead" }, "board.basic_password", "not set, but basic_user is"},
		{"basic password without user", func(c *Config) { c.Board.BasicPassword = "pw-secret-0123456789" }, "board.basic_user", "not set, but basic_password is"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+tt.name, func(t *testing.T) {
			c := valid()
			tt.mutate(c)
			err := c.Validate()
			if strings.Contains(errString(err), "pw-secret") {
				t.Errorf("a secret reached the error: %v", err)
			}
			if tt.key == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			p := problemAt(t, err, tt.key, tt.want)
			if p.Env == "" || p.Fix == "" {
				t.Errorf("problem without variable or fix: %+v", p)
			}
			if n := len(problemsOf(t, err)); n != 1 {
				t.Errorf("%d problems, want just the one:\n%v", n, err)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

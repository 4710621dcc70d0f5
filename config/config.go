// Package config loads helpdesk-sync's configuration: one YAML file, then
// environment variables over it (every key has one), then secrets from
// environment variables or mounted files. Load reports every problem at
// once, each naming the YAML key, its environment variable and the fix.
//
// The doc tags on the types below are the reference: the table in
// docs/configuration.md is generated from them, and a test fails when the
// two drift apart.
package config

import "time"

// Config is the whole configuration. Fields are read directly; secrets are
// Secret values whose String never shows them.
type Config struct {
	Zendesk  Zendesk  `yaml:"zendesk"`
	Jira     Jira     `yaml:"jira"`
	Redis    Redis    `yaml:"redis"`
	Policy   Policy   `yaml:"policy"`
	Revenue  Revenue  `yaml:"revenue"`
	Sync     Sync     `yaml:"sync"`
	HTTP     HTTP     `yaml:"http"`
	Log      Log      `yaml:"log"`
	Webhooks Webhooks `yaml:"webhooks"`
	Board    Board    `yaml:"board"`
	Sidebar  Sidebar  `yaml:"sidebar"`
	Slack    Slack    `yaml:"slack"`

	AllowInlineSecrets bool `yaml:"allow_inline_secrets" doc:"Accept secrets written in the YAML file itself (with a warning). Off, they must come from the environment or a *_file."`

	// origins maps a key ("jira.url", "policy.thresholds[1].priority") to
	// where its value came from; keys left at their default are absent.
	origins  map[string]string
	file     string // the YAML file read, if any
	warnings []string
}

// Zendesk is the helpdesk account.
type Zendesk struct {
	URL            string `yaml:"url" doc:"Account URL, e.g. https://acme.zendesk.com. Set this or subdomain."`
	Subdomain      string `yaml:"subdomain" doc:"Account subdomain, e.g. acme for https://acme.zendesk.com. Set this or url."`
	Email          string `yaml:"email" doc:"Email of the API user; with token (API token authentication)."`
	Token          Secret `yaml:"token" doc:"API token of that user (Admin Center > Apps and integrations > Zendesk API)."`
	TokenFile      string `yaml:"token_file" doc:"File holding token (a mounted Docker or Kubernetes secret); a trailing newline is trimmed."`
	OAuthToken     Secret `yaml:"oauth_token" doc:"OAuth access token, sent as a bearer token; instead of email and token."`
	OAuthTokenFile string `yaml:"oauth_token_file" doc:"File holding oauth_token."`

	KeysFieldID   int64  `yaml:"keys_field_id" doc:"Ticket custom field holding bug keys (PROJ-123, comma or space separated); 0 links by tags only."`
	StatusFieldID int64  `yaml:"status_field_id" doc:"Ticket custom field the bug status is written to; 0 shows the status by tags only."`
	LinkTagPrefix string `yaml:"link_tag_prefix" doc:"Tags <prefix><project>_<number> link a ticket, e.g. jira_proj_123; empty turns tag links off."`
	SubjectKeys   bool   `yaml:"subject_keys" doc:"Also link the bug keys mentioned in a ticket's subject."`
	TierField     string `yaml:"tier_field" doc:"organization_fields key holding the customer tier, for policy.tier_weights; empty means no weighting."`

	MaxKeysPerTicket int `yaml:"max_keys_per_ticket" doc:"Most bugs one ticket links: the first keys it names (keys field, then tags, then subject); the rest are ignored and logged in one line."`

	StartTime               time.Time `yaml:"start_time" doc:"RFC 3339 time the first ticket export starts from (backfill); empty starts at the beginning of the account."`
	PageSize                int       `yaml:"page_size" doc:"Tickets per export page, at most 1000."`
	RequestsPerMinute       int       `yaml:"requests_per_minute" doc:"API request budget per minute, shared by all replicas; keep it under your plan's limit."`
	ExportRequestsPerMinute int       `yaml:"export_requests_per_minute" doc:"Incremental export requests per minute (Zendesk allows 10)."`
	NoteAuthorID            int64     `yaml:"note_author_id" doc:"User id shown as the author of private notes; 0 is the API user."`
}

// Jira is the issue tracker.
type Jira struct {
	URL        string `yaml:"url" doc:"Site URL, e.g. https://acme.atlassian.net or https://jira.example.com."`
	Deployment string `yaml:"deployment" doc:"cloud (email and API token) or datacenter (personal access token)."`
	Email      string `yaml:"email" doc:"Cloud: email of the service account."`
	Token      Secret `yaml:"token" doc:"Cloud: API token of the service account."`
	TokenFile  string `yaml:"token_file" doc:"File holding token."`
	PAT        Secret `yaml:"pat" doc:"Data Center: personal access token, sent as a bearer token."`
	PATFile    string `yaml:"pat_file" doc:"File holding pat."`

	Projects           []string      `yaml:"projects" doc:"Keys of the projects whose issues may be linked, e.g. PROJ,WEB."`
	CustomerCountField string        `yaml:"customer_count_field" doc:"Number field the customer count is written to, e.g. customfield_10042; empty leaves counts off the bug."`
	Priorities         []string      `yaml:"priorities" doc:"Priority names as the site spells them, highest first."`
	RequestsPerSecond  float64       `yaml:"requests_per_second" doc:"API request budget per second, shared by all replicas; a fractional rate (0.5) is one request per 1/rate."`
	SearchOverlap      time.Duration `yaml:"search_overlap" doc:"How far each search reaches back before the last one; at least 1m, since JQL dates have minute resolution."`
	PageSize           int           `yaml:"page_size" doc:"Issues per search page, at most 100."`
	TrackerLinks       bool          `yaml:"tracker_links" doc:"Also link tickets whose URL a bug carries as a remote link."`
}

// Redis is where the service keeps its state.
type Redis struct {
	URL          string   `yaml:"url" doc:"redis:// or rediss:// URL of a single server; the plain REDIS_URL variable is read too. Unused when addrs is set."`
	Addrs        []string `yaml:"addrs" doc:"host:port of Cluster nodes, or of Sentinels with master_name; instead of url."`
	MasterName   string   `yaml:"master_name" doc:"Sentinel: name of the master set; with addrs."`
	Username     string   `yaml:"username" doc:"ACL user name."`
	Password     Secret   `yaml:"password" doc:"Password (of username, or the server's requirepass)."`
	PasswordFile string   `yaml:"password_file" doc:"File holding password."`
	TLS          bool     `yaml:"tls" doc:"Connect with TLS (for url, rediss:// does the same)."`
	KeyPrefix    string   `yaml:"key_prefix" doc:"Prefix of every key the service writes; lets several installations share a server."`
}

// Policy decides what the two systems should look like.
type Policy struct {
	CountBy       string             `yaml:"count_by" doc:"What a distinct customer is: organization (the requester when a ticket has none) or requester."`
	CountTickets  string             `yaml:"count_tickets" doc:"Which linked tickets count: open (new, open, pending, hold) or all."`
	TierWeights   map[string]float64 `yaml:"tier_weights" doc:"Weight of a customer by tier (zendesk.tier_field), e.g. enterprise=5,pro=2,free=1."`
	DefaultWeight float64            `yaml:"default_weight" doc:"Weight of a customer whose tier has no weight."`

	Thresholds          []Threshold  `yaml:"thresholds" doc:"A weighted count of at least customers, or a revenue waiting of at least revenue (with revenue.field), raises the bug to at least priority, e.g. 10=High,25=Highest,revenue:100000=High; the higher priority reached wins."`
	AllowLower          bool         `yaml:"allow_lower" doc:"Lower a priority the service raised when the count falls again; off, priorities only go up."`
	PriorityLockedLabel string       `yaml:"priority_locked_label" doc:"Bugs with this label keep their priority; empty locks none."`
	CountLabels         []CountLabel `yaml:"count_labels" doc:"Label a bug once its weighted count reaches customers, e.g. 10=customers-10plus."`

	StatusTags         StatusTags `yaml:"status_tags"`
	WontFixResolutions []string   `yaml:"wont_fix_resolutions" doc:"Resolutions of a done bug that mean it will not be fixed."`
	Notes              bool       `yaml:"notes" doc:"Post one private note on each linked ticket when its bug changes status category."`
	ReopenSolved       bool       `yaml:"reopen_solved" doc:"A note on a solved ticket reopens it; off, solved and closed tickets are left alone."`

	TicketStatus TicketStatus `yaml:"ticket_status"`

	Stale Stale `yaml:"stale"`
	Texts Texts `yaml:"texts"`

	MaxPriorityChanges int  `yaml:"max_priority_changes" doc:"Blast-radius guard: most bugs one cycle may re-prioritize without confirmation; 0 is no limit."`
	MaxTicketUpdates   int  `yaml:"max_ticket_updates" doc:"Most tickets one cycle may update without confirmation; 0 is no limit."`
	MaxBugEdits        int  `yaml:"max_bug_edits" doc:"Most bugs one cycle may edit without confirmation; 0 is no limit."`
	DryRun             bool `yaml:"dry_run" doc:"Compute and log every write, make none."`
}

// Threshold raises bugs whose weighted customer count reaches Customers,
// or whose revenue waiting reaches Revenue, to at least Priority; 0 leaves
// a criterion unset, and one set on both is reached by either. In the
// environment it is written customers=priority, revenue:amount=priority,
// or customers|revenue:amount=priority.
type Threshold struct {
	Customers float64 `yaml:"customers"`
	Revenue   float64 `yaml:"revenue,omitempty"`
	Priority  string  `yaml:"priority"`
}

// CountLabel puts Label on bugs whose weighted count reaches Customers. In
// the environment it is written customers=label.
type CountLabel struct {
	Customers float64 `yaml:"customers"`
	Label     string  `yaml:"label"`
}

// StatusTags are the ticket tags showing the status category of its bug.
type StatusTags struct {
	ToDo       string `yaml:"todo" doc:"Tag of tickets whose bug is to do; empty adds none."`
	InProgress string `yaml:"in_progress" doc:"Tag of tickets whose bug is in progress."`
	Done       string `yaml:"done" doc:"Tag of tickets whose bug is fixed."`
	WontFix    string `yaml:"wont_fix" doc:"Tag of tickets whose bug is done with a wont_fix_resolutions resolution."`
	Released   string `yaml:"released" doc:"Tag of tickets whose bug is fixed in a version that is released. Give it a tag of its own: after a lost Redis it is what keeps the released note from going out twice."`
}

// TicketStatus is the opt-in ticket status automation: a ticket's status
// follows its bugs.
type TicketStatus struct {
	Enabled   bool   `yaml:"enabled" doc:"Set linked tickets' status from their bugs: while_open while any is open, then once all are done. Acts once per change; an agent's later change stands. Off by default."`
	WhileOpen string `yaml:"while_open" doc:"Status of a ticket while any of its bugs is open: open, pending or hold. Solved and closed tickets are left alone."`
	When      string `yaml:"when" doc:"When a ticket's bugs are done: fixed (every bug fixed, released or won't fix) or released (every fix released, or won't fix)."`
	Then      string `yaml:"then" doc:"Status of a ticket once its bugs are done: open, pending or hold (a solved ticket only with reopen_solved)."`
	Assign    string `yaml:"assign" doc:"Whom the ticket goes back to then: none (as it is), last_agent (its assignee when it was set to while_open), or group:<id> (that group's queue, unassigned)."`
}

// Stale configures the stale-backlog flag.
type Stale struct {
	Label          string                   `yaml:"label" doc:"Label of bugs customers wait on that nobody has updated within their window; empty turns stale flags off."`
	Windows        map[string]time.Duration `yaml:"windows" doc:"Window by priority, e.g. Highest=48h,High=168h; replaces the whole default map."`
	DefaultWindow  time.Duration            `yaml:"default_window" doc:"Window of priorities not in windows."`
	ExemptLabels   []string                 `yaml:"exempt_labels" doc:"Bugs with any of these labels are never stale."`
	ExemptStatuses []string                 `yaml:"exempt_statuses" doc:"Bugs in any of these statuses are never stale."`
	Comment        bool                     `yaml:"comment" doc:"Comment on the bug once when it turns stale."`
	CommentText    string                   `yaml:"comment_text" doc:"Deprecated: write policy.texts.stale_comment. Still read, with a warning: {customers_wait} (3 customers wait, 1 customer waits), {customers}, {idle} (1 day, 9 days), {days}, {priority} and {label} become that template's fields."`
}

// Sync paces the reconciler.
type Sync struct {
	PollInterval              time.Duration `yaml:"poll_interval" doc:"Time from the start of one poll of both systems to the start of the next (the next starts at once when a poll takes longer)."`
	WebhookPollInterval       time.Duration `yaml:"webhook_poll_interval" doc:"Polling interval while webhooks are enabled and healthy: a backstop."`
	SweepInterval             time.Duration `yaml:"sweep_interval" doc:"How often the leader looks for bugs that time alone may have made stale (a bug a cycle reconciles is judged then)."`
	ReleaseCheckInterval      time.Duration `yaml:"release_check_interval" doc:"How often the leader reads the versions of a project while a fixed bug with an open ticket waits on one of them to be released: one request per such project per interval, none when no bug waits. A jira:version_released webhook reads them at once."`
	OrganizationCheckInterval time.Duration `yaml:"organization_check_interval" doc:"How often the leader reads Zendesk's organization export for organizations whose tier (zendesk.tier_field) or revenue (revenue.field) changed, so that the bugs they wait on are counted again without a ticket changing: one request per interval (more only past 1,000 changed organizations), none unless tiers weigh or revenue counts."`
	Workers                   int           `yaml:"workers" doc:"Bugs reconciled in parallel (a resync reads as many bugs' remote links at once)."`
	CacheTTL                  time.Duration `yaml:"cache_ttl" doc:"How long organizations (and their tiers) are cached."`
	LeaseTTL                  time.Duration `yaml:"lease_ttl" doc:"Leader lease, and each replica's hold on the work it claimed: a standby takes over within about this long after the leader dies, and what a dead replica had claimed returns to the queue within it."`
	ShutdownGrace             time.Duration `yaml:"shutdown_grace" doc:"Time to finish the current page after SIGTERM; keep it under the orchestrator's kill timeout."`
}

// HTTP is the service's own listeners: the public one (webhooks, board,
// health) and, optionally, the operators' (metrics, readiness details,
// pprof).
type HTTP struct {
	Listen      string `yaml:"listen" doc:"Address of the HTTP listener, host:port or :port."`
	AdminListen string `yaml:"admin_listen" doc:"Address of a second listener for operators, e.g. :9090: /metrics, /readyz with each check's result, /debug/pprof. http.listen then keeps the webhooks, the board, /healthz and /readyz's status alone. Empty serves everything on http.listen."`
	Pprof       bool   `yaml:"pprof" doc:"Serve /debug/pprof (on http.admin_listen when set)."`
}

// Log configures the service's logs.
type Log struct {
	Level  string `yaml:"level" doc:"debug, info, warn or error."`
	Format string `yaml:"format" doc:"json, console, or auto: console on a terminal, JSON otherwise."`
}

// Webhooks configures the webhook receivers; they only enqueue work.
type Webhooks struct {
	Enabled           bool          `yaml:"enabled" doc:"Accept Zendesk and Jira webhooks."`
	ZendeskSecret     Secret        `yaml:"zendesk_secret" doc:"Zendesk webhook signing secret."`
	ZendeskSecretFile string        `yaml:"zendesk_secret_file" doc:"File holding zendesk_secret."`
	JiraSecret        Secret        `yaml:"jira_secret" doc:"Jira webhook secret."`
	JiraSecretFile    string        `yaml:"jira_secret_file" doc:"File holding jira_secret."`
	Tolerance         time.Duration `yaml:"tolerance" doc:"Oldest signature timestamp accepted (replay window)."`
	MaxBodyBytes      int64         `yaml:"max_body_bytes" doc:"Largest webhook body accepted."`
}

// Board configures the impact board.
type Board struct {
	Enabled           bool   `yaml:"enabled" doc:"Serve the impact board."`
	Token             Secret `yaml:"token" doc:"Bearer token that opens the board."`
	TokenFile         string `yaml:"token_file" doc:"File holding token."`
	BasicUser         string `yaml:"basic_user" doc:"Basic-auth user name that opens the board."`
	BasicPassword     Secret `yaml:"basic_password" doc:"Basic-auth password."`
	BasicPasswordFile string `yaml:"basic_password_file" doc:"File holding basic_password."`
	ShowCustomerNames bool   `yaml:"show_customer_names" doc:"Show organization names and ticket subjects on the board; off, organizations appear by id and tier and tickets by number. Requester names and emails are never stored."`
}

// Sidebar configures the Zendesk ticket-sidebar app (docs/sidebar.md).
type Sidebar struct {
	Enabled          bool     `yaml:"enabled" doc:"Serve the Zendesk ticket-sidebar app at /zendesk/app/sidebar and its API under /zendesk/app/api/."`
	AppID            int64    `yaml:"app_id" doc:"Id of the uploaded private app (Admin Center > Apps and integrations > Zendesk Support apps); its public key verifies Zendesk's signed requests."`
	InstallationID   int64    `yaml:"installation_id" doc:"Id of the app's installation on the account; a signed request for any other installation is refused."`
	AccountSubdomain string   `yaml:"account_subdomain" doc:"Subdomain of the account whose agents may open the app; default: zendesk.subdomain, or the host of zendesk.url when it is SUBDOMAIN.zendesk.com."`
	PublicURL        string   `yaml:"public_url" doc:"The service's address as agents' browsers reach it, e.g. https://sync.example.com (https, or http on localhost); the app package points there."`
	SessionKey       Secret   `yaml:"session_key" doc:"Key signing the panel's sessions: at least 32 random bytes shared by the replicas (openssl rand -hex 32); never a vendor credential."`
	SessionKeyFile   string   `yaml:"session_key_file" doc:"File holding session_key."`
	Project          string   `yaml:"project" doc:"Jira project agents file bugs in from the panel; one of jira.projects. Empty: the first of jira.projects."`
	IssueType        string   `yaml:"issue_type" doc:"Issue type of the bugs filed from the panel."`
	Components       []string `yaml:"components" doc:"Components of sidebar.project that bugs filed from the panel are in, by name; Jira refuses a name the project does not have."`
	Labels           []string `yaml:"labels" doc:"Labels the panel's bug form starts with, e.g. from-support; the agent may edit them. At most 20, each without spaces and at most 255 characters."`
}

// Default returns the configuration used for every key that is not set.
// Alone it is not valid: the accounts, credentials and projects have no
// defaults.
func Default() *Config {
	return &Config{
		Zendesk: Zendesk{
			LinkTagPrefix:           "jira_",
			MaxKeysPerTicket:        20,
			PageSize:                1000,
			RequestsPerMinute:       400,
			ExportRequestsPerMinute: 10,
		},
		Jira: Jira{
			Deployment:        "cloud",
			Priorities:        []string{"Highest", "High", "Medium", "Low", "Lowest"},
			RequestsPerSecond: 10,
			SearchOverlap:     2 * time.Minute,
			PageSize:          100,
		},
		Redis: Redis{
			URL:       "redis://127.0.0.1:6379/0",
			KeyPrefix: "helpdesk-sync:",
		},
		Policy: Policy{
			CountBy:       "organization",
			CountTickets:  "open",
			DefaultWeight: 1,
			Thresholds: []Threshold{
				{Customers: 10, Priority: "High"},
				{Customers: 25, Priority: "Highest"},
			},
			PriorityLockedLabel: "priority-locked",
			StatusTags: StatusTags{
				ToDo:       "bug_open",
				InProgress: "bug_in_progress",
				Done:       "bug_fixed",
				WontFix:    "bug_wont_fix",
				Released:   "bug_released",
			},
			WontFixResolutions: []string{"Won't Fix", "Won't Do", "Duplicate", "Cannot Reproduce", "Declined"},
			Notes:              true,
			TicketStatus: TicketStatus{
				WhileOpen: "hold",
				When:      "fixed",
				Then:      "open",
				Assign:    "last_agent",
			},
			Stale: Stale{
				Label: "customer-waiting-stale",
				Windows: map[string]time.Duration{
					"Highest": 48 * time.Hour,
					"High":    168 * time.Hour,
					"Medium":  720 * time.Hour,
					"Low":     2160 * time.Hour,
					"Lowest":  2160 * time.Hour,
				},
				DefaultWindow: 720 * time.Hour,
				Comment:       true,
			},
			Texts:              Texts{Language: "en"},
			MaxPriorityChanges: 50,
			MaxTicketUpdates:   2000,
			MaxBugEdits:        2000,
		},
		Sync: Sync{
			PollInterval:              time.Minute,
			WebhookPollInterval:       10 * time.Minute,
			SweepInterval:             time.Hour,
			ReleaseCheckInterval:      15 * time.Minute,
			OrganizationCheckInterval: 15 * time.Minute,
			Workers:                   4,
			CacheTTL:                  time.Hour,
			LeaseTTL:                  30 * time.Second,
			ShutdownGrace:             25 * time.Second,
		},
		HTTP: HTTP{Listen: ":8080"},
		Log:  Log{Level: "info", Format: "auto"},
		Webhooks: Webhooks{
			Tolerance:    5 * time.Minute,
			MaxBodyBytes: 1 << 20,
		},
		Sidebar: Sidebar{IssueType: "Bug"},
		Slack:   Slack{DigestHour: 9, TimeZone: "UTC", DigestTop: 10, OnInterrupted: "resend", MaxPending: 10000},
	}
}

// Warnings are the things Load accepted but an operator should hear about,
// such as secrets written in the YAML file.
func (c *Config) Warnings() []string { return append([]string(nil), c.warnings...) }

// Origin tells where the value of key (e.g. "jira.url") came from: a
// file and line ("config.yaml:12"), an environment variable ("env
// HELPDESK_SYNC_JIRA_URL"), a secret file ("file /run/secrets/x"), or ""
// for the default.
func (c *Config) Origin(key string) string { return c.origins[key] }

package config

import (
	"fmt"
	"maps"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // slack.time_zone must load in images without zoneinfo
)

// Slack configures the notices posted to Slack incoming webhooks
// (docs/slack.md). Every webhook URL is a secret.
type Slack struct {
	WebhookURL     Secret            `yaml:"webhook_url" doc:"Incoming-webhook URL (https://hooks.slack.com/services/…) of the webhook named default. Slack notices are off while no webhook is set."`
	WebhookURLFile string            `yaml:"webhook_url_file" doc:"File holding webhook_url."`
	Webhooks       map[string]Secret `yaml:"webhooks" doc:"More webhooks by name, name=URL (names: lower-case letters, digits, - and _). Secrets: set them in the environment, or use webhook_files."`
	WebhookFiles   map[string]string `yaml:"webhook_files" doc:"More webhooks by name, name=file holding the URL, e.g. eng=/run/secrets/slack-eng."`
	Rules          SlackRules        `yaml:"rules" doc:"Which notices go to which webhook: a list of {webhook, events, projects, priorities, min_customers, min_revenue}; in the environment a JSON list. Empty: every notice to every webhook."`
	DigestHour     int               `yaml:"digest_hour" doc:"Hour of the day (0 to 23, in time_zone) the daily digest is posted; -1 posts none."`
	TimeZone       string            `yaml:"time_zone" doc:"IANA time zone of digest_hour, e.g. Europe/Berlin."`
	DigestTop      int               `yaml:"digest_top" doc:"Bugs listed per section of the digest."`
	OnInterrupted  string            `yaml:"on_interrupted" doc:"A notice whose post was cut off by a crash (Slack may or may not have it): resend (marked as a possible repeat) or drop."`
	MaxPending     int               `yaml:"max_pending" doc:"Most notices waiting to be posted; past it new notices are dropped (and counted), so a long Slack outage cannot fill Redis."`
}

// SlackRule sends the notices it matches to one webhook; an empty filter
// matches every notice. The digest is about every bug, so a rule that
// filters bugs (projects, priorities, min_customers, min_revenue) never
// gets it.
type SlackRule struct {
	Webhook      string   `yaml:"webhook" json:"webhook"`
	Events       []string `yaml:"events" json:"events,omitempty"`
	Projects     []string `yaml:"projects" json:"projects,omitempty"`
	Priorities   []string `yaml:"priorities" json:"priorities,omitempty"`
	MinCustomers int      `yaml:"min_customers" json:"min_customers,omitempty"`
	// MinRevenue is in revenue.currency; only where revenue is counted.
	MinRevenue float64 `yaml:"min_revenue" json:"min_revenue,omitempty"`
}

// SlackRules are the routing rules in order; in the environment they are
// a JSON list.
type SlackRules []SlackRule

// SlackEvents are the notices rules name.
var SlackEvents = []string{"priority_raised", "stale", "fixed", "released", "digest"}

// DefaultWebhook names the webhook of slack.webhook_url.
const DefaultWebhook = "default"

var webhookName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Enabled reports whether any webhook is configured.
func (s Slack) Enabled() bool { return len(s.Hooks()) > 0 }

// Hooks are the configured webhooks by name, their URLs read.
func (s Slack) Hooks() map[string]Secret {
	out := map[string]Secret{}
	if s.WebhookURL != "" {
		out[DefaultWebhook] = s.WebhookURL
	}
	for name, u := range s.Webhooks {
		if u != "" {
			out[name] = u
		}
	}
	return out
}

// Location is time_zone loaded; UTC when it does not load (Load reports
// that).
func (s Slack) Location() *time.Location {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// resolveSlackSecrets reads slack.webhook_files into slack.webhooks and
// refuses webhook URLs written in the YAML file (unless
// allow_inline_secrets).
func resolveSlackSecrets(c *Config, p *problems) {
	for _, name := range slices.Sorted(maps.Keys(c.Slack.Webhooks)) {
		key := "slack.webhooks." + name
		if c.fromFile(key) || c.fromFile("slack.webhooks") {
			if nameIsURL(name) { // checkSlack says so; never in a key
				key = "slack.webhooks"
			}
			inline(c, p, key, "set slack.webhooks in the environment ("+envName("slack.webhooks")+") or name a file in slack.webhook_files")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Slack.WebhookFiles)) {
		key := "slack.webhook_files." + name
		if nameIsURL(name) {
			p.add("slack.webhook_files", "a webhook name looks like a URL",
				"write name=file, e.g. eng=/run/secrets/slack-eng, with the URL in that file", "")
			continue
		}
		if _, ok := c.Slack.Webhooks[name]; ok {
			p.add(key, fmt.Sprintf("webhook %q is also set in slack.webhooks", name), "keep one of them", "")
			continue
		}
		if looksLikeURL(c.Slack.WebhookFiles[name]) {
			p.add(key, "a URL, where the path of a file holding it is wanted",
				"write the path of the file holding the URL, or set the URL in slack.webhooks ("+envName("slack.webhooks")+"=name=URL) instead", "")
			continue
		}
		b, err := readLimited(c.Slack.WebhookFiles[name], maxSecretBytes)
		if err != nil {
			p.add(key, fmt.Sprintf("cannot read the webhook URL: %v", err), "mount the secret there or fix the path", "")
			continue
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			p.add(key, fmt.Sprintf("%q is empty", c.Slack.WebhookFiles[name]), "write the webhook URL into it", "")
			continue
		}
		if c.Slack.Webhooks == nil {
			c.Slack.Webhooks = map[string]Secret{}
		}
		c.Slack.Webhooks[name] = Secret(v)
	}
}

func (c *Config) checkSlack(p *problems) {
	s := c.Slack
	if _, ok := s.Webhooks[DefaultWebhook]; ok && s.WebhookURL != "" {
		p.add("slack.webhooks."+DefaultWebhook, "the name default is slack.webhook_url's", "rename this webhook or unset slack.webhook_url", "")
	}
	for _, name := range slices.Sorted(maps.Keys(s.Webhooks)) {
		// eng= is most likely a variable that expanded to nothing
		// (eng=$ENG_URL): say so rather than run without the webhook.
		if s.Webhooks[name] == "" && !nameIsURL(name) {
			p.add("slack.webhooks."+name, "the URL is empty", "set it (name=URL), or remove the name", "")
		}
	}
	hooks := s.Hooks()
	var names []string // the valid ones, which rules may name
	for _, name := range slices.Sorted(maps.Keys(hooks)) {
		key := "slack.webhooks." + name
		if name == DefaultWebhook && s.WebhookURL != "" {
			key = "slack.webhook_url"
		}
		switch {
		case nameIsURL(name):
			// Most likely the URL itself, in the name's place: not quoted,
			// and not in the key either.
			key = "slack.webhooks"
			p.add(key, "a webhook name looks like a URL", "write name=URL, e.g. eng=https://hooks.slack.com/services/…, with a name of lower-case letters, digits, - and _", "")
			continue
		case !webhookName.MatchString(name):
			p.add(key, fmt.Sprintf("%q is not a webhook name", name), "use lower-case letters, digits, - and _, at most 32", "")
		default:
			names = append(names, name)
		}
		checkWebhookURL(p, key, hooks[name].Value())
	}
	switch _, err := time.LoadLocation(s.TimeZone); {
	case err != nil || s.TimeZone == "":
		p.add("slack.time_zone", fmt.Sprintf("%q is not an IANA time zone", s.TimeZone), "write e.g. Europe/Berlin, America/New_York or UTC", "UTC")
	case s.TimeZone == "Local":
		// Go's name for the host's zone: UTC in the image, something else
		// on a laptop, so the digest's hour would depend on the machine.
		p.add("slack.time_zone", "Local is the machine's zone, which differs between hosts (UTC in the container image)",
			"name the zone, e.g. Europe/Berlin, America/New_York or UTC", "UTC")
	}
	switch s.OnInterrupted {
	case "resend", "drop":
	default:
		p.add("slack.on_interrupted", fmt.Sprintf("%q is neither resend nor drop", s.OnInterrupted),
			"resend posts a notice again, marked as a possible repeat; drop never posts it twice", "resend")
	}
	if len(s.Rules) > 0 && len(hooks) == 0 {
		p.add("slack.rules", "set, but no webhook is configured", "set slack.webhook_url (or slack.webhooks), or remove the rules", "")
	}
	// The rules' own problems too, so that all are fixed in one round.
	for i, r := range s.Rules {
		c.checkSlackRule(p, fmt.Sprintf("slack.rules[%d]", i), r, names)
	}
}

func (c *Config) checkSlackRule(p *problems, key string, r SlackRule, hooks []string) {
	configured := "name one of the configured webhooks: " + strings.Join(hooks, ", ")
	if len(hooks) == 0 {
		configured = "name " + DefaultWebhook + " (the webhook of slack.webhook_url) or a name of slack.webhooks"
	}
	switch {
	case r.Webhook == "":
		p.add(key+".webhook", "missing", configured, "")
	case nameIsURL(r.Webhook):
		// Not quoted: the URL is the secret.
		p.add(key+".webhook", "a URL, where a webhook name is wanted",
			"set the URL in slack.webhook_url or slack.webhooks (name=URL), and here "+configured, "")
	case len(hooks) == 0:
		// No webhook to name (slack.rules or slack.webhooks says why):
		// naming one is no mistake of the rule's.
	case !slices.Contains(hooks, r.Webhook):
		p.add(key+".webhook", fmt.Sprintf("%q is not a configured webhook", r.Webhook), "name one of: "+strings.Join(hooks, ", "), "")
	}
	for j, ev := range r.Events {
		if !slices.Contains(SlackEvents, ev) {
			p.add(fmt.Sprintf("%s.events[%d]", key, j), fmt.Sprintf("%q is not a notice", ev), "write one of "+strings.Join(SlackEvents, ", "), "")
		}
	}
	for j, pr := range r.Projects {
		if !slices.Contains(c.Jira.Projects, pr) {
			p.add(fmt.Sprintf("%s.projects[%d]", key, j), fmt.Sprintf("%q is not one of jira.projects", pr), "write one of "+strings.Join(c.Jira.Projects, ", "), "")
		}
	}
	for j, pr := range r.Priorities {
		if !slices.Contains(c.Jira.Priorities, pr) {
			p.add(fmt.Sprintf("%s.priorities[%d]", key, j), fmt.Sprintf("%q is not one of jira.priorities", pr), "write one of "+strings.Join(c.Jira.Priorities, ", ")+" (as the site spells them)", "")
		}
	}
	if r.MinCustomers < 0 || r.MinCustomers > maxCount {
		p.add(key+".min_customers", fmt.Sprintf("%d is outside 0..%d", r.MinCustomers, maxCount), "write the fewest customers a notice needs, e.g. 5", "")
	}
	switch {
	case r.MinRevenue < 0 || r.MinRevenue > maxRevenue || math.IsNaN(r.MinRevenue):
		p.add(key+".min_revenue", fmt.Sprintf("%s is out of range (0 up to %s)", formatFloat(r.MinRevenue), formatFloat(maxRevenue)),
			"write the least revenue waiting a notice needs, in revenue.currency, e.g. 100000", "")
	case r.MinRevenue > 0 && c.Revenue.Field == "":
		p.add(key+".min_revenue", "set, but revenue.field is empty, so no bug has a revenue waiting",
			"set revenue.field and revenue.currency to count revenue, or remove min_revenue from this rule", "")
	}
	filters := len(r.Projects) > 0 || len(r.Priorities) > 0 || r.MinCustomers > 0 || r.MinRevenue > 0
	if filters && len(r.Events) == 1 && r.Events[0] == "digest" {
		p.add(key+".events", "only digest, with projects, priorities, min_customers or min_revenue: the digest is about every bug, so this rule gets nothing",
			"drop the filters from this rule, or add other notices to events", "")
	}
}

// checkWebhookURL checks a webhook URL without ever quoting it: its path
// is the secret. http is accepted on loopback only (a local stand-in).
func checkWebhookURL(p *problems, key, raw string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		p.add(key, "the value is not an http(s) URL", "copy the webhook URL Slack shows (https://hooks.slack.com/services/…)", "")
		return
	}
	if u.User != nil {
		p.add(key, "the URL carries credentials", "copy the webhook URL Slack shows, without user or password", "")
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		p.add(key, "the URL is plain http to "+u.Hostname(), "use https: the URL is a credential and messages are private", "")
	}
}

// nameIsURL reports whether s, written where a webhook name is wanted, is
// most likely the URL itself (no name holds ":" or "/"): then it is never
// quoted, nor made part of a key.
func nameIsURL(s string) bool { return strings.ContainsAny(s, ":/") }

// looksLikeURL reports whether s, written where a file path, a value or a
// map key is wanted, is most likely a URL: a webhook URL in the wrong
// place is the secret itself, so it is never quoted in a problem, made
// part of a key, or printed by validate --print.
func looksLikeURL(s string) bool {
	return strings.Contains(s, "://") || strings.Contains(s, "hooks.slack.com/")
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// slackSecrets are the webhook URLs and their paths (a logged request
// line carries the path alone), for the log redactor.
func (c *Config) slackSecrets() []string {
	var out []string
	hooks := c.Slack.Hooks()
	for _, n := range slices.Sorted(maps.Keys(hooks)) {
		v := hooks[n].Value()
		out = append(out, v)
		if u, err := url.Parse(v); err == nil && len(u.Path) > 1 {
			out = append(out, u.Path)
		}
	}
	return out
}

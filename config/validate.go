package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	projectPattern   = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,9}$`)
	fieldPattern     = regexp.MustCompile(`^customfield_[0-9]{1,12}$`)
	subdomainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// Validate checks the values of c, including the rules that span keys,
// and returns an *Error listing every problem, or nil. Load runs it; call
// it after changing a Config by hand.
func (c *Config) Validate() error {
	p := newProblems(c)
	c.check(p)
	return p.err()
}

func (c *Config) check(p *problems) {
	c.checkZendesk(p)
	c.checkJira(p)
	c.checkRedis(p)
	c.checkPolicy(p)
	c.checkRevenue(p)
	c.checkStale(p)
	c.checkTicketStatus(p)
	c.checkTexts(p)
	c.checkSync(p)
	c.checkEndpoints(p)
	c.checkSidebar(p)
	c.checkSlack(p)
	c.checkBounds(p)
	c.checkSecretLengths(p)
}

// given reports whether a secret is set, or named by a _file key whose
// problem, if any, is reported on its own.
func given(v Secret, file string) bool { return v != "" || file != "" }

func (c *Config) checkZendesk(p *problems) {
	z := c.Zendesk
	switch {
	case z.URL == "" && z.Subdomain == "":
		p.add("zendesk.url", "not set, nor is zendesk.subdomain", "set the account URL, e.g. url: https://acme.zendesk.com", "https://acme.zendesk.com")
	case z.URL != "" && z.Subdomain != "":
		p.add("zendesk.subdomain", "set together with zendesk.url", "keep one of them", "")
	case z.URL != "":
		if checkURL(p, "zendesk.url", z.URL, "https://acme.zendesk.com") {
			u, _ := url.Parse(z.URL)
			if strings.Trim(strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v2"), "/") != "" || u.RawQuery != "" || u.Fragment != "" {
				p.add("zendesk.url", fmt.Sprintf("%q is not the account's root URL", z.URL), "drop the path, e.g. url: https://acme.zendesk.com", "https://acme.zendesk.com")
			}
		}
	case !subdomainPattern.MatchString(z.Subdomain):
		p.add("zendesk.subdomain", fmt.Sprintf("%q is not a subdomain", z.Subdomain),
			"write the first label of the account's host, e.g. subdomain: acme for https://acme.zendesk.com", "acme")
	}

	c.checkZendeskAuth(p)

	checkTag(p, "zendesk.link_tag_prefix", z.LinkTagPrefix, "jira_")
	if z.KeysFieldID == 0 && z.LinkTagPrefix == "" && !z.SubjectKeys && !c.Jira.TrackerLinks {
		p.add("zendesk.keys_field_id", "0 with link_tag_prefix empty and subject_keys and jira.tracker_links off: nothing links a ticket to a bug",
			"set keys_field_id to the ticket field holding bug keys, or link_tag_prefix: jira_", "")
	}
	if within("zendesk.requests_per_minute", float64(z.RequestsPerMinute)) && within("zendesk.export_requests_per_minute", float64(z.ExportRequestsPerMinute)) &&
		z.ExportRequestsPerMinute > z.RequestsPerMinute {
		inRange(p, "zendesk.export_requests_per_minute", z.ExportRequestsPerMinute, 1, z.RequestsPerMinute)
	}
	if !z.StartTime.IsZero() && z.StartTime.After(time.Now()) {
		p.add("zendesk.start_time", fmt.Sprintf("%s is in the future", z.StartTime.Format(time.RFC3339)),
			"the export starts from a past time; leave it empty to start at the beginning of the account", "")
	}
}

// checkZendeskAuth: email and API token, or an OAuth token.
func (c *Config) checkZendeskAuth(p *problems) {
	z := c.Zendesk
	token, oauth := given(z.Token, z.TokenFile), given(z.OAuthToken, z.OAuthTokenFile)
	switch {
	case oauth && (z.Email != "" || token):
		p.add("zendesk.oauth_token", "set together with zendesk.email and zendesk.token", "authenticate one way: email and token, or oauth_token", "")
	case oauth:
	case z.Email == "" && !token:
		p.add("zendesk.token", "no credentials", "set email and an API token, e.g. token_file: /run/secrets/zendesk-token, or oauth_token", "<API token>")
	case z.Email == "":
		p.add("zendesk.email", "not set, but token is", "set the email of the token's user, e.g. email: sync@acme.com", "sync@acme.com")
	case !token:
		p.add("zendesk.token", "not set, but email is", "set the API token, e.g. token_file: /run/secrets/zendesk-token", "<API token>")
	}
	if z.Email != "" && !strings.Contains(z.Email, "@") {
		p.add("zendesk.email", fmt.Sprintf("%q is not an email address", z.Email), "set the email of the token's user, e.g. email: sync@acme.com", "sync@acme.com")
	}
}

func (c *Config) checkJira(p *problems) {
	j := c.Jira
	if j.URL == "" {
		p.add("jira.url", "not set", "set the site URL, e.g. url: https://acme.atlassian.net", "https://acme.atlassian.net")
	} else if checkURL(p, "jira.url", j.URL, "https://acme.atlassian.net") {
		if u, _ := url.Parse(j.URL); u.RawQuery != "" || u.Fragment != "" {
			p.add("jira.url", fmt.Sprintf("%q has a query or fragment", j.URL), "write the site URL only, e.g. url: https://acme.atlassian.net", "https://acme.atlassian.net")
		}
	}
	c.checkJiraAuth(p)

	if len(j.Projects) == 0 {
		p.add("jira.projects", "empty", "set at least one project key, e.g. projects: [PROJ]", "PROJ")
	}
	for i, pr := range j.Projects {
		key := fmt.Sprintf("jira.projects[%d]", i)
		switch {
		case !projectPattern.MatchString(pr):
			p.add(key, fmt.Sprintf("%q is not a project key", pr), "write it as Jira shows it: 2-10 upper-case letters, digits or _, starting with a letter, e.g. PROJ", "PROJ")
		case slices.Index(j.Projects, pr) < i:
			p.add(key, fmt.Sprintf("%q is listed twice", pr), "keep one", "")
		}
	}
	if j.CustomerCountField != "" && !fieldPattern.MatchString(j.CustomerCountField) {
		p.add("jira.customer_count_field", fmt.Sprintf("%q is not a custom field id", j.CustomerCountField),
			"write the field's id, e.g. customer_count_field: customfield_10042", "customfield_10042")
	}
	if len(j.Priorities) == 0 {
		p.add("jira.priorities", "empty", "list the site's priorities, highest first, e.g. priorities: [Highest, High, Medium, Low, Lowest]", "Highest,High,Medium,Low,Lowest")
	}
	for i, pr := range j.Priorities {
		if slices.Index(j.Priorities, pr) < i {
			p.add(fmt.Sprintf("jira.priorities[%d]", i), fmt.Sprintf("%q is listed twice", pr), "keep one", "")
		}
	}
}

// checkJiraAuth: Cloud takes email and API token, Data Center a personal
// access token.
func (c *Config) checkJiraAuth(p *problems) {
	j := c.Jira
	switch j.Deployment {
	case "cloud":
		if j.Email == "" {
			p.add("jira.email", "not set; Jira Cloud authenticates with the service account's email and API token", "set it, e.g. email: sync@acme.com", "sync@acme.com")
		}
		if !given(j.Token, j.TokenFile) {
			p.add("jira.token", "not set; Jira Cloud authenticates with the service account's email and API token",
				"set the API token, e.g. token_file: /run/secrets/jira-token", "<API token>")
		}
		if given(j.PAT, j.PATFile) {
			p.add("jira.pat", "set, but deployment is cloud, which authenticates with email and token", "remove it, or set deployment: datacenter", "")
		}
	case "datacenter":
		if !given(j.PAT, j.PATFile) {
			p.add("jira.pat", "not set; Jira Data Center authenticates with a personal access token",
				"set it, e.g. pat_file: /run/secrets/jira-pat", "<personal access token>")
		}
		if given(j.Token, j.TokenFile) {
			p.add("jira.token", "set, but deployment is datacenter, which authenticates with pat", "remove it, or set deployment: cloud", "")
		}
	default:
		p.add("jira.deployment", fmt.Sprintf("%q is neither cloud nor datacenter", j.Deployment), "set deployment: cloud or deployment: datacenter", "cloud")
	}
}

func (c *Config) checkRedis(p *problems) {
	r := c.Redis
	if len(r.Addrs) > 0 {
		if c.origins["redis.url"] != "" {
			p.add("redis.addrs", "set together with redis.url ("+c.origins["redis.url"]+")", "keep addrs for Sentinel or Cluster, or url for a single server", "")
		}
		for i, a := range r.Addrs {
			if !validHostPort(a) {
				p.add(fmt.Sprintf("redis.addrs[%d]", i), fmt.Sprintf("%q is not host:port", a), "write e.g. redis-sentinel-0:26379", "")
			}
		}
	} else {
		if r.URL == "" {
			p.add("redis.url", "not set", "set it, e.g. url: redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0")
		} else if _, err := redis.ParseURL(r.URL); err != nil {
			p.add("redis.url", fmt.Sprintf("%q: %v", redactURL(r.URL), strings.TrimPrefix(err.Error(), "redis: ")),
				"write e.g. url: redis://127.0.0.1:6379/0 or rediss://user@host:6380/0", "redis://127.0.0.1:6379/0")
		}
		if r.MasterName != "" {
			p.add("redis.master_name", fmt.Sprintf("%q is set, but addrs is empty", r.MasterName), "list the Sentinels in addrs", "")
		}
	}
	if u, err := url.Parse(r.URL); err == nil && u.User != nil && len(r.Addrs) == 0 {
		if _, ok := u.User.Password(); ok && given(r.Password, r.PasswordFile) {
			p.add("redis.password", "set, and redis.url carries a password too", "keep one of them", "")
		}
	}
	if r.KeyPrefix == "" {
		p.add("redis.key_prefix", "empty", "set a prefix, e.g. key_prefix: \"helpdesk-sync:\"", "helpdesk-sync:")
	} else if strings.ContainsAny(r.KeyPrefix, " \t\r\n*?[]") {
		p.add("redis.key_prefix", fmt.Sprintf("%q has spaces or glob characters", r.KeyPrefix), "use letters, digits, - _ and :, e.g. key_prefix: \"helpdesk-sync:\"", "helpdesk-sync:")
	}
}

func (c *Config) checkPolicy(p *problems) {
	po := c.Policy
	oneOf(p, "policy.count_by", po.CountBy, "organization", "requester")
	oneOf(p, "policy.count_tickets", po.CountTickets, "open", "all")
	if len(po.TierWeights) > 0 && c.Zendesk.TierField == "" {
		p.add("policy.tier_weights", "set, but zendesk.tier_field is empty, so no customer has a tier",
			"set zendesk.tier_field to the organization field holding the tier, or remove tier_weights", "")
	}
	c.checkThresholds(p)
	checkLabel(p, "policy.priority_locked_label", po.PriorityLockedLabel, true)
	for i, l := range po.CountLabels {
		key := fmt.Sprintf("policy.count_labels[%d]", i)
		checkLabel(p, key+".label", l.Label, false)
		if slices.IndexFunc(po.CountLabels, func(o CountLabel) bool { return o.Customers == l.Customers }) < i {
			p.add(key+".customers", fmt.Sprintf("%s is used by an earlier count label", formatFloat(l.Customers)), "keep one label per count", "")
		}
	}
	c.checkStatusTags(p)
}

// checkStatusTags: each tag is a Zendesk tag, and no two states share one
// (a tag must say which state it shows).
func (c *Config) checkStatusTags(p *problems) {
	po := c.Policy
	tags := map[string]string{}
	for _, t := range []struct{ key, tag string }{
		{"policy.status_tags.todo", po.StatusTags.ToDo},
		{"policy.status_tags.in_progress", po.StatusTags.InProgress},
		{"policy.status_tags.done", po.StatusTags.Done},
		{"policy.status_tags.wont_fix", po.StatusTags.WontFix},
		{"policy.status_tags.released", po.StatusTags.Released},
	} {
		if t.tag == "" {
			continue
		}
		checkTag(p, t.key, t.tag, "bug_fixed")
		if other, ok := tags[t.tag]; ok {
			p.add(t.key, fmt.Sprintf("%q is also %s", t.tag, other), "give each status its own tag", "")
		}
		tags[t.tag] = t.key
	}
}

// checkThresholds: each names a known priority, and a larger count always
// means a higher priority, or a bug would be lowered as it gains customers.
func (c *Config) checkThresholds(p *problems) {
	ths := c.Policy.Thresholds
	prios := c.Jira.Priorities
	for i, t := range ths {
		key := fmt.Sprintf("policy.thresholds[%d]", i)
		if !slices.Contains(prios, t.Priority) {
			p.add(key+".priority", fmt.Sprintf("%q is not one of jira.priorities %v", t.Priority, prios),
				"use a name from jira.priorities (case matters), or add it there", "")
		}
	}
	checkOrder(p, ths, prios, "customers", func(t Threshold) float64 { return t.Customers }, "10=High,25=Highest")
	checkOrder(p, ths, prios, "revenue", func(t Threshold) float64 { return t.Revenue }, "revenue:100000=High,revenue:500000=Highest")
}

// checkOrder checks the thresholds that set one criterion (of returns it,
// 0 when unset) among themselves.
func checkOrder(p *problems, ths []Threshold, prios []string, name string, of func(Threshold) float64, example string) {
	var order []int
	for i, t := range ths {
		if of(t) != 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return of(ths[order[a]]) < of(ths[order[b]]) })
	for n := 1; n < len(order); n++ {
		lo, hi := ths[order[n-1]], ths[order[n]]
		rlo, rhi := slices.Index(prios, lo.Priority), slices.Index(prios, hi.Priority)
		key := fmt.Sprintf("policy.thresholds[%d]", order[n])
		switch {
		case of(lo) == of(hi):
			p.add(key+"."+name, fmt.Sprintf("%s is used by another threshold", formatFloat(of(hi))), "give each threshold its own "+name, "")
		case rlo >= 0 && rhi >= 0 && rhi >= rlo:
			// No variable example: the whole list is one variable, and an
			// example would drop the thresholds it leaves out.
			p.add(key, fmt.Sprintf("%s %s raises to %s, but the lower %s %s already raises to %s",
				name, formatFloat(of(hi)), hi.Priority, name, formatFloat(of(lo)), lo.Priority),
				"more "+name+" must mean a higher priority, e.g. "+example, "")
		}
	}
}

func (c *Config) checkStale(p *problems) {
	s := c.Policy.Stale
	checkLabel(p, "policy.stale.label", s.Label, true)
	if s.Label == "" {
		return
	}
	for _, prio := range sortedKeys(s.Windows) {
		key := "policy.stale.windows." + prio
		if !slices.Contains(c.Jira.Priorities, prio) {
			p.add(key, fmt.Sprintf("%q is not one of jira.priorities %v", prio, c.Jira.Priorities), "use a name from jira.priorities (case matters)", "")
		}
	}
}

// checkSync: the reconciler's pace.
func (c *Config) checkSync(p *problems) {
	s := c.Sync
	if within("sync.poll_interval", float64(s.PollInterval)) && within("sync.webhook_poll_interval", float64(s.WebhookPollInterval)) &&
		s.WebhookPollInterval < s.PollInterval {
		p.add("sync.webhook_poll_interval", fmt.Sprintf("%s is shorter than sync.poll_interval %s", formatDuration(s.WebhookPollInterval), formatDuration(s.PollInterval)),
			"it is the slower backstop while webhooks work; set it at least as long", "")
	}
}

// checkEndpoints: the listener, the logs, and what guards the webhooks
// and the board.
func (c *Config) checkEndpoints(p *problems) {
	if !validHostPort(c.HTTP.Listen) {
		p.add("http.listen", fmt.Sprintf("%q is not host:port", c.HTTP.Listen), "write e.g. listen: \":8080\" or 127.0.0.1:8080", ":8080")
	}
	checkAdminListen(p, c.HTTP)
	oneOf(p, "log.level", c.Log.Level, "info", "debug", "warn", "error")
	oneOf(p, "log.format", c.Log.Format, "auto", "json", "console")

	w := c.Webhooks
	if w.Enabled && !given(w.ZendeskSecret, w.ZendeskSecretFile) && !given(w.JiraSecret, w.JiraSecretFile) {
		p.add("webhooks.enabled", "true, but neither zendesk_secret nor jira_secret is set, so every webhook would be refused",
			"set the signing secret of each webhook you configured, e.g. zendesk_secret_file: /run/secrets/zendesk-webhook", "")
	}

	b := c.Board
	password := given(b.BasicPassword, b.BasicPasswordFile)
	if b.BasicUser != "" && !password {
		p.add("board.basic_password", "not set, but basic_user is", "set it, e.g. basic_password_file: /run/secrets/board-password", "")
	}
	if b.BasicUser == "" && password {
		p.add("board.basic_user", "not set, but basic_password is", "set the user name that goes with it", "")
	}
	if b.Enabled && !given(b.Token, b.TokenFile) && (b.BasicUser == "" || !password) {
		p.add("board.enabled", "true, but neither token nor basic_user and basic_password is set, so nobody could open the board",
			"set token_file, or basic_user and basic_password_file", "")
	}
}

// checkURL reports whether raw is an absolute http(s) URL without
// credentials, adding a problem when it is not.
func checkURL(p *problems, key, raw, example string) bool {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		p.add(key, fmt.Sprintf("%q is not an http(s) URL", redactURL(raw)), "write it like "+leafName(key)+": "+example, example)
		return false
	case u.User != nil:
		p.add(key, fmt.Sprintf("%q carries credentials", redactURL(raw)), "remove them from the URL; each has a key of its own", "")
		return false
	}
	return true
}

// redactURL shows a URL without its password, even one that does not
// parse.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(raw, "@"); i >= 0 {
		return "…" + raw[i:]
	}
	return raw
}

// checkAdminListen: the admin listener, when set, is an address of its
// own.
func checkAdminListen(p *problems, h HTTP) {
	switch {
	case h.AdminListen == "":
	case !validHostPort(h.AdminListen):
		p.add("http.admin_listen", fmt.Sprintf("%q is not host:port", h.AdminListen), "write e.g. admin_listen: \":9090\", or leave it empty to serve everything on http.listen", ":9090")
	case sameListener(h.Listen, h.AdminListen):
		p.add("http.admin_listen", fmt.Sprintf("%q is http.listen's address too", h.AdminListen), "give it a port of its own, e.g. admin_listen: \":9090\", or leave it empty to serve everything on http.listen", ":9090")
	}
}

// sameListener reports whether two listen addresses would take the same
// port: the same non-zero port on the same host, or on every host.
func sameListener(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb || pa == "0" {
		return false
	}
	wild := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || wild(ha) || wild(hb)
}

func validHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// oneOf checks that v is one of allowed; the first is the example.
func oneOf(p *problems, key, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		p.add(key, fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", ")),
			"set e.g. "+leafName(key)+": "+allowed[0], allowed[0])
	}
}

func inRange(p *problems, key string, n, lo, hi int) {
	if n < lo || n > hi {
		p.add(key, fmt.Sprintf("%d is outside %d..%d", n, lo, hi), fmt.Sprintf("set a value from %d to %d", lo, hi), "")
	}
}

// checkTag checks a Zendesk tag (or tag prefix): Zendesk lower-cases tags
// and splits them on spaces and commas.
func checkTag(p *problems, key, tag, example string) {
	if tag != strings.ToLower(tag) || strings.ContainsAny(tag, " \t\r\n,") {
		p.add(key, fmt.Sprintf("%q is not a lower-case word", tag), "Zendesk lower-cases tags and splits them at spaces and commas; write e.g. "+example, "")
	}
}

// checkLabel checks a Jira label, which cannot hold spaces.
func checkLabel(p *problems, key, label string, emptyOK bool) {
	switch {
	case label == "" && !emptyOK:
		p.add(key, "empty", "set a label", "")
	case strings.ContainsAny(label, " \t\r\n"):
		p.add(key, fmt.Sprintf("%q has spaces, which Jira labels cannot", label), "join the words with - or _", "")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

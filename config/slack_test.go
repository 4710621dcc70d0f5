package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const slackURL = "https://hooks.slack.com/services/T000/B000/SeCrEtToKeN"

func TestSlackRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		key    string
		want   string
	}{
		{"off by default", func(c *Config) {}, "", ""},
		{"one webhook, no rules", func(c *Config) { c.Slack.WebhookURL = slackURL }, "", ""},
		{"loopback http is fine", func(c *Config) { c.Slack.WebhookURL = "http://127.0.0.1:8080/services/x" }, "", ""},
		{"plain http elsewhere", func(c *Config) { c.Slack.WebhookURL = "http://hooks.slack.com/services/x" }, "slack.webhook_url", "plain http"},
		{"not a URL, not echoed", func(c *Config) { c.Slack.WebhookURL = "hooks.slack.com/services/SeCrEtToKeN" }, "slack.webhook_url", "not an http(s) URL"},
		{"bad name", func(c *Config) { c.Slack.Webhooks = map[string]Secret{"Eng Team": slackURL} }, "slack.webhooks.Eng Team", "not a webhook name"},
		{"default twice", func(c *Config) {
			c.Slack.WebhookURL, c.Slack.Webhooks = slackURL, map[string]Secret{"default": slackURL}
		}, "slack.webhooks.default", "slack.webhook_url's"},
		{"rules without webhooks", func(c *Config) { c.Slack.Rules = SlackRules{{Webhook: "default"}} }, "slack.rules", "no webhook is configured"},
		{"rules without webhooks, their own problems too", func(c *Config) {
			c.Slack.Rules = SlackRules{{Webhook: "default", Events: []string{"reopened"}}}
		}, "slack.rules[0].events[0]", `"reopened" is not a notice`},
		{"rule names a URL, not echoed", func(c *Config) {
			c.Slack.WebhookURL, c.Slack.Rules = slackURL, SlackRules{{Webhook: slackURL}}
		}, "slack.rules[0].webhook", "a URL, where a webhook name is wanted; set the URL in slack.webhook_url or slack.webhooks (name=URL), and here name one of the configured webhooks: default"},
		{"rule names a URL, no webhooks, not echoed", func(c *Config) { c.Slack.Rules = SlackRules{{Webhook: slackURL}} },
			"slack.rules[0].webhook", "a URL, where a webhook name is wanted; set the URL in slack.webhook_url or slack.webhooks (name=URL), and here name default"},
		{"rule names unknown webhook", func(c *Config) {
			c.Slack.WebhookURL, c.Slack.Rules = slackURL, SlackRules{{Webhook: "eng"}}
		}, "slack.rules[0].webhook", `"eng" is not a configured webhook; name one of: default`},
		{"rule without webhook", func(c *Config) {
			c.Slack.WebhookURL, c.Slack.Rules = slackURL, SlackRules{{}}
		}, "slack.rules[0].webhook", "missing"},
		{"unknown event", func(c *Config) {
			c.Slack.WebhookURL, c.Slack.Rules = slackURL, SlackRules{{Webhook: "default"}, {Webhook: "default", Events: []string{"stale", "reopened"}}}
		}, "slack.rules[1].events[1]", `"reopened" is not a notice`},
		{"unknown project", func(c *Config) {
			c.Slack.WebhookURL, c.Slack.Rules = slackURL, SlackRules{{Webhook: "default", Projects: []string{"OPS"}}}
		}, "slack.rules[0].projects[0]", "not one of jira.projects"},
		{"unknown priority", func(c *Config) {
			c.Slack.WebhookURL, c.Slack.Rules = slackURL, SlackRules{{Webhook: "default", Priorities: []string{"Urgent"}}}
		}, "slack.rules[0].priorities[0]", "not one of jira.priorities"},
		{"negative customers", func(c *Config) {
			c.Slack.WebhookURL, c.Slack.Rules = slackURL, SlackRules{{Webhook: "default", MinCustomers: -1}}
		}, "slack.rules[0].min_customers", "outside"},
		{"filtered digest", func(c *Config) {
			c.Slack.WebhookURL, c.Slack.Rules = slackURL, SlackRules{{Webhook: "default", Events: []string{"digest"}, MinCustomers: 3}}
		}, "slack.rules[0].events", "the digest is about every bug"},
		{"URL as the name, not echoed", func(c *Config) { c.Slack.Webhooks = map[string]Secret{slackURL: "eng"} }, "slack.webhooks", "a webhook name looks like a URL"},
		{"min revenue where revenue is counted", func(c *Config) {
			c.Revenue = Revenue{Field: "arr", Currency: "EUR"}
			c.Slack.WebhookURL, c.Slack.Rules = slackURL, SlackRules{{Webhook: "default", Events: []string{"priority_raised"}, MinRevenue: 100000}}
		}, "", ""},
		{"min revenue without revenue", func(c *Config) {
			c.Slack.WebhookURL, c.Slack.Rules = slackURL, SlackRules{{Webhook: "default", MinRevenue: 100000}}
		}, "slack.rules[0].min_revenue", "set, but revenue.field is empty, so no bug has a revenue waiting; set revenue.field and revenue.currency"},
		{"negative revenue", func(c *Config) {
			c.Revenue = Revenue{Field: "arr", Currency: "EUR"}
			c.Slack.WebhookURL, c.Slack.Rules = slackURL, SlackRules{{Webhook: "default", MinRevenue: -1}}
		}, "slack.rules[0].min_revenue", "-1 is out of range"},
		{"revenue-filtered digest", func(c *Config) {
			c.Revenue = Revenue{Field: "arr", Currency: "EUR"}
			c.Slack.WebhookURL, c.Slack.Rules = slackURL, SlackRules{{Webhook: "default", Events: []string{"digest"}, MinRevenue: 1}}
		}, "slack.rules[0].events", "the digest is about every bug"},
		{"bad zone", func(c *Config) { c.Slack.TimeZone = "Mars/Olympus" }, "slack.time_zone", "not an IANA time zone"},
		{"the machine's zone", func(c *Config) { c.Slack.TimeZone = "Local" }, "slack.time_zone", "Local is the machine's zone"},
		{"bad hour", func(c *Config) { c.Slack.DigestHour = 24 }, "slack.digest_hour", "24 is over 23"},
		{"bad interrupted", func(c *Config) { c.Slack.OnInterrupted = "maybe" }, "slack.on_interrupted", "neither resend nor drop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.mutate(c)
			err := c.Validate()
			if strings.Contains(errString(err), "SeCrEtToKeN") {
				t.Errorf("the error shows the webhook's secret: %v", err)
			}
			if tt.key == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			problemAt(t, err, tt.key, tt.want)
		})
	}
}

func TestSlackFromEnvAndFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "eng")
	if err := os.WriteFile(file, []byte(slackURL+"/eng\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(writeFile(t, "c.yaml", minimal), envOf(secretEnv, map[string]string{
		"HELPDESK_SYNC_SLACK_WEBHOOK_URL":   slackURL,
		"HELPDESK_SYNC_SLACK_WEBHOOK_FILES": "eng=" + file,
		"HELPDESK_SYNC_SLACK_RULES":         `[{"webhook": "eng", "events": ["stale", "digest"]}, {"webhook": "default", "min_customers": 5}]`,
		"HELPDESK_SYNC_SLACK_TIME_ZONE":     "Europe/Berlin",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	hooks := c.Slack.Hooks()
	if hooks["default"].Value() != slackURL || hooks["eng"].Value() != slackURL+"/eng" {
		t.Errorf("hooks = %v", hooks)
	}
	if len(c.Slack.Rules) != 2 || c.Slack.Rules[1].MinCustomers != 5 || c.Slack.Location().String() != "Europe/Berlin" {
		t.Errorf("slack = %+v", c.Slack)
	}
	var paths int
	for _, s := range c.Secrets() {
		if s == "/services/T000/B000/SeCrEtToKeN" || s == "/services/T000/B000/SeCrEtToKeN/eng" {
			paths++
		}
	}
	if paths != 2 {
		t.Errorf("Secrets() lacks the webhook paths: %d of 2", paths)
	}

	_, err = Load(writeFile(t, "c.yaml", minimal), envOf(secretEnv, map[string]string{
		"HELPDESK_SYNC_SLACK_WEBHOOK_URL": slackURL,
		"HELPDESK_SYNC_SLACK_RULES":       `[{"webhook": "default", "min_customer": 5}]`,
	}))
	problemAt(t, err, "slack.rules", "unknown field")

	c, err = Load(writeFile(t, "c.yaml", minimal+"revenue:\n  field: arr\n  currency: EUR\n"), envOf(secretEnv, map[string]string{
		"HELPDESK_SYNC_SLACK_WEBHOOK_URL": slackURL,
		"HELPDESK_SYNC_SLACK_RULES":       `[{"webhook": "default", "min_revenue": 250000.5}]`,
	}))
	if err != nil {
		t.Fatalf("Load with min_revenue: %v", err)
	}
	if got := c.Slack.Rules[0].MinRevenue; got != 250000.5 {
		t.Errorf("min_revenue = %v, want 250000.5", got)
	}
}

// TestSlackWebhooksEnvNotEchoed: a slip in HELPDESK_SYNC_SLACK_WEBHOOKS
// (the URL without its name, the two swapped) is named without the URL.
func TestSlackWebhooksEnvNotEchoed(t *testing.T) {
	tests := []struct {
		name, env, key, want string
	}{
		{"URL without a name", slackURL, "slack.webhooks", "item 1 is not name=value"},
		{"URL and name swapped", slackURL + "=eng", "slack.webhooks", "a webhook name looks like a URL"},
		{"name twice", "eng=" + slackURL + ",eng=" + slackURL + "/2", "slack.webhooks", "item 2 repeats an earlier name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, "c.yaml", minimal), envOf(secretEnv, map[string]string{"HELPDESK_SYNC_SLACK_WEBHOOKS": tt.env}))
			p := problemAt(t, err, tt.key, tt.want)
			if strings.Contains(err.Error(), "SeCrEtToKeN") {
				t.Errorf("the error shows the secret: %v", err)
			}
			if p.Fix == "" || p.Env == "" {
				t.Errorf("problem without fix or variable: %+v", p)
			}
		})
	}
}

func TestSlackInlineWebhookRefused(t *testing.T) {
	_, err := Load(writeFile(t, "c.yaml", minimal+"slack:\n  webhooks:\n    eng: "+slackURL+"\n"), envOf(secretEnv))
	p := problemAt(t, err, "slack.webhooks.eng", "a secret written in the config file")
	if strings.Contains(p.String(), "SeCrEtToKeN") {
		t.Errorf("the problem shows the secret: %s", p)
	}
}

// TestSlackBadValues: bad slack values, in the file or the environment,
// are named in the configuration's terms, never Go's, and a URL in the
// wrong place is never echoed: it may be a webhook's.
func TestSlackBadValues(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        map[string]string
		key, want  string
	}{
		{name: "rules JSON cut short", env: map[string]string{"HELPDESK_SYNC_SLACK_RULES": `[{"webhook": "` + slackURL + `"}`},
			key: "slack.rules", want: `not valid JSON: it ends early (a closing ] or } or " missing?); write a JSON list of rules, e.g. [{"webhook": "default", "events": ["stale"]}]`},
		{name: "rules JSON with a stray comma", env: map[string]string{"HELPDESK_SYNC_SLACK_RULES": `[{"webhook": "` + slackURL + `",}]`},
			key: "slack.rules", want: "not valid JSON at byte 71: invalid character '}' looking for beginning of object key string; write a JSON list of rules"},
		{name: "rules an object", env: map[string]string{"HELPDESK_SYNC_SLACK_RULES": `{"webhook": "default"}`},
			key: "slack.rules", want: `a JSON object, where a list is wanted; write a JSON list of rules, e.g. [{"webhook": "default"`},
		{name: "rules followed by more", env: map[string]string{"HELPDESK_SYNC_SLACK_RULES": `[{"webhook": "default"}] []`},
			key: "slack.rules", want: "not valid JSON: more after a list's end"},
		{name: "rule a URL string", env: map[string]string{"HELPDESK_SYNC_SLACK_RULES": `["` + slackURL + `"]`},
			key: "slack.rules", want: "item 1: a JSON string, where an object is wanted"},
		{name: "rule field of the wrong type", env: map[string]string{"HELPDESK_SYNC_SLACK_RULES": `[{"webhook": "default"}, {"webhook": "default", "min_customers": "5"}]`},
			key: "slack.rules", want: "item 2: min_customers: a JSON string, where a whole number is wanted"},
		{name: "rule field unknown", env: map[string]string{"HELPDESK_SYNC_SLACK_RULES": `[{"webhook": "default", "min_customer": 5}]`},
			key: "slack.rules", want: `item 1: unknown field "min_customer"; fields: webhook, events, projects, priorities, min_customers, min_revenue`},
		{name: "rule naming a URL, from the environment", env: map[string]string{"HELPDESK_SYNC_SLACK_RULES": `[{"webhook": "` + slackURL + `"}]`},
			key: "slack.rules[0].webhook", want: "a URL, where a webhook name is wanted"},
		{name: "rule naming a URL, in the file", yaml: "  rules: [{webhook: '" + slackURL + "'}]",
			key: "slack.rules[0].webhook", want: "a URL, where a webhook name is wanted"},
		{name: "rules a map in the file", yaml: "  rules: {webhook: default}",
			key: "slack.rules", want: "not a list; write a list of rules, e.g. rules: [{webhook: default, events: [stale]}]"},
		{name: "webhook file a URL", env: map[string]string{"HELPDESK_SYNC_SLACK_WEBHOOK_FILES": "eng=" + slackURL},
			key: "slack.webhook_files.eng", want: "a URL, where the path of a file holding it is wanted"},
		{name: "webhook files a URL alone", env: map[string]string{"HELPDESK_SYNC_SLACK_WEBHOOK_FILES": slackURL},
			key: "slack.webhook_files", want: "item 1 is not name=value"},
		{name: "webhook file named by a URL", yaml: "  webhook_files: {'" + slackURL + "': /run/secrets/eng}",
			key: "slack.webhook_files", want: "a webhook name looks like a URL"},
		{name: "webhook named by a URL, bad value", yaml: "  webhooks: {'" + slackURL + "': [eng]}",
			key: "slack.webhooks", want: "not a single value"},
		{name: "webhook_url_file a URL", yaml: "  webhook_url_file: " + slackURL,
			key: "slack.webhook_url_file", want: "a URL, where the path of a file holding the secret is wanted; write the path of the file, or set slack.webhook_url itself (HELPDESK_SYNC_SLACK_WEBHOOK_URL)"},
		{name: "webhook with an empty URL", env: map[string]string{"HELPDESK_SYNC_SLACK_WEBHOOKS": "eng="},
			key: "slack.webhooks.eng", want: "the URL is empty; set it (name=URL), or remove the name"},
		{name: "webhooks without names", env: map[string]string{"HELPDESK_SYNC_SLACK_WEBHOOKS": "eng"},
			key: "slack.webhooks", want: "write comma-separated name=URL pairs, e.g. eng=https://hooks.slack.com/services/…"},
		{name: "a URL as a number", env: map[string]string{"HELPDESK_SYNC_SLACK_MAX_PENDING": slackURL},
			key: "slack.max_pending", want: "the value: not a whole number"},
		{name: "a URL as a number, in the file", yaml: "  digest_top: " + slackURL,
			key: "slack.digest_top", want: "the value: not a whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := minimal
			if tt.yaml != "" {
				content += "slack:\n" + tt.yaml + "\n"
			}
			_, err := Load(writeFile(t, "c.yaml", content), envOf(secretEnv, tt.env))
			problemAt(t, err, tt.key, tt.want)
			for _, leak := range []string{"SeCrEtToKeN", "json:", "Go value", "config."} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("the error shows %q: %v", leak, err)
				}
			}
		})
	}
}

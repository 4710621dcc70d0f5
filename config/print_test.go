package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// everySecret sets every secret by its variable, with distinctive values.
var everySecret = map[string]string{
	"HELPDESK_SYNC_ZENDESK_TOKEN":           "s3cret-zendesk-token",
	"HELPDESK_SYNC_JIRA_TOKEN":              "s3cret-jira-token",
	"HELPDESK_SYNC_REDIS_PASSWORD":          "s3cret-redis-password",
	"HELPDESK_SYNC_WEBHOOKS_ZENDESK_SECRET": "s3cret-zendesk-webhook-signing-secret-xyz",
	"HELPDESK_SYNC_WEBHOOKS_JIRA_SECRET":    "s3cret-jira-webhook",
	"HELPDESK_SYNC_BOARD_TOKEN":             "s3cret-board-token",
	"HELPDESK_SYNC_BOARD_BASIC_USER":        "lead",
	"HELPDESK_SYNC_BOARD_BASIC_PASSWORD":    "s3cret-board-password",
}

func TestRedactedHidesSecretsAndReloads(t *testing.T) {
	c, err := Load("example.yaml", envOf(everySecret))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	out := c.Redacted()
	for _, shown := range []string{out, c.String(), fmt.Sprintf("%v %+v", c, *c)} {
		if strings.Contains(shown, "s3cret") {
			t.Fatalf("a secret is shown:\n%s", shown)
		}
	}
	for _, want := range []string{
		"token: '[redacted]' # env HELPDESK_SYNC_ZENDESK_TOKEN",
		"url: https://acme.zendesk.com # example.yaml:23",
		"thresholds: [{customers: 10, priority: High}, {customers: 25, priority: Highest}] # example.yaml:",
		"    windows: # example.yaml:",
		"  poll_interval: 1m # example.yaml:",
		"  subdomain: \"\"\n", // a default: no comment
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// The output is a configuration in its own right: loaded again (with
	// the secrets again from the environment) it is the same.
	again, err := Load(writeFile(t, "printed.yaml", out), envOf(everySecret))
	if err != nil {
		t.Fatalf("Load of the printed configuration: %v\n%s", err, out)
	}
	a, b := c.leaves(), again.leaves()
	for i := range a {
		if !reflect.DeepEqual(a[i].v.Interface(), b[i].v.Interface()) {
			t.Errorf("%s: %#v printed and read back as %#v", a[i].key, a[i].v.Interface(), b[i].v.Interface())
		}
	}
}

func TestRedactedMasksTheRedisURLPassword(t *testing.T) {
	c, err := Load("example.yaml", envOf(everySecret, map[string]string{"REDIS_URL": "redis://u:s3cret-in-url@redis:6379/1"}))
	problemAt(t, err, "redis.password", "redis.url carries a password too")
	out := c.Redacted()
	if strings.Contains(out, "s3cret") || !strings.Contains(out, "url: redis://u:xxxxx@redis:6379/1 # env REDIS_URL") {
		t.Errorf("redis.url printed as:\n%s", out)
	}
}

// TestRedactedHidesMisplacedURLs: a webhook URL where a name or a file
// path is wanted is refused by Load, and not shown by the print of what
// it read either.
func TestRedactedHidesMisplacedURLs(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"as a webhook's name", map[string]string{"HELPDESK_SYNC_SLACK_WEBHOOKS": slackURL + "=eng"}},
		{"as a rule's webhook", map[string]string{"HELPDESK_SYNC_SLACK_WEBHOOK_URL": slackURL, "HELPDESK_SYNC_SLACK_RULES": `[{"webhook": "` + slackURL + `"}]`}},
		{"as a webhook file", map[string]string{"HELPDESK_SYNC_SLACK_WEBHOOK_FILES": "eng=" + slackURL}},
		{"as webhook_url_file", map[string]string{"HELPDESK_SYNC_SLACK_WEBHOOK_URL_FILE": slackURL}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("example.yaml", envOf(everySecret, tt.env))
			if err == nil {
				t.Fatal("Load accepted a misplaced URL")
			}
			if out := c.Redacted(); strings.Contains(out, "SeCrEtToKeN") {
				t.Errorf("the URL is shown:\n%s", out)
			}
		})
	}
}

package main

import (
	"strings"
	"testing"
)

// validate refuses bad Slack rules, naming each rule's key, and never
// shows a webhook URL.
func TestValidateRefusesBadSlackRules(t *testing.T) {
	const hook = "https://hooks.slack.com/services/T0/B0/TopSecretPath"
	env := append([]string{
		"HELPDESK_SYNC_SLACK_WEBHOOK_URL=" + hook,
		`HELPDESK_SYNC_SLACK_RULES=[{"webhook": "eng"}, {"webhook": "default", "events": ["fixed", "reopened"], "projects": ["NOPE"], "min_customers": -2}]`,
	}, exampleEnv...)
	code, _, stderr := runCLI(t, env, "validate", "--config", example)
	if code != exitConfig {
		t.Fatalf("exit %d, want %d\n%s", code, exitConfig, stderr)
	}
	for _, want := range []string{
		`slack.rules[0].webhook (env HELPDESK_SYNC_SLACK_RULES): "eng" is not a configured webhook; name one of: default`,
		`slack.rules[1].events[1] (env HELPDESK_SYNC_SLACK_RULES): "reopened" is not a notice`,
		`slack.rules[1].projects[0] (env HELPDESK_SYNC_SLACK_RULES): "NOPE" is not one of jira.projects`,
		`slack.rules[1].min_customers (env HELPDESK_SYNC_SLACK_RULES): -2 is outside`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "TopSecretPath") {
		t.Errorf("stderr shows the webhook URL:\n%s", stderr)
	}

	env = append([]string{"HELPDESK_SYNC_SLACK_WEBHOOK_URL=" + hook,
		`HELPDESK_SYNC_SLACK_RULES=[{"webhook": "default", "events": ["priority_raised"], "min_customers": 5}]`}, exampleEnv...)
	if code, stdout, stderr := runCLI(t, env, "validate", "--config", example); code != exitOK {
		t.Errorf("good rules: exit %d\n%s%s", code, stdout, stderr)
	}
}

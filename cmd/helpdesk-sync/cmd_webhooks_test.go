package main

import (
	"strings"
	"testing"
)

func TestWebhooksPrintSetup(t *testing.T) {
	env := append([]string{"HELPDESK_SYNC_JIRA_PROJECTS=PROJ,WEB"}, exampleEnv...)
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string
		stderr     []string
		stdoutGone []string
	}{
		{name: "no subcommand", args: []string{"webhooks"}, code: exitUsage, stderr: []string{"print-setup"}},
		{name: "no url", args: []string{"webhooks", "print-setup"}, code: exitUsage, stderr: []string{"--url: required"}},
		{name: "not a url", args: []string{"webhooks", "print-setup", "--url", "sync.example.com"}, code: exitUsage,
			stderr: []string{`"sync.example.com" is not an http(s) base URL`}},
		{name: "bad webhook id", args: []string{"webhooks", "print-setup", "--url", "https://s.example.com", "--zendesk-webhook-id", "x y"},
			code: exitUsage, stderr: []string{`--zendesk-webhook-id "x y"`}},
		{name: "setup", args: []string{"webhooks", "print-setup", "--url", "https://sync.example.com/", "--config", example}, code: exitOK,
			stdout: []string{
				"Endpoint https://sync.example.com/webhooks/zendesk, method POST",
				`"subscriptions": [` + "\n" + `           "conditional_ticket_events"`,
				`{"ticket_id":"{{ticket.id}}","updated_at":"{{ticket.updated_at_with_timestamp}}","status":"{{ticket.status}}"}`,
				`"field": "current_via_id",` + "\n" + `               "operator": "is_not",` + "\n" + `               "value": "5"`,
				"<id of the webhook created in step 1>",
				"URL https://sync.example.com/webhooks/jira",
				"Events: Issue: updated, deleted. JQL filter:\n\n     project in (PROJ, WEB)",
				"webhook_poll_interval: 10m0s",
			},
			stdoutGone: []string{"https://sync.example.com//", `\u003c`, "s3cret"}},
		{name: "webhook id filled in", args: []string{"webhooks", "print-setup", "--url", "https://sync.example.com", "--config", example,
			"--zendesk-webhook-id", "01GZ4NC7QYA1NB4P1Q0TKSPH3C"}, code: exitOK,
			stdout: []string{`"01GZ4NC7QYA1NB4P1Q0TKSPH3C",`}, stdoutGone: []string{"<id of the webhook"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, env, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			for _, s := range tc.stdoutGone {
				if strings.Contains(stdout, s) {
					t.Errorf("stdout has %q:\n%s", s, stdout)
				}
			}
		})
	}
}

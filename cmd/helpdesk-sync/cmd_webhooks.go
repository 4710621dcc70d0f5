package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/helpdesk-sync/helpdesk-sync/config"
)

func (a *app) webhooksCommand() *ffcli.Command {
	fs := flag.NewFlagSet("webhooks", flag.ContinueOnError)
	a.globalFlags(fs)
	return &ffcli.Command{
		Name:        "webhooks",
		ShortUsage:  "helpdesk-sync webhooks print-setup --url URL",
		ShortHelp:   "show how to point Zendesk and Jira webhooks at the service",
		FlagSet:     fs,
		Subcommands: []*ffcli.Command{a.printSetupCommand()},
		Exec: func(context.Context, []string) error {
			return usageErrorf("webhooks needs a subcommand: print-setup")
		},
	}
}

func (a *app) printSetupCommand() *ffcli.Command {
	fs := flag.NewFlagSet("print-setup", flag.ContinueOnError)
	a.globalFlags(fs)
	public := fs.String("url", "", "public `URL` the service's HTTP port is reached at, e.g. https://sync.example.com")
	hookID := fs.String("zendesk-webhook-id", "", "`id` of the Zendesk webhook once created, filled into the trigger")
	return &ffcli.Command{
		Name:       "print-setup",
		ShortUsage: "helpdesk-sync webhooks print-setup --url URL [--zendesk-webhook-id ID]",
		ShortHelp:  "print what to configure in Zendesk and Jira so that changes arrive within seconds",
		LongHelp: "Prints the Zendesk webhook and trigger (conditions and JSON body) and the Jira webhook\n" +
			"(events and JQL filter, from jira.projects) that send changes to this service, and the\n" +
			"service settings that go with them. It reads the configuration and makes no request.",
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			base, err := publicURL(*public)
			if err != nil {
				return usageErrorf("--url: %v", err)
			}
			cfg, err := a.loadConfig()
			var cerr *config.Error
			switch {
			case errors.As(err, &cerr):
				fmt.Fprintf(a.stderr, "warning: %s has %s; run 'helpdesk-sync validate'. The setup below uses what could be read.\n",
					a.configSource(), plural(len(cerr.Problems), "problem", "problems"))
			case err != nil:
				return err
			}
			if cfg == nil {
				cfg = config.Default()
			}
			return printSetup(a.stdout, base, *hookID, cfg)
		},
	}
}

// publicURL checks the service's public base URL and trims a trailing
// slash.
func publicURL(s string) (string, error) {
	if s == "" {
		return "", errors.New("required: the public URL of the service, e.g. https://sync.example.com")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an http(s) base URL such as https://sync.example.com", s)
	}
	return strings.TrimSuffix(s, "/"), nil
}

// zendeskTriggerBody is the JSON the trigger sends; the receiver reads
// ticket_id (as a string or a number) and ignores the rest, which is there
// for people reading Zendesk's webhook activity log.
const zendeskTriggerBody = `{"ticket_id":"{{ticket.id}}","updated_at":"{{ticket.updated_at_with_timestamp}}","status":"{{ticket.status}}"}`

// viaWebService is Zendesk's via id of changes made through the API: the
// service's own writes, which the trigger must not send back.
const viaWebService = "5"

func printSetup(w io.Writer, base, hookID string, cfg *config.Config) error {
	if hookID == "" {
		hookID = "<id of the webhook created in step 1>"
	} else if _, err := strconv.ParseInt(hookID, 10, 64); err != nil && !isULID(hookID) {
		return usageErrorf("--zendesk-webhook-id %q is not a Zendesk webhook id", hookID)
	}
	webhook := map[string]any{"webhook": map[string]any{
		"name": "helpdesk-sync", "endpoint": base + "/webhooks/zendesk", "http_method": "POST",
		"request_format": "json", "status": "active", "subscriptions": []string{"conditional_ticket_events"},
	}}
	trigger := map[string]any{"trigger": map[string]any{
		"title":       "helpdesk-sync: ticket changed",
		"description": "Tells helpdesk-sync which ticket changed; changes made through the API (helpdesk-sync's own) are left out.",
		"conditions": map[string]any{"all": []map[string]string{
			{"field": "current_via_id", "operator": "is_not", "value": viaWebService},
		}},
		"actions": []map[string]any{{"field": "notification_webhook", "value": []string{hookID, zendeskTriggerBody}}},
	}}
	projects := cfg.Jira.Projects
	jql := "project in (" + strings.Join(projects, ", ") + ")"
	if len(projects) == 0 {
		jql = "project in (<jira.projects is not set>)"
	}
	events := "Issue: updated, deleted"
	if cfg.Jira.TrackerLinks {
		events = "Issue: created, updated, deleted"
	}

	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# helpdesk-sync webhooks for %s\n\n", base)
	p("Deliveries only name what changed; the service reads it afresh and reconciles within\n")
	p("seconds. Polling goes on as the backstop (every sync.webhook_poll_interval while both\n")
	p("vendors deliver), so a missed delivery is repaired.\n\n")

	p("## Zendesk\n\n")
	p("1. Webhook: Admin Center > Apps and integrations > Webhooks > Create webhook >\n")
	p("   \"Trigger or automation\". Endpoint %s/webhooks/zendesk, method POST,\n", base)
	p("   format JSON, no authentication. Or through the API, POST /api/v2/webhooks with:\n\n")
	if err := indentJSON(w, webhook); err != nil {
		return err
	}
	p("\n   Then reveal its signing secret (webhook page > Signing secret, or\n")
	p("   GET /api/v2/webhooks/{id}/signing_secret) and give it to the service as\n")
	p("   webhooks.zendesk_secret_file (or HELPDESK_SYNC_WEBHOOKS_ZENDESK_SECRET).\n\n")
	p("2. Trigger: Admin Center > Objects and rules > Triggers > Add trigger.\n")
	p("   Conditions, meet ALL: \"Ticket > Update via\" is not \"Web service (API)\" (the\n")
	p("   service's own writes come through the API; without this each of them echoes back\n")
	p("   as one more delivery, harmless but a wasted read). Actions: \"Notify by > Active\n")
	p("   webhook\" helpdesk-sync with this JSON body:\n\n")
	p("     %s\n\n", zendeskTriggerBody)
	p("   Or through the API, POST /api/v2/triggers with:\n\n")
	if err := indentJSON(w, trigger); err != nil {
		return err
	}
	p("\n   Tickets changed by other API integrations then reach the service by the backstop\n")
	p("   poll. Zendesk's event-subscription webhooks (zen:event-type:ticket.*) are accepted\n")
	p("   too, in place of the trigger.\n\n")

	p("## Jira\n\n")
	p("3. Webhook: Settings > System > WebHooks > Create a WebHook (an admin webhook; only\n")
	p("   these are signed). URL %s/webhooks/jira, a secret of 16 characters or more (its\n", base)
	p("   Generate secret button makes one, as does openssl rand -hex 16), given\n")
	p("   to the service as webhooks.jira_secret_file (or HELPDESK_SYNC_WEBHOOKS_JIRA_SECRET).\n")
	p("   Events: %s. JQL filter:\n\n", events)
	p("     %s\n\n", jql)
	p("   Comment events are not needed: a comment updates its issue. Remote links added in\n")
	p("   Jira send no event; the backstop poll finds them.\n\n")

	p("## The service\n\n")
	p("   webhooks:\n     enabled: true\n     zendesk_secret_file: /run/secrets/zendesk-webhook\n")
	p("     jira_secret_file: /run/secrets/jira-webhook\n     tolerance: %s\n     max_body_bytes: %d\n",
		cfg.Webhooks.Tolerance, cfg.Webhooks.MaxBodyBytes)
	p("   sync:\n     webhook_poll_interval: %s\n\n", cfg.Sync.WebhookPollInterval)
	p("   Every replica serves POST /webhooks/zendesk and POST /webhooks/jira on http.listen\n")
	p("   (%s); put them behind the public URL above with TLS.\n", cfg.HTTP.Listen)
	return nil
}

// indentJSON writes v indented under a list item, without HTML escaping
// (the placeholder's angle brackets stay readable).
func indentJSON(w io.Writer, v any) error {
	if _, err := io.WriteString(w, "     "); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("     ", "  ")
	return enc.Encode(v)
}

// isULID accepts Zendesk's webhook ids, e.g. 01GZ4NC7QYA1NB4P1Q0TKSPH3C.
func isULID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

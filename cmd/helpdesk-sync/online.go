package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
)

// onlineCheck is one line of validate --online: the configuration key it
// is about, and the fix when it failed.
type onlineCheck struct {
	system, name, key, fix string
	err                    error
}

// zendeskKeys and jiraKeys map a preflight check to the configuration key
// an operator changes to fix it.
var zendeskKeys = map[string][2]string{
	"connection":    {"zendesk.url / zendesk.subdomain", "check the account URL, and that this machine reaches it (DNS, proxy, firewall); a 5xx is Zendesk's side, try again later"},
	"credentials":   {"zendesk.email / zendesk.token", "check the API token (Admin Center > Apps and integrations > Zendesk API) and the email of its user"},
	"admin":         {"zendesk.token", "use an API token of an admin: the incremental export is admin-only"},
	"keys_field":    {"zendesk.keys_field_id", "create an active text ticket field for bug keys and set its id"},
	"status_field":  {"zendesk.status_field_id", "create an active text ticket field for the bug status and set its id, or 0 to show status by tags only"},
	"tier_field":    {"zendesk.tier_field", "set the key of the organization field holding the tier, or empty to count without weights"},
	"revenue_field": {"revenue.field", "create a decimal or integer organization field for the revenue and set its key, or empty to turn revenue off"},
}

var jiraKeys = map[string][2]string{
	"connection":           {"jira.url", "check the site URL, and that this machine reaches it (DNS, proxy, firewall); a 5xx is Jira's side, try again later"},
	"credentials":          {"jira.email / jira.token (jira.pat)", "check the service account's API token (Cloud) or personal access token (Data Center)"},
	"customer_count_field": {"jira.customer_count_field", "create a Number custom field and set its id (customfield_NNNNN)"},
	"revenue_field":        {"revenue.jira_field", "create a Number custom field of its own and set its id (customfield_NNNNN), or empty to keep the revenue off the bug"},
	"priorities":           {"jira.priorities / policy.thresholds", "name the priorities exactly as the site does"},
}

// runOnline makes the read-only checks of validate --online and prints one
// line per check; it reports whether all passed.
func runOnline(ctx context.Context, cfg *config.Config, log *zap.Logger, w io.Writer) (bool, error) {
	// The budgets stay in this process: Redis is checked on its own line,
	// and the vendors are checked whether or not it answers.
	svc, err := service.New(cfg, service.Options{NoLease: true, LocalBudgets: true, Logger: log})
	if err != nil {
		return false, err
	}
	defer svc.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	var checks []onlineCheck
	redis := onlineCheck{system: "redis", name: "ping", key: "redis.url / redis.addrs", fix: "start Redis or fix its address and credentials"}
	redis.err = svc.Ping(ctx)
	checks = append(checks, redis)
	for _, c := range svc.Helpdesk.Preflight(ctx) {
		k := zendeskKeys[c.Name]
		checks = append(checks, onlineCheck{system: "zendesk", name: c.Name, key: k[0], fix: k[1], err: c.Err})
	}
	for _, c := range svc.Tracker.Preflight(ctx, cfg.Jira.Priorities) {
		k, ok := jiraKeys[c.Name]
		if !ok && strings.HasPrefix(c.Name, "project ") {
			k = [2]string{"jira.projects", "remove the project or give the service account Browse projects on it"}
		}
		checks = append(checks, onlineCheck{system: "jira", name: c.Name, key: k[0], fix: k[1], err: c.Err})
	}

	ok := true
	for _, c := range checks {
		if c.err == nil {
			fmt.Fprintf(w, "ok    %-8s %s\n", c.system, c.name)
			continue
		}
		ok = false
		if c.key == "" { // a check not mapped above: its error says the fix
			fmt.Fprintf(w, "FAIL  %-8s %s: %v\n", c.system, c.name, c.err)
			continue
		}
		fmt.Fprintf(w, "FAIL  %-8s %s: %v\n      fix %s: %s\n", c.system, c.name, c.err, c.key, c.fix)
	}
	return ok, nil
}

package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// Check is one finding of Preflight: what was checked and, when it failed,
// why.
type Check struct {
	Name string // "connection", "credentials", "customer_count_field", "priorities", "project <KEY>"
	Err  error
}

// Preflight checks, with read-only requests, that Jira accepts the
// credentials, that the customer-count field exists and is a number field,
// that every priority the policy names exists, and that every configured
// project is visible to the service account. When the first request fails,
// that is the only check: "credentials" when Jira refused them,
// "connection" when no Jira answered (refused, unknown host, a page that is
// not the API, a server error).
func (c *Client) Preflight(ctx context.Context, priorities []string) []Check {
	if _, err := c.myself(ctx); err != nil {
		name := "connection"
		if e := (*Error)(nil); errors.As(err, &e) && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden) {
			name = "credentials"
		}
		return []Check{{Name: name, Err: err}}
	}
	checks := []Check{{Name: "credentials"}}
	if c.countField != "" {
		checks = append(checks, Check{Name: "customer_count_field", Err: c.checkNumberField(ctx, c.countField, "customer count")})
	}
	if c.revenueField != "" {
		checks = append(checks, Check{Name: "revenue_field", Err: c.checkNumberField(ctx, c.revenueField, "revenue waiting")})
	}
	if len(priorities) > 0 {
		checks = append(checks, Check{Name: "priorities", Err: c.checkPriorities(ctx, priorities)})
	}
	for _, p := range c.projects {
		_, resp, err := c.jc.Project.GetWithContext(ctx, p)
		var cerr error
		if err != nil {
			cerr = goJiraError("read project", p, resp, err)
		}
		checks = append(checks, Check{Name: "project " + p, Err: cerr})
	}
	return checks
}

// checkNumberField checks that field id exists and is a Number field, as
// what (the customer count, the revenue waiting) needs.
func (c *Client) checkNumberField(ctx context.Context, id, what string) error {
	fields, resp, err := c.jc.Field.GetListWithContext(ctx)
	if err != nil {
		return goJiraError("list fields", "", resp, err)
	}
	for _, f := range fields {
		if f.ID != id {
			continue
		}
		if f.Schema.Type != "number" {
			return fmt.Errorf("jira: field %s (%q) is of type %q; the %s needs a Number field", f.ID, f.Name, f.Schema.Type, what)
		}
		return nil
	}
	return fmt.Errorf("jira: no field has the id %s; create a Number custom field and use its id (GET /rest/api/2/field lists them)", id)
}

func (c *Client) checkPriorities(ctx context.Context, want []string) error {
	list, resp, err := c.jc.Priority.GetListWithContext(ctx)
	if err != nil {
		return goJiraError("list priorities", "", resp, err)
	}
	var have []string
	for _, p := range list {
		have = append(have, p.Name)
	}
	var missing []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("jira: priorities %q do not exist on the site (it has %q); spell them as Jira does", missing, have)
	}
	return nil
}

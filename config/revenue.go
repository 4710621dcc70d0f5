package config

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
)

// Revenue weighs bugs by the revenue waiting on them (docs/behaviour.md).
// Off (field empty), nothing about revenue is read, written or shown.
type Revenue struct {
	Field     string `yaml:"field" doc:"organization_fields key holding each organization's revenue, e.g. arr (a Zendesk integer or decimal field); empty turns revenue off. Missing, negative or non-numeric values count 0, with one warning per organization."`
	Currency  string `yaml:"currency" doc:"ISO 4217 code of the field's values, e.g. EUR: every value is taken as this currency and never converted. Required with field."`
	JiraField string `yaml:"jira_field" doc:"Number field the revenue waiting on a bug is written to, e.g. customfield_10043; empty leaves it off the bug (it still counts, and shows on the board)."`
}

// maxRevenue bounds revenue thresholds: a thousand trillion of any currency.
const maxRevenue = 1e15

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// checkRevenue: a field with its currency, a Jira number field, and
// revenue thresholds only where revenue is counted.
func (c *Config) checkRevenue(p *problems) {
	r := c.Revenue
	switch {
	case r.Field == "" && r.Currency != "":
		p.add("revenue.currency", "set, but revenue.field is empty, so no revenue is counted",
			"set revenue.field to the organization field holding the revenue, e.g. field: arr, or remove currency", "")
	case r.Field == "" && r.JiraField != "":
		p.add("revenue.jira_field", "set, but revenue.field is empty, so there is no revenue to write",
			"set revenue.field to the organization field holding the revenue, e.g. field: arr, or remove jira_field", "")
	case r.Field != "" && r.Currency == "":
		p.add("revenue.currency", "not set, but revenue.field is",
			"name the one currency the field's values are in, e.g. currency: EUR (values are never converted)", "EUR")
	case r.Field != "" && !currencyPattern.MatchString(r.Currency):
		p.add("revenue.currency", fmt.Sprintf("%q is not an ISO 4217 currency code", r.Currency), "write three capital letters, e.g. currency: EUR", "EUR")
	}
	if r.JiraField != "" && !fieldPattern.MatchString(r.JiraField) {
		p.add("revenue.jira_field", fmt.Sprintf("%q is not a custom field id", r.JiraField),
			"write the Number field's id, e.g. jira_field: customfield_10043", "customfield_10043")
	}
	if r.JiraField != "" && r.JiraField == c.Jira.CustomerCountField {
		p.add("revenue.jira_field", fmt.Sprintf("%q is also jira.customer_count_field", r.JiraField), "give the revenue a Number field of its own", "")
	}
	for i, t := range c.Policy.Thresholds {
		key := fmt.Sprintf("policy.thresholds[%d]", i)
		switch {
		case t.Revenue < 0 || t.Revenue > maxRevenue || math.IsNaN(t.Revenue):
			p.add(key+".revenue", fmt.Sprintf("%s is out of range (more than 0, up to %s)", formatFloat(t.Revenue), strconv.FormatFloat(maxRevenue, 'f', -1, 64)),
				"write the revenue waiting that raises the bug, e.g. {revenue: 100000, priority: High}", "")
		case t.Customers == 0 && t.Revenue == 0:
			p.add(key, "sets neither customers nor revenue above 0", "set customers, revenue or both, e.g. {revenue: 100000, priority: High} or 10=High", "")
		case t.Revenue > 0 && r.Field == "":
			p.add(key+".revenue", "set, but revenue.field is empty, so no bug has a revenue waiting",
				"set revenue.field (and revenue.currency) to count revenue, or remove the threshold's revenue", "")
		}
	}
}

package slack

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Kind is a kind of notice.
type Kind string

// The kinds of notice.
const (
	KindPriorityRaised Kind = "priority_raised"
	KindStale          Kind = "stale"
	KindFixed          Kind = "fixed"
	KindReleased       Kind = "released"
	KindDigest         Kind = "digest"
)

var kinds = []Kind{KindPriorityRaised, KindStale, KindFixed, KindReleased, KindDigest}

// Rule sends the events it matches to one webhook. An empty filter
// matches everything. The digest is about every bug, so it goes only to
// rules without bug filters (Projects, Priorities, MinCustomers,
// MinRevenue).
type Rule struct {
	Webhook      string   // a configured webhook's name
	Events       []Kind   // empty: every kind
	Projects     []string // Jira project keys
	Priorities   []string // priority names, as in Jira
	MinCustomers int      // at least this many customers waiting
	// MinRevenue: at least this much revenue waiting, in the configured
	// currency. Only where revenue is counted: the caller checks that.
	MinRevenue float64
}

// Rules are the routing rules, in configuration order.
type Rules []Rule

// Validate checks rs against the configured webhook names. Each error
// names the rule's index and field.
func (rs Rules) Validate(webhooks []string) error {
	var errs []string
	bad := func(i int, field, format string, a ...any) {
		errs = append(errs, fmt.Sprintf("slack.rules[%d].%s: %s", i, field, fmt.Sprintf(format, a...)))
	}
	for i, r := range rs {
		switch {
		case r.Webhook == "":
			bad(i, "webhook", "missing: name one of the configured webhooks (%s)", strings.Join(webhooks, ", "))
		case !slices.Contains(webhooks, r.Webhook):
			bad(i, "webhook", "%q is not a configured webhook (have: %s)", r.Webhook, strings.Join(webhooks, ", "))
		}
		for _, k := range r.Events {
			if !slices.Contains(kinds, k) {
				bad(i, "events", "unknown event %q (known: %s)", k, kindList())
			}
		}
		for _, p := range r.Projects {
			if !validProject(p) {
				bad(i, "projects", "%q is not a Jira project key (upper-case letter, then upper-case letters, digits or _)", p)
			}
		}
		for _, p := range r.Priorities {
			if strings.TrimSpace(p) == "" {
				bad(i, "priorities", "an empty priority name")
			}
		}
		if r.MinCustomers < 0 {
			bad(i, "min_customers", "%d is negative", r.MinCustomers)
		}
		switch {
		case math.IsNaN(r.MinRevenue):
			bad(i, "min_revenue", "not a number")
		case r.MinRevenue < 0:
			bad(i, "min_revenue", "%v is negative", r.MinRevenue)
		}
		if len(r.Events) == 1 && r.Events[0] == KindDigest && r.filtersBugs() {
			bad(i, "events", "a digest-only rule cannot filter by project, priority, customers or revenue: the digest is about every bug")
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid Slack routing rules:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

// filtersBugs reports whether r picks bugs: such a rule gets no digest,
// which is about every bug.
func (r Rule) filtersBugs() bool {
	return len(r.Projects) > 0 || len(r.Priorities) > 0 || r.MinCustomers > 0 || r.MinRevenue > 0
}

func validProject(p string) bool {
	if p == "" || p[0] < 'A' || p[0] > 'Z' {
		return false
	}
	for _, c := range p {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func kindList() string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Facts are what routing looks at in an event.
type Facts struct {
	Kind      Kind
	Project   string
	Priority  string
	Customers int
	Revenue   float64 // revenue waiting; 0 where revenue is not counted
}

// Route returns the webhooks the event goes to, each once, in rule order.
func (rs Rules) Route(f Facts) []string {
	var out []string
	for _, r := range rs {
		if r.matches(f) && !slices.Contains(out, r.Webhook) {
			out = append(out, r.Webhook)
		}
	}
	return out
}

func (r Rule) matches(f Facts) bool {
	if len(r.Events) > 0 && !slices.Contains(r.Events, f.Kind) {
		return false
	}
	if f.Kind == KindDigest {
		return !r.filtersBugs()
	}
	if len(r.Projects) > 0 && !slices.Contains(r.Projects, f.Project) {
		return false
	}
	if len(r.Priorities) > 0 && !slices.ContainsFunc(r.Priorities, func(p string) bool { return strings.EqualFold(p, f.Priority) }) {
		return false
	}
	return f.Customers >= r.MinCustomers && f.Revenue >= r.MinRevenue
}

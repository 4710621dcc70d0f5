package slack

import (
	"slices"
	"strings"
	"testing"
)

func TestRulesValidate(t *testing.T) {
	hooks := []string{"eng", "cs"}
	for _, tc := range []struct {
		name  string
		rules Rules
		want  []string // substrings of the error; none: valid
	}{
		{"valid", Rules{{Webhook: "eng", Events: []Kind{KindPriorityRaised}, Projects: []string{"PROJ", "A_1"}, MinCustomers: 5, MinRevenue: 1e5}, {Webhook: "cs"}}, nil},
		{"no webhook", Rules{{}}, []string{"slack.rules[0].webhook: missing"}},
		{"unknown webhook", Rules{{Webhook: "eng"}, {Webhook: "sales"}}, []string{`slack.rules[1].webhook: "sales" is not a configured webhook (have: eng, cs)`}},
		{"unknown event", Rules{{Webhook: "eng", Events: []Kind{"resolved"}}}, []string{`slack.rules[0].events: unknown event "resolved"`}},
		{"bad project", Rules{{Webhook: "eng", Projects: []string{"proj"}}}, []string{`slack.rules[0].projects: "proj" is not a Jira project key`}},
		{"empty priority", Rules{{Webhook: "eng", Priorities: []string{" "}}}, []string{"slack.rules[0].priorities: an empty priority"}},
		{"negative customers", Rules{{Webhook: "eng", MinCustomers: -1}}, []string{"slack.rules[0].min_customers: -1 is negative"}},
		{"filtered digest", Rules{{Webhook: "eng", Events: []Kind{KindDigest}, Projects: []string{"P"}}}, []string{"slack.rules[0].events: a digest-only rule"}},
		{"negative revenue", Rules{{Webhook: "eng", MinRevenue: -0.5}}, []string{"slack.rules[0].min_revenue: -0.5 is negative"}},
		{"revenue filtered digest", Rules{{Webhook: "eng", Events: []Kind{KindDigest}, MinRevenue: 1}}, []string{"slack.rules[0].events: a digest-only rule"}},
		{"every error at once", Rules{{Webhook: "x"}, {Webhook: "eng", MinCustomers: -2}}, []string{"rules[0].webhook", "rules[1].min_customers"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rules.Validate(hooks)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestRulesRoute(t *testing.T) {
	rules := Rules{
		{Webhook: "eng", Events: []Kind{KindPriorityRaised, KindStale}, Projects: []string{"PROJ"}},
		{Webhook: "exec", Priorities: []string{"Highest"}, MinCustomers: 10},
		{Webhook: "cs", Events: []Kind{KindFixed, KindReleased, KindDigest}},
		{Webhook: "eng", Events: []Kind{KindDigest}},
		{Webhook: "sales", Events: []Kind{KindPriorityRaised, KindFixed}, MinRevenue: 100000},
	}
	for _, tc := range []struct {
		name string
		f    Facts
		want []string
	}{
		{"raised in PROJ", Facts{Kind: KindPriorityRaised, Project: "PROJ", Priority: "High", Customers: 3}, []string{"eng"}},
		{"raised elsewhere", Facts{Kind: KindPriorityRaised, Project: "OPS", Priority: "High", Customers: 3}, nil},
		{"highest, many customers", Facts{Kind: KindStale, Project: "PROJ", Priority: "highest", Customers: 10}, []string{"eng", "exec"}},
		{"highest, too few customers", Facts{Kind: KindStale, Project: "OPS", Priority: "Highest", Customers: 9}, nil},
		{"fixed", Facts{Kind: KindFixed, Project: "OPS"}, []string{"cs"}},
		{"fixed, revenue at the minimum", Facts{Kind: KindFixed, Project: "OPS", Revenue: 100000}, []string{"cs", "sales"}},
		{"fixed, revenue under the minimum", Facts{Kind: KindFixed, Project: "OPS", Revenue: 99999.99}, []string{"cs"}},
		{"raised, revenue over the minimum", Facts{Kind: KindPriorityRaised, Project: "OPS", Revenue: 250000}, []string{"sales"}},
		{"stale, revenue is not its event", Facts{Kind: KindStale, Project: "OPS", Revenue: 250000}, nil},
		{"digest ignores bug filters, each webhook once", Facts{Kind: KindDigest}, []string{"cs", "eng"}},
	} {
		if got := rules.Route(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Route = %q, want %q", tc.name, got, tc.want)
		}
	}
}

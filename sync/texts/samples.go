package texts

// samples are the data each template is checked against when it is loaded:
// together they take every branch of the built-in templates (no fix
// version, one, two; weighted or not; a threshold or none), so a field
// that does not exist fails on any of them.
var samples = func() map[string][]any {
	note := func(resolution string, versions ...string) Note {
		n := Note{Key: "PROJ-12", Summary: `Export fails with "invalid date"`, Status: "Done", Resolution: resolution,
			FixVersions: versions, URL: "https://acme.atlassian.net/browse/PROJ-12"}
		for i, v := range versions {
			if i > 0 {
				n.Versions += ", "
			}
			n.Versions += v
		}
		return n
	}
	unreleased := func(n Note) Note { n.Unreleased = true; return n }
	started := note("")
	started.Status = "In Progress"
	return map[string][]any{
		Started:  {started},
		Fixed:    {note("Fixed"), note("Fixed", "5.0.1"), note("", "5.0.1", "5.1"), unreleased(note("Fixed", "5.0.1"))},
		WontFix:  {note("Won't Fix")},
		Released: {Release{Note: note("Fixed", "5.0.1"), Version: "5.0.1", ReleaseDate: "2025-03-14"}, Release{Note: note("Fixed", "5.0.1", "5.1"), Version: "5.1"}},
		Reopened: {Reopen{Bugs: []string{"PROJ-12"}}, Reopen{Bugs: []string{"PROJ-12", "MOB-3"}}},
		PriorityComment: {
			Priority{Customers: "1 customer", Count: 1, WeightedCount: "1", Raised: true, Verb: "raised", From: "Low", To: "Medium", Threshold: "1"},
			Priority{Customers: "13 customers (6 enterprise, 2 pro)", Count: 13, Weighted: true, WeightedCount: "39", Raised: true, Verb: "raised", From: "High", To: "Highest", Threshold: "25"},
			Priority{Customers: "2 customers", Count: 2, WeightedCount: "2", Verb: "lowered", From: "High", To: "Low"},
			Priority{Customers: "2 customers", Count: 2, WeightedCount: "2", Raised: true, Verb: "raised", From: "Low", To: "High",
				Revenue: "150,000 EUR", RevenueThreshold: "100,000 EUR", Reason: "revenue"},
			Priority{Customers: "12 customers", Count: 12, WeightedCount: "12", Raised: true, Verb: "raised", From: "Low", To: "High",
				Threshold: "10", Revenue: "150,000 EUR", RevenueThreshold: "100,000 EUR", Reason: "customers and revenue"},
		},
		StaleComment: {
			Stale{Key: "PROJ-12", Customers: "1 customer", Count: 1, Idle: "1 day", Days: 1, Priority: "High", Label: "customer-waiting-stale"},
			Stale{Key: "PROJ-12", Customers: "3 customers (1 enterprise)", Count: 3, Idle: "9 days", Days: 9, Label: "customer-waiting-stale"},
		},
		Customers: {
			CustomerCount{Count: 1},
			CustomerCount{Count: 3, Tiers: []Tier{{Tier: "enterprise", Count: 1}, {Tier: "pro", Count: 2}}},
		},
	}
}()

package engine

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkKeys extracts the bug keys of one ticket, for each way agents
// write them: every ticket of every export page goes through this.
func BenchmarkKeys(b *testing.B) {
	p := testPolicy()
	p.Projects = []string{"PROJ", "WEB", "MOB"}
	p.SubjectKeys = true
	tickets := []struct {
		name string
		t    Ticket
		want int
	}{
		{"none", Ticket{Subject: "Cannot export to CSV"}, 0},
		{"field", Ticket{KeysField: "PROJ-1234"}, 1},
		{"field-two-keys", Ticket{KeysField: "proj-12, WEB-3"}, 2},
		{"browse-url", Ticket{KeysField: "https://acme.atlassian.net/browse/PROJ-12"}, 1},
		{"tags", Ticket{Tags: []string{"vip", "jira_proj_12", "billing", "jira_web_7"}}, 2},
		{"subject", Ticket{Subject: "Export fails again, see MOB-77 and WEB-3 (was UTF-8 issue)"}, 2},
		{"rejected", Ticket{KeysField: "OPS-7 PROJ-", Tags: []string{"jira_ops_1"}}, 0},
		{"pasted-3000-keys-and-a-megabyte", Ticket{KeysField: pasted()}, DefaultMaxKeys},
	}
	for _, tc := range tickets {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := p.Keys(tc.t); len(got.Keys) != tc.want {
					b.Fatalf("keys %v, want %d", got.Keys, tc.want)
				}
			}
		})
	}
}

// pasted is a keys field someone pasted an export into: 3,000 keys, then
// one token of a megabyte.
func pasted() string {
	var b strings.Builder
	for i := 1; i <= 3000; i++ {
		fmt.Fprintf(&b, "PROJ-%d, ", i)
	}
	return b.String() + strings.Repeat("x", 1<<20)
}

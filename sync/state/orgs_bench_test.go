package state

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// BenchmarkOrganizationPage is what one full page (1,000 organizations)
// of the organization export costs the state layer when 10 of them are
// waited on, each by one bug, and the rest were never seen: the commit
// (recordOrgs) and the keys it leaves under the prefix, which must not
// grow with the organizations no bug waits on.
func BenchmarkOrganizationPage(b *testing.B) {
	ctx := context.Background()
	s, c := newStore(b)
	for i := range 10 {
		st := engine.Standing{Customers: engine.Customers{Distinct: 1, Weighted: 1}, Category: engine.CategoryToDo,
			Waiting: map[int64]time.Time{int64(i + 1): t0}}
		if err := s.SetBugMemory(ctx, fmt.Sprint(100+i), engine.BugMemory{}, st); err != nil {
			b.Fatal(err)
		}
	}
	keys := func() int {
		n, err := c.Keys(ctx, s.prefix+"*").Result()
		if err != nil {
			b.Fatal(err)
		}
		return len(n)
	}
	before := keys()
	page := func(round int) engine.OrganizationPageCommit {
		p := engine.OrganizationPageCommit{Now: t0, Cursor: t0.Add(time.Duration(round) * time.Second)}
		for i := range 1000 {
			p.Organizations = append(p.Organizations, engine.Organization{ID: int64(i + 1), Name: "Customer",
				Tier: "pro", Revenue: float64(round*1000 + i)})
		}
		return p
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.CommitOrganizationPage(ctx, page(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// 14: the 10 organizations waited on (org:<id>), orgname, the
	// export's position, and the bug queue and its versions.
	b.ReportMetric(float64(keys()-before), "keys-added")
}

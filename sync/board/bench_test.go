package board

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// seedLarge writes n bugs the way the engine does, a page of tickets at a
// time: 1 to 9 tickets each, organizations in three tiers, every status
// category, a few stale.
func seedLarge(b *testing.B, n int) *fixture {
	b.Helper()
	f := newFixture(b)
	cats := []engine.StatusCategory{engine.CategoryToDo, engine.CategoryInProgress, engine.CategoryDone}
	statuses := []string{"To Do", "In Progress", "Done"}
	prios := []string{"Highest", "High", "Medium", "Low", "Lowest"}
	var page []engine.TicketChange
	var bugs []engine.BugRecord
	flush := func() {
		if _, err := f.store.CommitTicketPage(f.ctx, engine.TicketPageCommit{Tickets: page, NewBugs: bugs, Now: now}); err != nil {
			b.Fatal(err)
		}
		page, bugs = nil, nil
	}
	mems := make(map[string]engine.BugMemory, n)
	stands := make(map[string]engine.Standing, n)
	for i := range n {
		id := strconv.Itoa(10000 + i)
		key := fmt.Sprintf("%s-%d", []string{"PROJ", "WEB", "MOB"}[i%3], i+1)
		rec := engine.BugRecord{Bug: engine.Bug{ID: id, Key: key, Project: key[:len(key)-len(strconv.Itoa(i+1))-1],
			Summary: "Export fails for large files " + key, Status: statuses[i%3], StatusCategory: cats[i%3], Priority: prios[i%5],
			URL: "https://acme.atlassian.net/browse/" + key, Updated: now.Add(-time.Duration(i) * time.Minute)},
			LastActivity: now.Add(-time.Duration(i) * time.Minute)}
		rec.Stale.Flagged = i%17 == 0
		bugs = append(bugs, rec)
		var mem engine.BugMemory
		st := engine.Standing{Category: rec.StatusCategory, Waiting: map[int64]time.Time{}, Customers: engine.Customers{ByTier: map[string]int{}}}
		for j := range 1 + i%9 {
			tid := f.next
			f.next++
			org := int64(100 + (i*7+j*13)%300)
			page = append(page, engine.TicketChange{ID: tid, Bugs: []string{id}, Record: &engine.TicketRecord{ID: tid, Status: engine.StatusOpen,
				RequesterID: 5000 + tid, OrganizationID: org, Subject: "Customer cannot export", UpdatedAt: now,
				URL: "https://acme.zendesk.com/agent/tickets/" + strconv.FormatInt(tid, 10)}})
			mem.OpenTickets++
			if _, ok := st.Waiting[org]; !ok {
				st.Waiting[org] = now.Add(-time.Duration(j) * time.Hour)
				st.Customers.Distinct++
				st.Customers.ByTier[tierOf(org)]++
				st.Customers.Weighted += map[string]float64{"enterprise": 5, "pro": 2, "free": 1}[tierOf(org)]
			}
		}
		mems[id], stands[id] = mem, st
		if len(page) >= 1000 {
			flush()
		}
	}
	flush()
	for id, mem := range mems {
		if err := f.store.SetBugMemory(f.ctx, id, mem, stands[id]); err != nil {
			b.Fatal(err)
		}
	}
	return f
}

// BenchmarkBoardPage serves /board with 10k bugs on the board: the whole
// list on one page, and the first page of 100. Warm is a request within
// MaxAge of the last read (the health record and the chart read, the rows
// rendered); cold is the first request after it, which reads the ranked
// bugs and the page's tickets too.
func BenchmarkBoardPage(b *testing.B) {
	f := seedLarge(b, 10_000)
	m := f.model(func(o *Options) { o.MaxAge = time.Hour; o.Logger = nil })
	h, err := NewHandler(m, HandlerOptions{Token: testToken})
	if err != nil {
		b.Fatal(err)
	}
	for _, per := range []int{10_000, 100} {
		for _, cold := range []bool{false, true} {
			b.Run(fmt.Sprintf("rows=%d/cold=%v", per, cold), func(b *testing.B) {
				req := httptest.NewRequest(http.MethodGet, "/board?per_page="+strconv.Itoa(per), nil)
				req.Header.Set("Authorization", "Bearer "+testToken)
				serve := func() int {
					if cold {
						m.mu.Lock()
						m.snap = nil
						m.mu.Unlock()
					}
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("%d: %s", rec.Code, rec.Body)
					}
					return rec.Body.Len()
				}
				serve()
				var size int
				cpu := cpuMeter(b)
				for b.Loop() {
					size = serve()
				}
				cpu()
				b.ReportMetric(float64(size)/(1<<20), "MiB/page")
			})
		}
	}
}

// BenchmarkRead is one read of the read models of 10k bugs, which MaxAge
// spreads over every request in its window.
func BenchmarkRead(b *testing.B) {
	f := seedLarge(b, 10_000)
	m := f.model(func(o *Options) { o.Logger = nil })
	cpu := cpuMeter(b)
	for b.Loop() {
		s, err := m.load(context.Background())
		if err != nil || len(s.bugs) != 10_000 {
			b.Fatalf("%d bugs, %v", len(s.bugs), err)
		}
	}
	cpu()
}

// cpuMeter reports the process's CPU time per operation (cpu-ms/op) when
// the returned func is called after the loop: the client's cost without
// the time spent waiting for a shared machine's cores or for Redis.
func cpuMeter(b *testing.B) func() {
	start, ok := processCPU()
	return func() {
		end, _ := processCPU()
		if ok && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N)/1e6, "cpu-ms/op")
		}
	}
}

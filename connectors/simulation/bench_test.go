package simulation_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
)

// BenchmarkTicket is the cost of computing one ticket of the benchmark-sized
// dataset: what streaming a hundred thousand of them adds to seeding.
func BenchmarkTicket(b *testing.B) {
	d := generate(b, 42, simulation.BenchmarkSize)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = d.Ticket(i % d.Size.Tickets)
		i++
	}
}

// BenchmarkSeed seeds the benchmark-sized dataset (100k tickets, 10k bugs,
// 2k organizations) into fresh simulators and reports the heap they hold
// afterwards: the dataset itself adds nothing to it. Run it with
// -benchtime=1x.
func BenchmarkSeed(b *testing.B) {
	d := generate(b, 42, simulation.BenchmarkSize)
	for b.Loop() {
		zd := zendesktest.NewHandler()
		jr := jiratest.NewHandler()
		if _, err := simulation.Seed(context.Background(), zd, jr, d, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		b.ReportMetric(float64(m.HeapAlloc)/(1<<20), "heap-MiB")
		runtime.KeepAlive(zd)
		runtime.KeepAlive(jr)
		zd.Close()
		b.StartTimer()
	}
}

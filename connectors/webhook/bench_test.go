package webhook_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// BenchmarkEventToWrite sustains 50 vendor changes a second (half bug
// transitions in Jira, half tickets newly linked in Zendesk) for
// HS_BENCH_SECONDS (default 10) against the simulators, which add no
// latency, and reports the time from each change to the write it calls
// for (the ticket's status, the bug's customer count) as the engine
// confirms it: through the simulator's signed webhook, the receiver, the
// Redis queue, the wake-up, a fresh read and the reconcile. The service's
// own writes echo back as deliveries too (no loop-guarding trigger), as
// the worst case. It runs once whatever b.N: go test -run - -bench
// EventToWrite ./connectors/webhook/
func BenchmarkEventToWrite(b *testing.B) {
	const bugs, rate = 50, 50
	seconds := 10
	if s, err := strconv.Atoi(os.Getenv("HS_BENCH_SECONDS")); err == nil && s > 0 {
		seconds = s
	}
	settled := &settledLatency{}
	e := newEnv(b, envOptions{backstop: time.Hour, latency: settled})
	keys := make([]string, bugs)
	ids := make([]string, bugs)
	tickets := make([]int64, bugs)
	for i := range bugs {
		is := e.bug()
		keys[i], ids[i] = is.Key, is.ID
		tickets[i] = e.ticket(is.Key)
	}
	e.Settle()
	e.hookZendesk(zdSecret)
	e.hookJira(jiraSecret)

	m := newMatcher()
	e.Events.Notify(m.written)
	ctx, cancel := context.WithCancel(e.Ctx)
	done := make(chan error, 2)
	go func() { done <- e.Service.Webhooks.Run(ctx) }()
	go func() { done <- e.Service.Engine.Run(ctx) }()
	time.Sleep(200 * time.Millisecond) // the first poll and the subscription

	b.ResetTimer()
	tick := time.NewTicker(time.Second / rate)
	started := time.Now()
	inProgress := make([]bool, bugs)
	sent := 0
	for end := started.Add(time.Duration(seconds) * time.Second); time.Now().Before(end); sent++ {
		<-tick.C
		k := sent % bugs
		if sent/bugs%2 == 0 { // alternate whole rounds, so that each bug sees both kinds
			status := "In Progress"
			if inProgress[k] {
				status = "To Do"
			}
			inProgress[k] = !inProgress[k]
			m.expect("ticket:"+strconv.FormatInt(tickets[k], 10), time.Now())
			if err := e.Jira.Transition(keys[k], status, jiratest.Engineer); err != nil {
				b.Fatal(err)
			}
		} else {
			m.expect("bug:"+ids[k], time.Now())
			e.ticket(keys[k])
		}
	}
	tick.Stop()
	elapsed := time.Since(started)
	waitFor(b, "every change written", func() bool { return m.pending() == 0 })
	b.StopTimer()
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			b.Error(err)
		}
	}

	lat := m.latencies()
	p50, p99, worst := percentile(lat, 0.50), percentile(lat, 0.99), percentile(lat, 1)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "events/s")
	b.ReportMetric(ms(p50), "p50-ms")
	b.ReportMetric(ms(p99), "p99-ms")
	b.ReportMetric(ms(worst), "max-ms")
	in := settled.all()
	b.ReportMetric(ms(percentile(in, 0.99)), "queue-p99-ms")
	b.Logf("%d changes in %s (%.1f/s): change→write p50 %s, p99 %s, max %s; delivery→settled (the metric) p50 %s, p99 %s over %d items",
		sent, elapsed.Round(time.Millisecond), float64(sent)/elapsed.Seconds(), p50, p99, worst,
		percentile(in, 0.5), percentile(in, 0.99), len(in))
}

// matcher pairs each change with the first write on its target after it.
type matcher struct {
	mu   sync.Mutex
	wait map[string][]time.Time
	lat  []time.Duration
}

func newMatcher() *matcher { return &matcher{wait: map[string][]time.Time{}} }

func (m *matcher) expect(target string, at time.Time) {
	m.mu.Lock()
	m.wait[target] = append(m.wait[target], at)
	m.mu.Unlock()
}

func (m *matcher) written(ev engine.Event, at time.Time) {
	var target string
	switch ev.Kind {
	case engine.EventTicketUpdated:
		target = "ticket:" + strconv.FormatInt(ev.TicketID, 10)
	case engine.EventCountChanged, engine.EventPriorityChanged, engine.EventBugEdited:
		target = "bug:" + ev.BugID
	default:
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t0 := range m.wait[target] {
		m.lat = append(m.lat, at.Sub(t0))
	}
	delete(m.wait, target) // one write settles every change before it
}

func (m *matcher) pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, w := range m.wait {
		n += len(w)
	}
	return n
}

func (m *matcher) latencies() []time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.lat)
}

// settledLatency is the engine's own delivery-to-settled observation, the
// one metrics export.
type settledLatency struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *settledLatency) ObserveEventToWrite(_ string, d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

func (s *settledLatency) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

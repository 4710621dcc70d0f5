package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
)

// measured is a step with what it cost outside the engine process.
type measured struct {
	Step
	// BenchCPU is the bench process's CPU time during the step: the
	// simulators serving the engine (and the bench itself, idle meanwhile).
	BenchCPU float64
	// RedisCPU is the Redis server's CPU time during the step, from INFO:
	// the whole server's, so other clients of a shared Redis count too.
	RedisCPU float64
}

func (b *bench) measure(ctx context.Context, dep *deployment, command string) (measured, error) {
	cpu, rcpu := cpuSeconds(), b.redisCPU(ctx)
	s, err := dep.engine.do(command)
	return measured{Step: s, BenchCPU: cpuSeconds() - cpu, RedisCPU: b.redisCPU(ctx) - rcpu}, err
}

// redisCPU is the Redis server's user and system CPU seconds so far; 0
// when INFO does not say.
func (b *bench) redisCPU(ctx context.Context) float64 {
	info, err := b.rdb.Info(ctx, "cpu").Result()
	if err != nil {
		return 0
	}
	total := 0.0
	for line := range strings.Lines(info) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			var f float64
			if _, err := fmt.Sscan(v, &f); err == nil {
				total += f
			}
		}
	}
	return total
}

// backfillRun is one backfill from empty state to settled.
type backfillRun struct {
	size    simulation.Size
	m       measured
	links   int // remote links found in Jira afterwards
	want    int // links the dataset holds
	shown   int // linked tickets showing a bug status afterwards
	linked  int // tickets the dataset links, closed ones aside
	tickets int
}

// backfillOnce seeds a fresh account of size, runs the engine to settled
// with budgets, and checks the result in the simulators.
func (b *bench) backfillOnce(ctx context.Context, size simulation.Size, o deployOptions) (backfillRun, *deployment, error) {
	d, err := simulation.Generate(b.o.Seed, size)
	if err != nil {
		return backfillRun{}, nil, err
	}
	dep, err := b.deploy(ctx, d, o)
	if err != nil {
		return backfillRun{}, nil, err
	}
	b.o.Logger.Info("backfill started", zap.Int("tickets", size.Tickets), zap.Int("bugs", size.Bugs), zap.Int("orgs", size.Orgs))
	m, err := b.measure(ctx, dep, cmdSettle)
	if err != nil {
		return backfillRun{}, dep, err
	}
	r := backfillRun{size: size, m: m, want: dep.stack.Summary.Links, tickets: size.Tickets}
	for bug := range d.Bugs() {
		r.links += len(dep.stack.Jira.RemoteLinks(bug.Key))
	}
	for t := range d.Tickets() {
		if len(t.Bugs) == 0 || t.Status == "closed" {
			continue // a closed ticket cannot be written
		}
		r.linked++
		tk, ok := dep.stack.Zendesk.Ticket(t.ID)
		if v, _ := tk.Field(simulation.StatusFieldID).(string); ok && v != "" {
			r.shown++
		}
	}
	b.o.Logger.Info("backfill settled", zap.Int("tickets", size.Tickets), zap.Float64("seconds", m.Seconds),
		zap.Int("cycles", m.Cycles), zap.Int("remote_links", r.links), zap.Int("want_links", r.want))
	return r, dep, nil
}

// backfill is scenario 1: the sizes side by side, no vendor limit.
func (b *bench) backfill(ctx context.Context) error {
	var runs []backfillRun
	for _, size := range b.o.Backfill {
		r, dep, err := b.backfillOnce(ctx, size, deployOptions{budgets: unlimited})
		if dep != nil {
			err = errors.Join(err, b.teardown(ctx, dep))
		}
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	t := backfillTable(runs)
	t.title = "1. Backfill, no vendor rate limit (engine in its own process; simulators in the bench process)"
	t.print(b.o.Out)
	return nil
}

func backfillTable(runs []backfillRun) *table {
	t := &table{head: []string{"tickets / bugs / organizations"}}
	steps := make([]Step, len(runs))
	for i, r := range runs {
		t.head = append(t.head, fmt.Sprintf("%d / %d / %d", r.size.Tickets, r.size.Bugs, r.size.Orgs))
		steps[i] = r.m.Step
	}
	add := func(name string, cell func(r backfillRun) string) {
		row := []string{name}
		for _, r := range runs {
			row = append(row, cell(r))
		}
		t.row(row...)
	}
	add("wall time (s)", func(r backfillRun) string { return seconds(r.m.Seconds) })
	add("tickets/s", func(r backfillRun) string { return fmt.Sprintf("%.0f", float64(r.tickets)/r.m.Seconds) })
	add("cycles", func(r backfillRun) string { return count(r.m.Cycles) })
	add("engine peak RSS, VmHWM (MiB)", func(r backfillRun) string { return mib(r.m.PeakRSS) })
	add("engine peak heap in use (MiB)", func(r backfillRun) string { return mib(r.m.PeakHeap) })
	add("CPU s: engine", func(r backfillRun) string { return seconds(r.m.CPUSeconds) })
	add("CPU s: simulators", func(r backfillRun) string { return seconds(r.m.BenchCPU) })
	add("CPU s: Redis server", func(r backfillRun) string { return seconds(r.m.RedisCPU) })
	add("Redis round trips (per ticket)", func(r backfillRun) string { return perUnit(r.m.RedisRoundTrips, r.tickets) })
	add("API calls (per ticket)", func(r backfillRun) string {
		return perUnit(int64(total(r.m.Requests, func(string, string) bool { return true })), r.tickets)
	})
	for _, k := range routes(steps...) {
		add("  "+k, func(r backfillRun) string { return count(r.m.Requests[k]) })
	}
	add("remote links written / in Jira / expected", func(r backfillRun) string {
		return fmt.Sprintf("%d / %d / %d", r.m.Report.RemoteLinksUpserted, r.links, r.want)
	})
	add("bug edits (priority changes)", func(r backfillRun) string {
		return fmt.Sprintf("%d (%d)", r.m.Report.BugEdits, r.m.Report.PriorityChanges)
	})
	add("ticket updates / showing status / linked, not closed", func(r backfillRun) string {
		return fmt.Sprintf("%d / %d / %d", r.m.Report.TicketUpdates, r.shown, r.linked)
	})
	add("bug comments", func(r backfillRun) string { return count(r.m.Report.Comments) })
	add("errors", func(r backfillRun) string { return count(r.m.Report.Errors) })
	return t
}

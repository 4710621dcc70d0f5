package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

// The engine process reads one command a line on stdin and answers each
// with one JSON Step on stdout:
//
//	cycle   one Engine.Cycle
//	settle  cycles until one writes nothing and nothing is due
//	run     Engine.Run, polling every sync.poll_interval: one Step once
//	        Run's first step (its first poll) has ended, then, when the
//	        next line (stop) arrives and the step then in flight has
//	        ended, one Step for the run after the first
//	listen  nothing; the Step says where the webhook receiver listens
const (
	cmdCycle  = "cycle"
	cmdSettle = "settle"
	cmdRun    = "run"
	cmdStop   = "stop"
	cmdListen = "listen"
)

// Step is what the engine process did for one command: the engine's own
// report and what it cost, as the process itself counted it.
type Step struct {
	// Cycles counts poll cycles; Drains the queue drains between them.
	Cycles, Drains int
	Seconds        float64
	// Report sums the reports of the cycles and drains, DrainReport those
	// of the drains alone: what the queue (webhooks and retries) wrote.
	Report, DrainReport engine.Report
	// Deliveries are the webhook deliveries the receiver answered, by
	// "source result" (webhook.SourceZendesk, webhook.ResultAccepted…).
	Deliveries map[string]int `json:",omitempty"`
	// Listen is the webhook receiver's address, host:port, in the answer
	// to listen.
	Listen string `json:",omitempty"`
	// Requests are HTTP attempts by "METHOD route" on either vendor, as
	// the service's transports counted them (retries included).
	Requests map[string]int
	// RedisRoundTrips counts commands sent alone and pipelines (one
	// round trip each), rate-limit budgets included.
	RedisRoundTrips int64
	// CPUSeconds is the process's user+system time during the step.
	CPUSeconds float64
	// PeakRSS is the process's resident-set high-water mark so far
	// (VmHWM), PeakHeap the largest heap in use sampled during the step.
	PeakRSS, PeakHeap uint64
	Err               string `json:",omitempty"`
}

// Reconciler is the engine the process drives; *engine.Engine implements
// it.
type Reconciler interface {
	Cycle(ctx context.Context) (engine.Report, error)
	Run(ctx context.Context) error
	Backlog(ctx context.Context) (map[engine.Queue]int64, error)
}

// Engine is the engine process's side: the service's engine and the
// meters that Step reads.
type Engine struct {
	Engine     Reconciler
	Requests   *connectors.Counter
	RoundTrips *state.RoundTrips
	// Steps must be the engine's engine.Options.Steps: it hears every
	// cycle and drain, Run's included.
	Steps *Steps
	// Deliveries must be the webhook receiver's Observer, and Listen the
	// address it is served on; both unset without webhooks.
	Deliveries *Deliveries
	Listen     string
}

// Deliveries is a webhook.Observer counting deliveries by source and
// result.
type Deliveries struct {
	mu sync.Mutex
	n  map[string]int
}

// Delivery implements webhook.Observer.
func (d *Deliveries) Delivery(source, result string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = map[string]int{}
	}
	d.n[source+" "+result]++
}

func (d *Deliveries) snapshot() map[string]int {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return maps.Clone(d.n)
}

// Steps is a engine.StepObserver summing the reports of the steps it hears,
// and telling when one is in flight (the engine runs one at a time).
type Steps struct {
	mu             sync.Mutex
	cycles, drains int
	rep, drainRep  engine.Report
	running        bool // a step started and has not ended
	ended          int  // steps ended so far
	// changed is closed, and replaced, whenever a step starts or ends.
	changed chan struct{}
}

// StepStarted implements engine.StepObserver.
func (s *Steps) StepStarted(string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running = true
	s.notify()
}

// ObserveStep implements engine.StepObserver.
func (s *Steps) ObserveStep(step string, rep engine.Report, _ error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch step {
	case "cycle":
		s.cycles++
	case "drain":
		s.drains++
		s.drainRep = addReports(s.drainRep, rep)
	}
	s.rep = addReports(s.rep, rep)
	s.running = false
	s.ended++
	s.notify()
}

// notify wakes those waiting in await; s.mu is held.
func (s *Steps) notify() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// await waits until cond, called with s.mu held, is true; false when quit
// is closed first.
func (s *Steps) await(quit <-chan struct{}, cond func() bool) bool {
	for {
		s.mu.Lock()
		if cond() {
			s.mu.Unlock()
			return true
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-quit:
			return false
		case <-changed:
		}
	}
}

// endedSoFar counts the steps that have ended, and says whether one is
// in flight.
func (s *Steps) endedSoFar() (ended int, running bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended, s.running
}

func (s *Steps) snapshot() (cycles, drains int, rep, drainRep engine.Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cycles, s.drains, s.rep, s.drainRep
}

// Serve answers commands from in on out until in ends or ctx is done.
func (e Engine) Serve(ctx context.Context, in io.Reader, out io.Writer) error {
	lines := bufio.NewScanner(in)
	enc := json.NewEncoder(out)
	for lines.Scan() {
		if ctx.Err() != nil {
			return nil
		}
		answer := func(step Step) error {
			if err := enc.Encode(step); err != nil {
				return fmt.Errorf("bench: engine process: write step: %w", err)
			}
			return nil
		}
		step, err := e.do(ctx, strings.TrimSpace(lines.Text()), lines, answer)
		if err != nil {
			step.Err = err.Error()
		}
		if err := answer(step); err != nil {
			return err
		}
	}
	return lines.Err()
}

// do runs one command and returns its Step; run answers once more
// before.
func (e Engine) do(ctx context.Context, cmd string, lines *bufio.Scanner, answer func(Step) error) (Step, error) {
	m := e.startMeter()
	var err error
	switch cmd {
	case cmdCycle:
		_, err = e.Engine.Cycle(ctx)
	case cmdSettle:
		err = e.settle(ctx)
	case cmdRun:
		m, err = e.run(ctx, lines, m, answer)
	case cmdListen:
		if e.Listen == "" {
			err = errors.New("no webhook receiver: webhooks.enabled is false")
		}
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	s := m.stop()
	if cmd == cmdListen {
		s.Listen = e.Listen
	}
	return s, err
}

// run works as a deployment does until the next line of input. Run begins
// with a poll; run answers (the Step of m) once that first step has
// ended, so that changes the caller times after the answer find the
// engine running day to day, not caught by that poll. At stop it lets the
// step in flight end before it stops Run: the writes the caller saw are
// then counted, not cut off after the vendor took them. It returns the
// meter of the run after the first answer.
func (e Engine) run(ctx context.Context, lines *bufio.Scanner, m *meter, answer func(Step) error) (*meter, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	exited := make(chan struct{})
	var runErr error
	before, _ := e.Steps.endedSoFar()
	go func() {
		defer close(exited)
		runErr = e.Engine.Run(rctx)
	}()
	finish := func(err error) error {
		cancel()
		<-exited
		return errors.Join(err, runErr)
	}
	if !e.Steps.await(exited, func() bool { return e.Steps.ended > before }) {
		return m, finish(errors.New("run ended before its first step did"))
	}
	first := m.stop()
	m = e.startMeter()
	if err := answer(first); err != nil {
		return m, finish(err)
	}
	if !lines.Scan() {
		return m, finish(errors.Join(errors.New("input ended while running"), lines.Err()))
	}
	if cmd := strings.TrimSpace(lines.Text()); cmd != cmdStop {
		return m, finish(fmt.Errorf("got %q while running; only %q stops a run", cmd, cmdStop))
	}
	atStop, running := e.Steps.endedSoFar()
	if running {
		e.Steps.await(exited, func() bool { return e.Steps.ended > atStop })
	}
	return m, finish(nil)
}

// settle cycles until a cycle writes nothing and leaves nothing due: a
// backfill is done when the engine has nothing left to say. One such cycle
// is enough: it read back every write before it, and a cycle after it
// would read only the same data again (the tracker search's overlap).
func (e Engine) settle(ctx context.Context) error {
	const maxCycles = 50
	for cycles, quiet := 0, 0; quiet < 1; cycles++ {
		if cycles == maxCycles {
			return fmt.Errorf("not settled after %d cycles", maxCycles)
		}
		rep, err := e.Engine.Cycle(ctx)
		if err != nil {
			return err
		}
		backlog, err := e.Engine.Backlog(ctx)
		if err != nil {
			return err
		}
		due := int64(0)
		for _, n := range backlog {
			due += n
		}
		if rep.Writes() == 0 && due == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
	return nil
}

// meter measures one command: counters before and after, heap sampled.
type meter struct {
	e              Engine
	start          time.Time
	cpu            float64
	requests       map[string]int
	trips          int64
	cycles, drains int
	rep, drainRep  engine.Report
	deliveries     map[string]int
	done           chan struct{}
	heap           chan uint64
}

func (e Engine) startMeter() *meter {
	m := &meter{e: e, start: time.Now(), cpu: cpuSeconds(), requests: e.Requests.Snapshot(),
		trips: e.RoundTrips.Count(), done: make(chan struct{}), heap: make(chan uint64)}
	m.cycles, m.drains, m.rep, m.drainRep = e.Steps.snapshot()
	m.deliveries = e.Deliveries.snapshot()
	go m.sampleHeap()
	return m
}

func (m *meter) sampleHeap() {
	var peak uint64
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		select {
		case <-m.done:
			m.heap <- peak
			return
		case <-tick.C:
		}
	}
}

func (m *meter) stop() Step {
	close(m.done)
	var s Step
	cycles, drains, rep, drainRep := m.e.Steps.snapshot()
	s.Cycles, s.Drains = cycles-m.cycles, drains-m.drains
	s.Report, s.DrainReport = subReports(rep, m.rep), subReports(drainRep, m.drainRep)
	s.PeakHeap = <-m.heap
	s.Seconds = time.Since(m.start).Seconds()
	s.CPUSeconds = cpuSeconds() - m.cpu
	s.RedisRoundTrips = m.e.RoundTrips.Count() - m.trips
	s.Requests = since(m.e.Requests.Snapshot(), m.requests)
	if m.e.Deliveries != nil {
		s.Deliveries = since(m.e.Deliveries.snapshot(), m.deliveries)
	}
	s.PeakRSS = peakRSS()
	return s
}

// since is the counts that grew from before to after, by how much.
func since(after, before map[string]int) map[string]int {
	out := map[string]int{}
	for k, n := range after {
		if d := n - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

func addReports(a, b engine.Report) engine.Report {
	a = combine(a, b, 1)
	a.Held = append(a.Held, b.Held...)
	a.Duration += b.Duration
	return a
}

// subReports is what happened between the sums before and after.
func subReports(after, before engine.Report) engine.Report {
	d := combine(after, before, -1)
	d.Held = after.Held[len(before.Held):]
	d.Duration = after.Duration - before.Duration
	return d
}

// combine adds sign×b's counts to a's.
func combine(a, b engine.Report, sign int) engine.Report {
	for _, f := range []struct{ to, from *int }{
		{&a.TicketsObserved, &b.TicketsObserved}, {&a.BugsObserved, &b.BugsObserved},
		{&a.LinksAdded, &b.LinksAdded}, {&a.LinksRemoved, &b.LinksRemoved},
		{&a.KeysIgnored, &b.KeysIgnored}, {&a.KeysMissing, &b.KeysMissing},
		{&a.Transitions, &b.Transitions}, {&a.BugEdits, &b.BugEdits},
		{&a.PriorityChanges, &b.PriorityChanges}, {&a.Comments, &b.Comments},
		{&a.RemoteLinksUpserted, &b.RemoteLinksUpserted}, {&a.RemoteLinksDeleted, &b.RemoteLinksDeleted},
		{&a.TicketUpdates, &b.TicketUpdates}, {&a.Notes, &b.Notes},
		{&a.StaleFlagged, &b.StaleFlagged}, {&a.StaleUnflagged, &b.StaleUnflagged},
		{&a.Errors, &b.Errors},
	} {
		*f.to += sign * *f.from
	}
	return a
}

// cpuSeconds is the user and system time this process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
}

func tvSeconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}

// peakRSS is the process's resident-set high-water mark from the kernel
// (VmHWM), not the Go heap: what the machine had to give it.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

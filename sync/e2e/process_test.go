package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// The test binary doubles as the engine process: with HS_E2E_CHILD set it
// runs the engine against the simulators named in its environment instead
// of the tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("HS_E2E_CHILD"); mode != "" {
		os.Exit(child(mode))
	}
	os.Exit(redistest.Run(m)) // and fail when a test leaves keys in Redis
}

// childStats is what an engine process reports when it finishes.
type childStats struct {
	Cycles      int
	PeakHeap    uint64 // bytes, sampled every 50ms
	PeakRSS     uint64 // bytes, VmHWM
	Seconds     float64
	TicketsSeen int
	Writes      int
}

// child runs the engine: "run" loops until killed; "settle" cycles until
// two cycles in a row write nothing and no work is queued, then reports.
func child(mode string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "child:", err); return 1 }
	cfg, err := config.Load("", os.Getenv)
	if err != nil {
		return fail(err)
	}
	log, _ := zap.NewProduction()
	if os.Getenv("HS_CHILD_LOG") == "" {
		log = zap.NewNop()
	}
	// A killed process's claims lapse after two seconds: the claimant,
	// which would end them with the process, is not started.
	svc, err := service.New(cfg, service.Options{Logger: log, NoLease: true},
		servicetest.WithJobPoll(2*time.Millisecond), servicetest.WithUpdateTicketBudget(60000),
		servicetest.WithClaimLease(2*time.Second))
	if err != nil {
		return fail(err)
	}
	defer svc.Close()
	eng, store := svc.Engine, svc.Store
	if mode == "run" {
		if err := eng.Run(ctx); err != nil {
			return fail(err)
		}
		return 0
	}

	var stats childStats
	peak := make(chan uint64)
	done := make(chan struct{})
	go func() {
		var max uint64
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			max = maxOf(max, ms.HeapInuse)
			select {
			case <-done:
				peak <- max
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	for quiet := 0; quiet < 2; {
		rep, err := eng.Cycle(ctx)
		if err != nil {
			return fail(err)
		}
		stats.Cycles++
		stats.TicketsSeen += rep.TicketsObserved
		stats.Writes += rep.Writes()
		queued := int64(0)
		for _, q := range []engine.Queue{engine.BugQueue, engine.TicketQueue} {
			n, err := store.DueCount(ctx, q, time.Now().Add(time.Hour))
			if err != nil {
				return fail(err)
			}
			queued += n
		}
		if rep.Writes() == 0 && queued == 0 {
			quiet++
		} else {
			quiet = 0
			if rep.Writes() == 0 {
				time.Sleep(200 * time.Millisecond) // waiting for a dead process's claims to expire
			}
		}
	}
	stats.Seconds = time.Since(start).Seconds()
	close(done)
	stats.PeakHeap = <-peak
	stats.PeakRSS = vmHWM()
	out, _ := json.Marshal(stats)
	fmt.Println("HS_STATS " + string(out))
	return 0
}

func maxOf(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// vmHWM is the process's peak resident set size.
func vmHWM() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// procEnv is a deployment whose engine runs in child processes: the
// simulators live here, on the wall clock, and each process loads the
// Env's configuration from its environment.
type procEnv struct {
	*env
	redisURL string
}

func newProcEnv(t *testing.T) *procEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("starts engine processes")
	}
	if redistest.Embedded() {
		t.Skip("engine processes need a Redis they can reach: the embedded one lives in this process only")
	}
	url, err := redistest.URL()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *servicetest.Options) {
		o.WallClock = true
		o.Config["SYNC_POLL_INTERVAL"] = "100ms"
	})
	return &procEnv{env: e, redisURL: url}
}

// start runs an engine process in mode.
func (p *procEnv) start(mode string) (*exec.Cmd, *bufio.Scanner) {
	p.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), p.Environ()...), "HS_E2E_CHILD="+mode, config.EnvPrefix+"REDIS_URL="+p.redisURL)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, bufio.NewScanner(out)
}

// settle runs an engine process to quiet and returns its report.
func (p *procEnv) settle() childStats {
	p.t.Helper()
	cmd, out := p.start("settle")
	var stats childStats
	for out.Scan() {
		if line, ok := strings.CutPrefix(out.Text(), "HS_STATS "); ok {
			if err := json.Unmarshal([]byte(line), &stats); err != nil {
				p.t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		p.t.Fatalf("engine process: %v", err)
	}
	return stats
}

// writesSoFar counts the write requests both simulators have received.
func (p *procEnv) writesSoFar() int {
	n := 0
	for _, c := range p.Zendesk.Writes() {
		n += c
	}
	for _, c := range p.Jira.Writes() {
		n += c
	}
	return n
}

// An engine process killed with SIGKILL at arbitrary moments of a busy
// cycle, then started again, ends where an uninterrupted run ends, with no
// note or comment twice.
func TestKilledProcessRestartsToTheSameState(t *testing.T) {
	ref := newEnv(t)
	w, change := seedWorkloadNoStale(ref)
	ref.settle()
	change()
	ref.settle()
	want := vendorState(ref, w)

	p := newProcEnv(t)
	w, change = seedWorkloadNoStale(p.env)
	p.settle()
	change()
	for _, after := range []int{1, 2, 4} {
		base := p.writesSoFar()
		cmd, _ := p.start("run")
		deadline := time.Now().Add(3 * time.Second)
		for p.writesSoFar() < base+after && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Logf("killed the engine process after %d more writes", p.writesSoFar()-base)
	}
	p.settle()
	if got := vendorState(p.env, w); got != want {
		t.Fatalf("after SIGKILLs:\n got:\n%s\nwant:\n%s", got, want)
	}
}

// The backfill streams: the engine process's memory stays flat however many
// tickets there are (HS_SCALE=1 runs 10k and 50k tickets on 1k and 5k bugs;
// by default a small run checks the path). Numbers are logged, not timed.
func TestBackfillMemoryDoesNotGrowWithTickets(t *testing.T) {
	sizes := [][2]int{{2000, 200}}
	if os.Getenv("HS_SCALE") != "" {
		sizes = [][2]int{{10000, 1000}, {50000, 5000}}
	}
	var heaps []uint64
	for _, size := range sizes {
		tickets, bugs := size[0], size[1]
		p := newProcEnv(t)
		keys := make([]string, bugs)
		for i := range keys {
			keys[i] = p.Jira.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: fmt.Sprintf("bug %d", i), Priority: "Low"}).Key
		}
		const orgs = 2000
		requesters := make([]int64, orgs)
		for o := range orgs {
			tier := []string{"enterprise", "pro", "free", ""}[o%4]
			org := zendesktest.Organization{ID: int64(10000 + o), Name: fmt.Sprintf("Org %d", o)}
			if tier != "" {
				org.Fields = map[string]any{simulation.TierField: tier}
			}
			p.Zendesk.AddOrganization(org)
			requesters[o] = p.Zendesk.AddUser(zendesktest.User{Name: "R", Email: fmt.Sprintf("r%d@example.com", o), OrganizationID: org.ID}).ID
		}
		for i := range tickets {
			o := (i*7 + i/bugs) % orgs
			p.Zendesk.CreateTicket(zendesktest.Ticket{Subject: "cannot export", Status: "open", RequesterID: requesters[o], OrganizationID: int64(10000 + o),
				CustomFields: []zendesktest.CustomField{{ID: simulation.KeysFieldID, Value: keys[i%bugs]}}})
		}
		stats := p.settle()
		heaps = append(heaps, stats.PeakHeap)
		t.Logf("backfill of %d tickets on %d bugs: %.1fs in %d cycles, %d writes; engine process peak heap %.1f MiB, peak RSS %.1f MiB",
			tickets, bugs, stats.Seconds, stats.Cycles, stats.Writes, mib(stats.PeakHeap), mib(stats.PeakRSS))

		// Every ticket shows its bug; every bug counts its customers and links its tickets.
		for _, id := range []int64{1, int64(tickets / 2), int64(tickets)} {
			tk, _ := p.Zendesk.Ticket(id)
			if f, _ := tk.Field(simulation.StatusFieldID).(string); !strings.HasSuffix(f, ": To Do") {
				t.Fatalf("ticket %d shows %q", id, f)
			}
		}
		links := 0
		for _, k := range keys {
			links += len(p.Jira.RemoteLinks(k))
			if c := p.issueCount(k); c == 0 {
				t.Fatalf("issue %s has no count", k)
			}
		}
		if links != tickets {
			t.Fatalf("%d remote links for %d tickets", links, tickets)
		}
	}
	if len(heaps) == 2 && heaps[1] > 2*heaps[0]+16<<20 {
		t.Fatalf("peak heap grew from %.1f MiB to %.1f MiB with five times the tickets", mib(heaps[0]), mib(heaps[1]))
	}
}

func (p *procEnv) issueCount(key string) float64 {
	is, _ := p.Jira.Issue(key)
	if c := is.Custom[jiratest.CustomerCountField]; c != nil {
		return *c
	}
	return 0
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

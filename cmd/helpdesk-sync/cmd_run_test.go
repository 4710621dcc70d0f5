package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// The tests here run the real binary as the orchestrator would: a
// subprocess configured by environment alone, against the simulators
// served by the test process and the test's Redis prefix.

const (
	keysFieldID   = 360001234567
	statusFieldID = 360007654321
)

// world is one deployment's surroundings: the simulators seeded with bugs
// and tickets, Redis, and the environment that points the service at them.
type world struct {
	t      *testing.T
	bin    string
	zd     *zendesktest.Server
	jr     *jiratest.Server
	rdb    redis.UniversalClient
	prefix string
	env    []string
	bugs   []string // keys
	nextID int64    // tickets created so far
}

func newWorld(t *testing.T, bugs, tickets int, env ...string) *world {
	t.Helper()
	if testing.Short() {
		t.Skip("subprocess test; skipped with -short")
	}
	w := &world{t: t, bin: buildBinary(t)}
	w.zd = zendesktest.NewServer(zendesktest.WithExportLag(0))
	t.Cleanup(w.zd.Close)
	w.jr = jiratest.NewServer()
	t.Cleanup(w.jr.Close)
	w.jr.AddProject("PROJ", "Product")
	w.zd.AddTicketField(zendesktest.TicketField{ID: keysFieldID, Type: "text", Title: "Jira keys", Active: true})
	w.zd.AddTicketField(zendesktest.TicketField{ID: statusFieldID, Type: "text", Title: "Bug status", Active: true})
	for range bugs {
		w.bugs = append(w.bugs, w.jr.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "Export fails", Priority: "Low"}).Key)
	}
	w.addTickets(tickets, w.bugs...)
	w.rdb, w.prefix = redistest.Client(t)
	redisURL, err := redistest.URL()
	if err != nil {
		t.Fatal(err)
	}
	w.env = append([]string{
		"PATH=/usr/bin:/bin",
		"HELPDESK_SYNC_ZENDESK_URL=" + w.zd.URL, "HELPDESK_SYNC_ZENDESK_EMAIL=" + zendesktest.DefaultEmail,
		"HELPDESK_SYNC_ZENDESK_TOKEN=" + zendesktest.DefaultToken,
		"HELPDESK_SYNC_ZENDESK_KEYS_FIELD_ID=" + strconv.Itoa(keysFieldID),
		"HELPDESK_SYNC_ZENDESK_STATUS_FIELD_ID=" + strconv.Itoa(statusFieldID),
		"HELPDESK_SYNC_ZENDESK_EXPORT_REQUESTS_PER_MINUTE=6000", "HELPDESK_SYNC_ZENDESK_REQUESTS_PER_MINUTE=6000",
		"HELPDESK_SYNC_JIRA_URL=" + w.jr.URL, "HELPDESK_SYNC_JIRA_EMAIL=" + jiratest.ServiceEmail,
		"HELPDESK_SYNC_JIRA_TOKEN=" + jiratest.ServiceToken, "HELPDESK_SYNC_JIRA_PROJECTS=PROJ",
		"HELPDESK_SYNC_JIRA_CUSTOMER_COUNT_FIELD=" + jiratest.CustomerCountField,
		"HELPDESK_SYNC_JIRA_REQUESTS_PER_SECOND=1000",
		"HELPDESK_SYNC_REDIS_URL=" + redisURL, "HELPDESK_SYNC_REDIS_KEY_PREFIX=" + w.prefix,
		"HELPDESK_SYNC_HTTP_LISTEN=127.0.0.1:0",
		"HELPDESK_SYNC_SYNC_POLL_INTERVAL=200ms",
		"HELPDESK_SYNC_LOG_FORMAT=json", "HELPDESK_SYNC_LOG_LEVEL=info",
	}, env...)
	return w
}

// addTickets creates n open tickets, each of its own organization and
// naming one of keys, round robin.
func (w *world) addTickets(n int, keys ...string) {
	for range n {
		w.nextID++
		id := w.nextID
		w.zd.AddOrganization(zendesktest.Organization{ID: 1000 + id, Name: fmt.Sprintf("Org %d", id)})
		u := w.zd.AddUser(zendesktest.User{Name: "R", Email: fmt.Sprintf("r%d@example.com", id), OrganizationID: 1000 + id})
		w.zd.CreateTicket(zendesktest.Ticket{ID: id, Subject: "broken", Status: "open", RequesterID: u.ID, OrganizationID: 1000 + id,
			CustomFields: []zendesktest.CustomField{{ID: keysFieldID, Value: keys[int(id)%len(keys)]}}})
	}
}

// showing counts the tickets whose status field names want.
func (w *world) showing(want string) int {
	n := 0
	for id := int64(1); id <= w.nextID; id++ {
		tk, _ := w.zd.Ticket(id)
		if v, _ := tk.Field(statusFieldID).(string); strings.Contains(v, want) {
			n++
		}
	}
	return n
}

// notes counts tickets by their number of private notes.
func (w *world) notes() map[int]int {
	out := map[int]int{}
	for id := int64(1); id <= w.nextID; id++ {
		n := 0
		for _, c := range w.zd.Comments(id) {
			if !c.Public {
				n++
			}
		}
		out[n]++
	}
	return out
}

func (w *world) waitFor(what string, timeout time.Duration, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (w *world) get(key string) string {
	v, err := w.rdb.Get(context.Background(), w.prefix+key).Result()
	if err != nil && err != redis.Nil {
		w.t.Fatal(err)
	}
	return v
}

// buildBinary builds the command into the test's directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "helpdesk-sync")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is one running 'helpdesk-sync run'.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	addr string
	// adminAddr is http.admin_listen's, or addr without one.
	adminAddr string
	done      chan struct{}
	code      int

	mu   sync.Mutex
	logs []map[string]any
}

func (w *world) start(name string, extraEnv ...string) *proc {
	w.t.Helper()
	r := &proc{t: w.t, name: name, done: make(chan struct{})}
	r.cmd = exec.Command(w.bin, "run")
	r.cmd.Env = append(append([]string(nil), w.env...), extraEnv...)
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	listening := make(chan map[string]any, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				line = map[string]any{"msg": sc.Text()}
			}
			r.mu.Lock()
			r.logs = append(r.logs, line)
			r.mu.Unlock()
			if line["msg"] == "listening" {
				listening <- line
			}
		}
		_ = r.cmd.Wait()
		r.code = r.cmd.ProcessState.ExitCode()
		close(r.done)
	}()
	w.t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.done
		if w.t.Failed() {
			w.t.Logf("%s logs:\n%s", r.name, r.logText())
		}
	})
	select {
	case line := <-listening:
		r.addr, _ = line["addr"].(string)
		if r.adminAddr, _ = line["admin_addr"].(string); r.adminAddr == "" {
			r.adminAddr = r.addr
		}
	case <-r.done:
		w.t.Fatalf("%s exited %d before listening:\n%s", name, r.code, r.logText())
	case <-time.After(10 * time.Second):
		w.t.Fatalf("%s is not listening after 10s:\n%s", name, r.logText())
	}
	return r
}

func (r *proc) logText() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, l := range r.logs {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

func (r *proc) logged(msg string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.logs {
		if l["msg"] == msg {
			return true
		}
	}
	return false
}

// stop signals the replica and waits for its exit, at most limit.
func (r *proc) stop(sig syscall.Signal, limit time.Duration) (code int, took time.Duration) {
	r.t.Helper()
	start := time.Now()
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Fatal(err)
	}
	select {
	case <-r.done:
		return r.code, time.Since(start)
	case <-time.After(limit):
		r.t.Fatalf("%s still running %s after %s", r.name, limit, sig)
		return 0, 0
	}
}

// leading scrapes the replica's leader gauges; a replica that does not
// answer does not lead.
func (r *proc) leading() (bool, int64) {
	resp, err := http.Get("http://" + r.adminAddr + "/metrics")
	if err != nil {
		return false, 0
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var leader bool
	var token int64
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(line, "helpdesk_sync_leader "); ok {
			leader = strings.TrimSpace(v) == "1"
		}
		if v, ok := strings.CutPrefix(line, "helpdesk_sync_leader_fencing_token "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			token = int64(f)
		}
	}
	return leader, token
}

func (r *proc) readyz() (int, string) {
	resp, err := http.Get("http://" + r.adminAddr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// cursorPosition decodes the simulator's export cursor: its position in
// the stream of ticket changes. The tickets here are created one change
// each, in id order, so the position is the last ticket id it covers.
func cursorPosition(t *testing.T, cursor string) int64 {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		t.Fatalf("cursor %q: %v", cursor, err)
	}
	_, rest, _ := strings.Cut(string(raw), "||")
	n, err := strconv.ParseInt(strings.TrimSuffix(rest, "|"), 10, 64)
	if err != nil {
		t.Fatalf("cursor %q (%s): %v", cursor, raw, err)
	}
	return n
}

// TestSIGTERMStopsAtACheckpoint stops a replica mid-backfill and again
// while it writes notes, and checks that the persisted cursor never passes
// a page the state does not hold, that each stop exits 0 within the grace
// and releases the lease, and that restarts finish the work without
// saying anything twice.
func TestSIGTERMStopsAtACheckpoint(t *testing.T) {
	const tickets, grace = 400, 5 * time.Second
	w := newWorld(t, 20, tickets, "HELPDESK_SYNC_ZENDESK_PAGE_SIZE=20",
		"HELPDESK_SYNC_SYNC_SHUTDOWN_GRACE="+grace.String(), "HELPDESK_SYNC_SYNC_LEASE_TTL=3s")
	// A bug few customers report: its notes fit Zendesk's Update Ticket
	// budget (100 a minute, one every 0.6s) within the grace.
	few := w.jr.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "Typo on the invoice", Priority: "Low"}).Key
	w.addTickets(4, few)
	all := tickets + 4
	// Every Zendesk answer takes 60ms: 21 export pages are in flight for
	// over a second, time to be interrupted in the middle.
	w.zd.SetLatency(60 * time.Millisecond)
	ctx := context.Background()
	store := state.New(w.rdb, w.prefix, time.Hour)

	first := w.start("first")
	w.waitFor("the first export page to be committed", 20*time.Second, func() bool { return w.get("cursor:tickets") != "" })
	code, took := first.stop(syscall.SIGTERM, grace+2*time.Second)
	if code != 0 || took > grace {
		t.Fatalf("exit %d after %s, want 0 within %s", code, took, grace)
	}
	for _, msg := range []string{"shutting down: stopping at the next checkpoint", "engine stopped", "lease released", "stopped"} {
		if !first.logged(msg) {
			t.Errorf("no %q in the logs", msg)
		}
	}
	if w.get("epoch") != "" {
		t.Fatal("the backfill had finished before SIGTERM: the test needs more pages or latency")
	}
	if w.get("leader") != "" {
		t.Error("the lease was not released")
	}
	pos := cursorPosition(t, w.get("cursor:tickets"))
	ids := make([]int64, all)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	known, err := store.Tickets(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	// A page and its cursor are committed together: the state holds
	// exactly the tickets up to the cursor, none beyond.
	if pos <= 0 || pos >= int64(all) || int64(len(known)) != pos {
		t.Fatalf("cursor at ticket %d of %d, state holds %d tickets", pos, all, len(known))
	}
	for id := int64(1); id <= pos; id++ {
		if _, ok := known[id]; !ok {
			t.Fatalf("ticket %d is before the cursor (%d) but not in the state", id, pos)
		}
	}
	t.Logf("stopped in %s with the cursor at ticket %d of %d", took.Round(time.Millisecond), pos, all)

	// A restart finishes the backfill and writes every ticket's status.
	w.zd.SetLatency(5 * time.Millisecond)
	second := w.start("second")
	w.waitFor("every ticket to show its bug's status", 60*time.Second, func() bool { return w.showing("To Do") == all })
	// The small bug moves: its four tickets get one note each. Stop as
	// the first is written: the notes under way are finished.
	if err := w.jr.Transition(few, "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	w.waitFor("the first note", 30*time.Second, func() bool { return w.notes()[0] < all })
	noted := all - w.notes()[0]
	if code, took := second.stop(syscall.SIGTERM, grace+2*time.Second); code != 0 || took > grace {
		t.Fatalf("second replica: exit %d after %s", code, took)
	}
	t.Logf("second replica stopped: %d of 4 tickets noted at SIGTERM, %d at exit", noted, all-w.notes()[0])

	third := w.start("third")
	w.waitFor("the small bug's tickets to show its new status", 30*time.Second, func() bool { return w.showing("In Progress") == 4 })
	// A few idle polls: nothing more is said.
	time.Sleep(time.Second)
	if got := w.notes(); got[1] != 4 || got[0] != all-4 {
		t.Fatalf("tickets by number of private notes: %v; want 4 with exactly one, the rest none", got)
	}
	if code, _ := third.stop(syscall.SIGTERM, grace+2*time.Second); code != 0 {
		t.Fatalf("third replica: exit %d", code)
	}
}

// TestStandbyTakesOver runs two replicas, kills the leader with SIGKILL,
// and checks that the standby leads within one lease period and a retry,
// with a larger fencing token, that the two never lead at once, and that
// the new leader does the work that came in after the kill.
func TestStandbyTakesOver(t *testing.T) {
	const ttl = 2 * time.Second
	w := newWorld(t, 5, 40, "HELPDESK_SYNC_SYNC_LEASE_TTL="+ttl.String())
	a := w.start("a")
	w.waitFor("a to lead", 10*time.Second, func() bool { l, _ := a.leading(); return l })
	b := w.start("b")
	w.waitFor("b to be ready", 10*time.Second, func() bool { code, _ := b.readyz(); return code == 200 })
	if l, _ := b.leading(); l {
		t.Fatal("b leads beside a")
	}
	_, tokenA := a.leading()

	// Both gauges, every 25ms, until the end: never two leaders.
	ctx, cancel := context.WithCancel(context.Background())
	var both []string
	var watch sync.WaitGroup
	watch.Go(func() {
		for ctx.Err() == nil {
			la, ta := a.leading()
			lb, tb := b.leading()
			if la && lb {
				both = append(both, fmt.Sprintf("a (token %d) and b (token %d) at %s", ta, tb, time.Now().Format(time.StampMilli)))
			}
			time.Sleep(25 * time.Millisecond)
		}
	})
	defer func() {
		cancel()
		watch.Wait()
		if len(both) > 0 {
			t.Errorf("two leaders at once: %v", both)
		}
	}()

	w.waitFor("a to sync every ticket", 30*time.Second, func() bool { return w.showing("To Do") == 40 })
	killed := time.Now()
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-a.done
	w.addTickets(10, w.bugs...) // only a leader's poll finds these

	// The dead leader's lock expires after ttl; a standby retries every
	// ttl/6 to ttl/3. Allow a second for scheduling on a loaded machine.
	w.waitFor("b to lead", ttl+ttl/3+time.Second, func() bool { l, _ := b.leading(); return l })
	t.Logf("b leads %s after the kill", time.Since(killed).Round(time.Millisecond))
	_, tokenB := b.leading()
	if tokenB <= tokenA {
		t.Fatalf("fencing token went from %d to %d", tokenA, tokenB)
	}
	if epoch := w.get("leader:epoch"); epoch != strconv.FormatInt(tokenB, 10) {
		t.Fatalf("lease epoch %q in Redis, b holds token %d", epoch, tokenB)
	}
	w.waitFor("b to sync the tickets added after the kill", 30*time.Second, func() bool { return w.showing("To Do") == 50 })
	if code, body := b.readyz(); code != 200 || !strings.Contains(body, fmt.Sprintf("leader (fencing token %d)", tokenB)) {
		t.Fatalf("b's readiness: %d %s", code, body)
	}
	if code, _ := b.stop(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("b exit %d", code)
	}
}

// TestKilledLeadersClaimsComeBackAtOnce kills the leader with SIGKILL
// while it holds the claims of tickets it is writing notes for, moves the
// bug on, and checks that the standby, once it leads, writes every
// ticket's note within seconds, not after the five-minute claim lease, and
// says nothing twice.
func TestKilledLeadersClaimsComeBackAtOnce(t *testing.T) {
	const ttl, tickets = 2 * time.Second, 8
	w := newWorld(t, 1, tickets, "HELPDESK_SYNC_SYNC_LEASE_TTL="+ttl.String())
	a := w.start("a")
	w.waitFor("a to lead", 10*time.Second, func() bool { l, _ := a.leading(); return l })
	w.waitFor("a to sync every ticket", 30*time.Second, func() bool { return w.showing("To Do") == tickets })
	b := w.start("b")
	w.waitFor("b to be ready", 10*time.Second, func() bool { code, _ := b.readyz(); return code == 200 })

	// Zendesk slows down: a holds the tickets' claims while it writes.
	w.zd.SetLatency(500 * time.Millisecond)
	if err := w.jr.Transition(w.bugs[0], "In Progress", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	w.waitFor("a to claim the tickets", 20*time.Second, func() bool {
		n, err := w.rdb.ZCount(context.Background(), w.prefix+"q:ticket", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10), "+inf").Result()
		return err == nil && n > 0
	})
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-a.done
	killed := time.Now()
	w.zd.SetLatency(0)
	if err := w.jr.Resolve(w.bugs[0], "Done", "2.0", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	// b leads within the lease's TTL and a retry; the dead leader's claims
	// are back by then. The notes go out under Zendesk's Update Ticket
	// budget, one every 0.6 s.
	w.waitFor("every ticket to show the fix", 30*time.Second, func() bool { return w.showing("Done") == tickets })
	t.Logf("every ticket shows the fix %s after the kill", time.Since(killed).Round(time.Millisecond))
	for id := int64(1); id <= tickets; id++ {
		seen := map[string]bool{}
		fixed := 0
		for _, c := range w.zd.Comments(id) {
			if c.Public {
				continue
			}
			if seen[c.Body] {
				t.Errorf("ticket %d got the same note twice: %q", id, c.Body)
			}
			seen[c.Body] = true
			if strings.Contains(c.Body, "fixed in 2.0, not yet released") {
				fixed++
			}
		}
		if fixed != 1 {
			t.Errorf("ticket %d has %d notes of the fix, want 1", id, fixed)
		}
	}
	if code, _ := b.stop(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("b exit %d", code)
	}
}

func TestStepGate(t *testing.T) {
	stopped := 0
	idle := &stepGate{stop: func() { stopped++ }}
	idle.StepStarted("drain")
	idle.ObserveStep("drain", engine.Report{}, nil)
	if stopped != 0 {
		t.Fatal("stopped before close")
	}
	idle.close()
	if stopped != 1 {
		t.Fatalf("closing an idle engine stopped it %d times", stopped)
	}

	stopped = 0
	busy := &stepGate{stop: func() { stopped++ }}
	busy.StepStarted("cycle")
	busy.close()
	if stopped != 0 {
		t.Fatal("closing stopped the step under way")
	}
	busy.ObserveStep("cycle", engine.Report{}, errors.New("not the leader"))
	if stopped != 1 {
		t.Fatalf("the step under way finished; stopped %d times", stopped)
	}
}

func TestReadinessBound(t *testing.T) {
	tests := []struct {
		poll, webhookPoll, grace time.Duration
		webhooks                 bool
		want                     time.Duration
	}{
		{time.Minute, 10 * time.Minute, 25 * time.Second, false, 3*time.Minute + 25*time.Second},
		{time.Minute, 10 * time.Minute, 25 * time.Second, true, 30*time.Minute + 25*time.Second},
		{5 * time.Minute, time.Minute, 0, true, 15 * time.Minute},
	}
	for _, tt := range tests {
		cfg := config.Default()
		cfg.Sync.PollInterval, cfg.Sync.WebhookPollInterval, cfg.Sync.ShutdownGrace = tt.poll, tt.webhookPoll, tt.grace
		cfg.Webhooks.Enabled = tt.webhooks
		if got := readinessBound(cfg); got != tt.want {
			t.Errorf("readinessBound(%+v) = %s, want %s", tt, got, tt.want)
		}
	}
}

func TestGuardState(t *testing.T) {
	if detail, err := guardState(nil); err != nil || detail != "holding no writes" {
		t.Errorf("nothing held: %q, %v", detail, err)
	}
	since := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	_, err := guardState([]engine.GuardState{{Kind: "ticket", Planned: 3000, Limit: 2000, Since: since}, {Kind: "priority", Planned: 60, Limit: 50, Since: since}})
	for _, want := range []string{"holding 3000 ticket writes (limit 2000) since 2025-06-02T09:00:00Z", "holding 60 priority writes (limit 50)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

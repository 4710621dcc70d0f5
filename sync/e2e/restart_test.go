package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// workload seeds a deployment and returns the change that makes the next
// cycle busy: a bump with its comment, notes, remote links added and
// removed, and a stale flag with its comment.
type workload struct {
	tickets []int64
	keys    []string
}

func seedWorkload(e *env) (*workload, func()) {
	w, change := seedWorkloadNoStale(e)
	return w, func() {
		change()
		e.Clock.Advance(20 * 24 * time.Hour)
	}
}

// seedWorkloadNoStale is the workload without the stale flag, which needs
// a clock to move: for engine processes on the wall clock.
func seedWorkloadNoStale(e *env) (*workload, func()) {
	w := &workload{}
	for i := int64(1); i <= 6; i++ {
		e.org(100+i, map[bool]string{true: "enterprise"}[i == 1])
	}
	a, b, c := e.Bug("PROJ", "Low"), e.Bug("PROJ", "Low"), e.Bug("PROJ", "Lowest")
	w.keys = []string{a.Key, b.Key, c.Key}
	for i := int64(1); i <= 4; i++ {
		w.tickets = append(w.tickets, e.Ticket(100+i, a.Key))
	}
	w.tickets = append(w.tickets, e.Ticket(105, b.Key), e.Ticket(106, c.Key))
	solved := e.Ticket(106, a.Key)
	e.Zendesk.SetStatus(solved, "solved")
	w.tickets = append(w.tickets, solved)
	return w, func() {
		must(e.t, e.Jira.Transition(a.Key, "In Progress", jiratest.Engineer))
		must(e.t, e.Jira.Resolve(b.Key, "Done", "3.1", jiratest.Engineer))
		for i := int64(1); i <= 3; i++ {
			w.tickets = append(w.tickets, e.Ticket(100+i, a.Key))
		}
		e.Zendesk.SetCustomField(w.tickets[4], simulation.KeysFieldID, b.Key+" "+c.Key)
		e.Zendesk.SetCustomField(w.tickets[3], simulation.KeysFieldID, nil)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var (
	epoch = regexp.MustCompile(`\(ref: hs-[0-9a-f]+-`)
	host  = regexp.MustCompile(`https?://127\.0\.0\.1:[0-9]+`)
)

// vendorState renders what people see of the service's work.
func vendorState(e *env, w *workload) string {
	var b strings.Builder
	for _, id := range w.tickets {
		tk, _ := e.Zendesk.Ticket(id)
		field, _ := tk.Field(simulation.StatusFieldID).(string)
		tags := slices.Clone(tk.Tags)
		sort.Strings(tags)
		fmt.Fprintf(&b, "ticket %d %s %q %v notes=%q\n", id, tk.Status, field, tags, epoch.ReplaceAllString(strings.Join(e.notes(id), "|"), "(ref: hs-E-"))
	}
	for _, k := range w.keys {
		is := e.issue(k)
		labels := slices.Clone(is.Labels)
		sort.Strings(labels)
		comments := e.serviceComments(k)
		for i := range comments {
			comments[i] = epoch.ReplaceAllString(comments[i], "(ref: hs-E-")
		}
		var links []string
		for _, l := range e.Jira.RemoteLinks(k) {
			links = append(links, host.ReplaceAllString(fmt.Sprintf("%s %v %v", l.GlobalID, l.Object["title"], l.Object["status"]), "ZD"))
		}
		sort.Strings(links)
		fmt.Fprintf(&b, "issue %s %s %v %v comments=%q links=%q\n", k, is.Priority, deref(is.Custom[jiratest.CustomerCountField]), labels, comments, links)
	}
	return b.String()
}

// killAt cancels the cycle's context at the n-th HTTP request of either
// adapter: before sending it, or once its response is in (the vendor acted;
// the engine dies before recording it).
func killAt(e *env, n int, before bool) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	var mu sync.Mutex
	count := 0
	e.setHook(func(r *http.Request) error {
		mu.Lock()
		count++
		hit := count == n
		mu.Unlock()
		if !hit {
			return nil
		}
		if before {
			cancel()
			return context.Canceled
		}
		return errAfter{cancel}
	})
	return ctx
}

// errAfter asks the transport to send the request, buffer the answer, and
// cancel the cycle.
type errAfter struct{ cancel context.CancelFunc }

func (errAfter) Error() string { return "kill after the request" }

// Killing the process at any request of a busy cycle — before it is sent or
// after the vendor acted on it — and starting again ends in the same vendor
// state as an uninterrupted run, with no note or comment twice.
func TestKillAtAnyRequestReachesTheSameState(t *testing.T) {
	ref := newEnv(t)
	w, change := seedWorkload(ref)
	ref.settle()
	change()
	ref.ResetLogs()
	ref.settle()
	want := vendorState(ref, w)
	for _, s := range []string{"is now in progress", "fixed in 3.1, not yet released", "raised to", "stale by helpdesk-sync"} {
		if !strings.Contains(want, s) {
			t.Fatalf("workload does not exercise %q:\n%s", s, want)
		}
	}

	requests := countRequests(t, seedWorkload, nil)
	if requests < 15 {
		t.Fatalf("busy cycle sends only %d requests", requests)
	}
	t.Logf("killing a busy cycle at each of its %d requests, before and after", requests)
	killAtEachRequest(t, requests, want, seedWorkload, nil)
}

// countRequests counts the vendor requests of the cycle that follows
// seed's change, and calls check, when set, with the environment after it.
func countRequests(t *testing.T, seed func(*env) (*workload, func()), check func(*env)) int {
	t.Helper()
	probe := newEnv(t)
	_, change := seed(probe)
	probe.settle()
	change()
	var sent atomic.Int64
	probe.setHook(func(*http.Request) error { sent.Add(1); return nil })
	probe.cycle()
	probe.setHook(nil)
	if check != nil {
		check(probe)
	}
	return int(sent.Load())
}

// killAtEachRequest kills the cycle that follows seed's change at each of
// its requests, before the request is sent and after the vendor acted on
// it, starts the process again and wants the vendor state of an
// uninterrupted run. resume, when set, runs after the restart: what time
// must pass for the cut-short work to be due again.
func killAtEachRequest(t *testing.T, requests int, want string, seed func(*env) (*workload, func()), resume func(*env)) {
	t.Helper()
	for n := 1; n <= requests; n++ {
		for _, before := range []bool{true, false} {
			t.Run(fmt.Sprintf("request %d before=%v", n, before), func(t *testing.T) {
				e := newEnv(t, func(o *servicetest.Options) {
					o.Service = append(o.Service, servicetest.WithClaimLease(time.Minute))
				})
				w, change := seed(e)
				e.settle()
				change()
				ctx := killAt(e, n, before)
				e.Clock.Advance(2 * time.Minute)
				if _, err := e.engine().Cycle(ctx); err == nil {
					t.Fatal("the killed cycle reported success")
				}
				e.setHook(nil)
				e.Restart() // the process starts again
				if resume != nil {
					resume(e)
				}
				e.settle()
				if got := vendorState(e, w); got != want {
					t.Fatalf("after a kill at request %d:\n got:\n%s\nwant:\n%s", n, got, want)
				}
			})
		}
	}
}

package service_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack/slacktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// slackEnv is a deployment with Slack notices to a local stand-in, a bump
// to Medium at three customers and a two-week stale window.
func slackEnv(t *testing.T, more map[string]string) (*servicetest.Env, *slacktest.Server, *outcomes) {
	t.Helper()
	srv := slacktest.New(t)
	const window = "336h"
	cfg := map[string]string{
		"JIRA_PROJECTS":               "PROJ,WEB",
		"POLICY_THRESHOLDS":           "3=Medium,10=High,25=Highest",
		"POLICY_STALE_LABEL":          "stale",
		"POLICY_STALE_WINDOWS":        "Highest=" + window + ",High=" + window + ",Medium=" + window + ",Low=" + window,
		"POLICY_STALE_DEFAULT_WINDOW": window,
		"SLACK_WEBHOOK_URL":           srv.WebhookURL(),
		"SLACK_DIGEST_HOUR":           "-1",
	}
	for k, v := range more {
		cfg[k] = v
	}
	out := &outcomes{n: map[string]int{}}
	e := servicetest.New(t, servicetest.Options{Config: cfg})
	e.Assembly.SlackOutcome = out.add
	e.Restart()
	if e.Service.Notices == nil {
		t.Fatal("no notices assembled with slack.webhook_url set")
	}
	return e, srv, out
}

type outcomes struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *outcomes) add(s string) { o.mu.Lock(); o.n[s]++; o.mu.Unlock() }
func (o *outcomes) get(s string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[s]
}

// deliver moves what the inbox holds to the outbox and posts what is due,
// on each of the given replicas in turn.
func deliver(t *testing.T, svcs ...*service.Service) {
	t.Helper()
	ctx := context.Background()
	for _, s := range svcs {
		if err := s.Notices.Flush(ctx); err != nil {
			t.Fatalf("flush: %v", err)
		}
	}
	for _, s := range svcs {
		if err := s.Notices.Send(ctx); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
}

// headers counts the accepted messages by their header's first word(s).
func headers(srv *slacktest.Server) map[string]int {
	out := map[string]int{}
	for _, m := range srv.Messages() {
		if len(m.Blocks) == 0 || m.Blocks[0].Text == nil {
			out["(no header)"]++
			continue
		}
		h, _, _ := strings.Cut(m.Blocks[0].Text.Text, ":")
		out[h]++
	}
	return out
}

func customers(e *servicetest.Env, key string, n int) {
	for range n {
		e.Ticket(e.Org(""), key)
	}
}

// Each notice reaches Slack once although the process is killed between
// the engine's write and the post (nothing but Redis survives), two
// replicas work the same Redis, and the events come again.
func TestSlackNoticesOnceAcrossKillAndReplicas(t *testing.T) {
	e, srv, _ := slackEnv(t, nil)
	b := e.Bug("PROJ", "Low")
	customers(e, b.Key, 3)
	if rep := e.Cycle(); rep.PriorityChanges != 1 {
		t.Fatalf("report %+v, want one priority change", rep)
	}
	// kill -9: the process dies before any notice goroutine ran.
	e.Restart()
	replica := e.Assemble(nil)
	deliver(t, e.Service, replica)
	e.Settle()
	deliver(t, replica, e.Service)
	if got := headers(srv); got["Priority raised"] != 1 || len(got) != 1 {
		t.Fatalf("messages %v, want one priority raise", got)
	}

	// Fixed while customers wait: one notice; the same events again (an
	// engine that crashed before committing what it saw sees them again)
	// make none.
	if err := e.Jira.Resolve(b.Key, "Done", "2.4.1", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.Cycle()
	e.Restart()
	deliver(t, replica, e.Service)
	for _, ev := range e.Events.Events() {
		e.Service.Notices.Record(ev)
		replica.Notices.Record(ev)
	}
	deliver(t, e.Service, replica)
	e.Settle()
	deliver(t, e.Service, replica)
	if got := headers(srv); got["Priority raised"] != 1 || got["Fixed"] != 1 || len(got) != 2 {
		t.Fatalf("messages %v, want one raise and one fix", got)
	}
	if r := srv.Refused(); len(r) > 0 {
		t.Fatalf("the stand-in refused posts: %v", r)
	}
}

// A stale flag makes one notice; a dry run makes none.
func TestSlackStaleOnceAndDryRunSilent(t *testing.T) {
	e, srv, _ := slackEnv(t, nil)
	e.Assembly.DryRun = true
	e.Restart()
	b := e.Bug("PROJ", "Low")
	customers(e, b.Key, 3)
	e.Cycle()
	deliver(t, e.Service)
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("a dry run posted %d notices", n)
	}
	e.Assembly.DryRun = false
	e.Restart()
	e.Settle()
	e.Clock.Advance(15 * 24 * time.Hour)
	if rep := e.Cycle(); rep.StaleFlagged != 1 {
		t.Fatalf("report %+v, want one stale flag", rep)
	}
	e.Restart()
	e.Settle()
	deliver(t, e.Service, e.Assemble(nil))
	if got := headers(srv); got["Priority raised"] != 1 || got["Gone stale"] != 1 || len(got) != 2 {
		t.Fatalf("messages %v, want one raise and one stale", got)
	}
}

// A 429 waits out its Retry-After, a 500 is retried later, and the notice
// is posted once in the end.
func TestSlackRetryAfterAnd500(t *testing.T) {
	e, srv, out := slackEnv(t, nil)
	b := e.Bug("PROJ", "Low")
	customers(e, b.Key, 3)
	e.Cycle()
	srv.Then(slacktest.Reply{Status: 429, RetryAfter: 90}, slacktest.Reply{Status: 500, Body: "internal_error"})
	deliver(t, e.Service)
	if srv.Posts() != 1 || out.get("retried") != 1 {
		t.Fatalf("%d posts, outcomes %v; want one 429", srv.Posts(), out.n)
	}
	st, err := e.Service.Notices.Status(e.Ctx, "raised:"+b.ID+":1:Medium@default")
	if err != nil || st.State != "pending" || !strings.Contains(st.LastError, "HTTP 429") || strings.Contains(st.LastError, slacktest.Hook) {
		t.Fatalf("after the 429: %+v, %v (the error must say 429 and not show the webhook's path)", st, err)
	}
	e.Clock.Advance(89 * time.Second)
	deliver(t, e.Service)
	if srv.Posts() != 1 {
		t.Fatalf("posted again %s before Retry-After", time.Second)
	}
	e.Clock.Advance(time.Second)
	deliver(t, e.Service)
	if srv.Posts() != 2 || out.get("retried") != 2 || len(srv.Messages()) != 0 {
		t.Fatalf("%d posts, outcomes %v; want the 500 second", srv.Posts(), out.n)
	}
	e.Clock.Advance(time.Hour)
	deliver(t, e.Service)
	if got := headers(srv); got["Priority raised"] != 1 || srv.Posts() != 3 || out.get("sent") != 1 {
		t.Fatalf("messages %v after %d posts, outcomes %v", got, srv.Posts(), out.n)
	}
}

// A Slack that hangs holds up no cycle: every cycle makes its writes and
// queues its notices while a post waits on Slack.
func TestSlackDownDoesNotSlowSyncing(t *testing.T) {
	e, srv, _ := slackEnv(t, nil)
	srv.Stall()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Service.Notices.Run(ctx); close(done) }()
	defer func() { srv.Unstall(); cancel(); <-done }()

	const bugs = 5
	for i := range bugs {
		b := e.Bug("PROJ", "Low")
		customers(e, b.Key, 3)
		rep := e.Cycle()
		if rep.PriorityChanges != 1 || rep.Writes() == 0 {
			t.Fatalf("cycle %d: %+v, want its priority change", i, rep)
		}
	}
	if got := len(srv.Messages()); got != 0 {
		t.Fatalf("%d messages through a stalled Slack", got)
	}
	raised := 0
	for _, ev := range e.Events.Events() {
		if ev.Kind == engine.EventPriorityChanged {
			raised++
		}
	}
	if raised != bugs {
		t.Fatalf("%d priority changes recorded, want %d", raised, bugs)
	}
	srv.Unstall()
	waitFor(t, "every notice posted", func() bool {
		e.Clock.Advance(time.Second) // the notices' polls
		return len(srv.Messages()) == bugs
	})
}

// waitFor polls cond until it holds; a generous bound only stops a hung
// test, it asserts no timing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("waited 30s for %s", what)
}

// The digest goes out at the configured hour in the configured zone, once
// a day across a DST change, and a replica started after a missed hour
// posts it late.
func TestSlackDigestAtConfiguredHourAndZone(t *testing.T) {
	e, srv, _ := slackEnv(t, map[string]string{"SLACK_DIGEST_HOUR": "9", "SLACK_TIME_ZONE": "America/New_York"})
	b := e.Bug("PROJ", "Low")
	customers(e, b.Key, 3)
	e.Cycle()
	deliver(t, e.Service) // the raise
	ny, _ := time.LoadLocation("America/New_York")
	queued := func(day string) string {
		st, err := e.Service.Notices.Status(e.Ctx, "digest:"+day+"@default")
		if err != nil {
			t.Fatal(err)
		}
		return st.State
	}
	run := func() func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.Service.Notices.RunDigests(ctx); close(done) }()
		return func() { cancel(); <-done }
	}
	armed := func(at time.Time) {
		waitFor(t, "a digest timer at "+at.String(), func() bool {
			for _, tm := range e.Clock.Timers() {
				if tm.Equal(at) {
					return true
				}
			}
			return false
		})
	}

	// 2025-06-02 09:00 UTC is 05:00 in New York: the digest is at 13:00 UTC.
	stop := run()
	armed(time.Date(2025, 6, 2, 9, 0, 0, 0, ny))
	e.Clock.Advance(time.Date(2025, 6, 2, 13, 0, 0, 0, time.UTC).Sub(e.Clock.Now()) - time.Second)
	if st := queued("2025-06-02"); st != "" {
		t.Fatalf("digest queued before the hour: %s", st)
	}
	e.Clock.Advance(time.Second)
	armed(time.Date(2025, 6, 3, 9, 0, 0, 0, ny))
	if st := queued("2025-06-02"); st != "pending" {
		t.Fatalf("digest at the hour: state %q", st)
	}
	stop()
	deliver(t, e.Service)
	msgs := srv.Messages()
	last := msgs[len(msgs)-1]
	if h := last.Blocks[0].Text.Text; h != "Customer impact digest — Monday 2 June 2025" || !strings.Contains(last.Blocks[2].Text.Text, b.Key) {
		t.Fatalf("digest %q: %+v", h, last.Blocks)
	}

	// Across the end of DST (2 November 2025): 09:00 in New York is 13:00
	// UTC on the 1st and 14:00 UTC on the 2nd.
	e.Clock.Advance(time.Date(2025, 11, 1, 12, 0, 0, 0, time.UTC).Sub(e.Clock.Now()))
	stop = run()
	armed(time.Date(2025, 11, 1, 13, 0, 0, 0, time.UTC))
	e.Clock.Advance(time.Hour)
	armed(time.Date(2025, 11, 2, 14, 0, 0, 0, time.UTC))
	e.Clock.Advance(24 * time.Hour)
	if st := queued("2025-11-02"); st != "" {
		t.Fatalf("digest of 2 November queued at 08:00 EST: %s", st)
	}
	e.Clock.Advance(time.Hour)
	armed(time.Date(2025, 11, 3, 14, 0, 0, 0, time.UTC))
	stop()

	// Down over the hour on the 3rd: the replica started at 10:30 EST posts it.
	e.Clock.Advance(time.Date(2025, 11, 3, 15, 30, 0, 0, time.UTC).Sub(e.Clock.Now()))
	stop = run()
	armed(time.Date(2025, 11, 4, 14, 0, 0, 0, time.UTC))
	stop()
	deliver(t, e.Service)
	var days []string
	for _, m := range srv.Messages() {
		if h := m.Blocks[0].Text.Text; strings.HasPrefix(h, "Customer impact digest") {
			days = append(days, strings.TrimPrefix(h, "Customer impact digest — "))
		}
	}
	want := []string{"Monday 2 June 2025", "Saturday 1 November 2025", "Sunday 2 November 2025", "Monday 3 November 2025"}
	if strings.Join(days, "|") != strings.Join(want, "|") {
		t.Fatalf("digests %q, want %q", days, want)
	}
}

// Rules send each notice to the webhooks whose filters it passes, once
// per webhook.
func TestSlackRulesRouteByProjectAndCustomers(t *testing.T) {
	eng := slacktest.New(t)
	dir := t.TempDir()
	file := dir + "/eng"
	if err := os.WriteFile(file, []byte(eng.WebhookURL()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, cs, _ := slackEnv(t, map[string]string{
		"SLACK_WEBHOOK_FILES": "eng=" + file,
		"SLACK_RULES": `[{"webhook": "eng", "projects": ["WEB"]},
			{"webhook": "default", "events": ["priority_raised"], "min_customers": 4},
			{"webhook": "eng", "events": ["priority_raised"], "min_customers": 10}]`,
	})
	proj, web := e.Bug("PROJ", "Low"), e.Bug("WEB", "Low")
	customers(e, proj.Key, 3) // raised to Medium: 3 customers, under both minimums
	customers(e, web.Key, 4)  // raised to Medium: WEB, and 4 customers
	e.Settle()
	deliver(t, e.Service)     // as Run does every few seconds: figures are the state's when a notice is built
	customers(e, proj.Key, 7) // raised to High: 10 customers
	e.Settle()
	deliver(t, e.Service)
	texts := func(s *slacktest.Server) []string {
		var out []string
		for _, m := range s.Messages() {
			out = append(out, m.Text)
		}
		slices.Sort(out)
		return out
	}
	wantEng := []string{"Priority raised to High: " + proj.Key, "Priority raised to Medium: " + web.Key}
	wantCS := []string{"Priority raised to High: " + proj.Key, "Priority raised to Medium: " + web.Key}
	for _, c := range []struct {
		name string
		got  []string
		want []string
	}{{"eng", texts(eng), wantEng}, {"default", texts(cs), wantCS}} {
		if len(c.got) != len(c.want) {
			t.Fatalf("%s got %q, want %q", c.name, c.got, c.want)
		}
		for i := range c.want {
			if !strings.HasPrefix(c.got[i], c.want[i]) {
				t.Errorf("%s got %q, want %q", c.name, c.got, c.want)
			}
		}
	}
}

package service_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack/slacktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
)

// running runs the current service's notices (inbox, sender) as the
// process does; stop is a graceful stop, which flushes the inbox and
// finishes a post under way.
func running(e *servicetest.Env) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Service.Notices.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

// until advances the fake clock (the notices' polls) until srv has
// accepted the messages of want, by header.
func until(t *testing.T, e *servicetest.Env, srv *slacktest.Server, want map[string]int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("Slack messages %v", want), func() bool {
		e.Clock.Advance(time.Second)
		got := headers(srv)
		for h, n := range want {
			if got[h] < n {
				return false
			}
		}
		return true
	})
}

// A fix customers wait on makes one "Fixed" notice while its version is
// not released, and one "Fix released" when the version ships; the
// service is stopped and started again on the same Redis between the two
// and after, the engine sees its events again, and still nothing is told
// twice. The counts are taken once the service is stopped and the outbox
// holds nothing due.
func TestSlackFixedThenReleasedOnceAcrossRestart(t *testing.T) {
	e, srv, out := slackEnv(t, nil)
	b := e.Bug("PROJ", "Low")
	customers(e, b.Key, 3)
	stop := running(e)
	e.Settle() // raised to Medium
	if err := e.Jira.Resolve(b.Key, "Done", "2.5", jiratest.Engineer); err != nil {
		t.Fatal(err)
	}
	e.Settle()
	until(t, e, srv, map[string]int{"Priority raised": 1, "Fixed": 1})
	stop()

	// Stopped and started again, the same Redis prefix.
	stop = restartReplaying(e)
	if err := e.Jira.ReleaseVersion("PROJ", "2.5", time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(15 * time.Minute) // the release check's interval
	e.Settle()
	until(t, e, srv, map[string]int{"Fix released": 1})
	stop()

	stop = restartReplaying(e)
	stop()
	deliver(t, e.Service) // what is left is due now: drained when Send returns
	want := map[string]int{"Priority raised": 1, "Fixed": 1, "Fix released": 1}
	if got := headers(srv); !maps.Equal(got, want) {
		t.Fatalf("messages %v, want %v", got, want)
	}
	if srv.Posts() != 3 || out.get("sent") != 3 || out.get("retried") != 0 || len(srv.Refused()) != 0 {
		t.Fatalf("%d posts, outcomes %v, refused %v; want three posts, each sent once", srv.Posts(), out.n, srv.Refused())
	}
}

// restartReplaying starts e's stopped service again on the same Redis
// prefix and hands it every event the engine has ever reported, as a
// successor that sees them again would: a notice already sent must not
// go twice. It returns the new run's stop, after one settled cycle.
func restartReplaying(e *servicetest.Env) func() {
	e.Restart()
	stop := running(e)
	for _, ev := range e.Events.Events() {
		e.Service.Notices.Record(ev)
	}
	e.Settle()
	return stop
}

package ops_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/ops"
)

// A check that does not honour its context (a Redis client blocked on a
// server that accepted and never answers) does not hold /readyz: it
// answers 503 by the deadline, naming the check, and a second probe while
// the first run still hangs joins it instead of starting another.
func TestReadinessAnswersByTheDeadline(t *testing.T) {
	stalled := make(chan struct{})
	t.Cleanup(func() { close(stalled) })
	var runs atomic.Int32
	stuck := func(context.Context) (string, error) {
		runs.Add(1)
		<-stalled // ignores ctx
		return "PONG", nil
	}
	const deadline = 100 * time.Millisecond
	s, err := ops.New(ops.Options{Addr: "127.0.0.1:0", CheckTimeout: deadline,
		Checks: []ops.Check{{Name: "redis", Run: stuck}, {Name: "config", Run: ok("valid")}}})
	if err != nil {
		t.Fatal(err)
	}
	for probe := 1; probe <= 2; probe++ {
		type answer struct {
			code int
			body string
		}
		got := make(chan answer, 1)
		start := time.Now()
		go func() {
			code, body, _ := get(t, s.Handler(), "/readyz")
			got <- answer{code, body}
		}()
		var a answer
		select {
		case a = <-got:
		case <-time.After(10 * time.Second):
			t.Fatalf("probe %d: /readyz has not answered in 10s with a check stalled; the deadline is %s", probe, deadline)
		}
		t.Logf("probe %d answered %d in %s", probe, a.code, time.Since(start).Round(time.Millisecond))
		var r ops.Readiness
		if err := json.Unmarshal([]byte(a.body), &r); err != nil {
			t.Fatal(err)
		}
		if a.code != 503 || r.Status != "not ready" || len(r.Checks) != 2 {
			t.Fatalf("probe %d: %d %s", probe, a.code, a.body)
		}
		if c := r.Checks[0]; c.Name != "redis" || c.OK || !strings.Contains(c.Error, "no answer within 100ms") {
			t.Errorf("probe %d: the stalled check shows as %+v", probe, c)
		}
		if c := r.Checks[1]; c.Name != "config" || !c.OK || c.Detail != "valid" {
			t.Errorf("probe %d: the healthy check shows as %+v", probe, c)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("the stalled check was started %d times; a probe should join the run under way", n)
	}
}

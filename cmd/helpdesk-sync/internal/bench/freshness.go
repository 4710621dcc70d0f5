package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
)

// change is one timed change: made at some moment, seen once its write
// shows in the other system.
type change struct {
	made time.Time
	seen func() bool
}

// freshness is scenario 4: the engine runs as a deployment does, polling
// every PollInterval, while changes are made in the simulators at random
// moments; each is timed until its write shows in the other system.
//
//   - Zendesk side: an agent links a ticket to another bug; seen when the
//     new bug carries the ticket's remote link.
//   - Jira side: an engineer starts work on a bug; seen when its ticket's
//     bug status field says In Progress.
func (b *bench) freshness(ctx context.Context) error {
	d, err := simulation.Generate(b.o.Seed, b.o.Steady)
	if err != nil {
		return err
	}
	env := []string{config.EnvPrefix + "SYNC_POLL_INTERVAL=" + b.o.PollInterval.String()}
	dep, err := b.deploy(ctx, d, deployOptions{budgets: unlimited, env: env})
	if err != nil {
		return err
	}
	zd, jira, err := b.timeChanges(ctx, dep, d)
	if err = errors.Join(err, b.teardown(ctx, dep)); err != nil {
		return err
	}
	t := &table{
		title: fmt.Sprintf("4. Freshness: change in one system to the write in the other, polling every %s (no webhooks)", b.o.PollInterval),
		head:  []string{"change", "n", "p50 (s)", "p99 (s)", "max (s)"},
	}
	for _, r := range []struct {
		what string
		d    []time.Duration
	}{{"ticket linked to a bug (Zendesk → Jira remote link)", zd}, {"bug started (Jira → Zendesk status field)", jira}} {
		t.row(r.what, count(len(r.d)), seconds(quantile(r.d, 0.50).Seconds()), seconds(quantile(r.d, 0.99).Seconds()),
			seconds(slices.Max(r.d).Seconds()))
	}
	t.note("Changes come at random moments, so a poll is on average half an interval away. Zendesk's real export also")
	t.note("holds back the last minute of changes (the simulator here does not): add 60 s to the Zendesk → Jira direction")
	t.note("when polling. Webhook-driven freshness is not measured yet: the run command mounts no webhook receiver.")
	t.print(b.o.Out)
	return nil
}

// timeChanges backfills, starts the engine running, and makes and times
// Freshness changes of each kind, one pair at a time.
func (b *bench) timeChanges(ctx context.Context, dep *deployment, d simulation.Dataset) (zd, jira []time.Duration, err error) {
	if _, err := dep.engine.do(cmdSettle); err != nil {
		return nil, nil, err
	}
	if err := dep.engine.send(cmdRun); err != nil {
		return nil, nil, err
	}
	defer func() {
		_, stopErr := dep.engine.do(cmdStop)
		err = errors.Join(err, stopErr)
	}()
	pick := newPicker(d)
	rng := rand.New(rand.NewPCG(uint64(b.o.Seed), 4))
	timeout := 10*b.o.PollInterval + 10*time.Second
	for i := range b.o.Freshness {
		// A random moment within the next poll interval, so that the
		// changes sample every phase of the polling.
		if err := sleep(ctx, time.Duration(rng.Int64N(int64(b.o.PollInterval)))); err != nil {
			return nil, nil, err
		}
		zc, err := pick.relink(dep)
		if err != nil {
			return nil, nil, err
		}
		jc, err := pick.start(dep)
		if err != nil {
			return nil, nil, err
		}
		waits, err := await(ctx, timeout, zc, jc)
		if err != nil {
			return nil, nil, fmt.Errorf("change pair %d: %w", i+1, err)
		}
		zd, jira = append(zd, waits[0]), append(jira, waits[1])
		b.o.Logger.Debug("changes seen", zap.Int("pair", i+1), zap.Duration("zendesk_to_jira", waits[0]), zap.Duration("jira_to_zendesk", waits[1]))
	}
	return zd, jira, nil
}

// await polls the changes every millisecond until each is seen, and
// returns how long each took.
func await(ctx context.Context, timeout time.Duration, changes ...change) ([]time.Duration, error) {
	out := make([]time.Duration, len(changes))
	pending := len(changes)
	deadline := time.Now().Add(timeout)
	for pending > 0 {
		for i, c := range changes {
			if out[i] == 0 && c.seen() {
				out[i] = time.Since(c.made)
				pending--
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("a change was not written within %s", timeout)
		}
		if err := sleep(ctx, time.Millisecond); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// picker hands out tickets and bugs to change, each once.
type picker struct {
	d       simulation.Dataset
	next    int // the next ticket index to consider
	started map[int]bool
}

func newPicker(d simulation.Dataset) *picker { return &picker{d: d, started: map[int]bool{}} }

// ticket is the next open ticket linked to exactly one bug that ok accepts.
func (p *picker) ticket(ok func(simulation.Ticket) bool) (simulation.Ticket, error) {
	for ; p.next < p.d.Size.Tickets; p.next++ {
		t := p.d.Ticket(p.next)
		if len(t.Bugs) == 1 && t.Status != "solved" && t.Status != "closed" && ok(t) {
			p.next++
			return t, nil
		}
	}
	return simulation.Ticket{}, errors.New("ran out of tickets to change")
}

// relink links a ticket to the next bug and returns the timed change.
func (p *picker) relink(dep *deployment) (change, error) {
	t, err := p.ticket(relinkable)
	if err != nil {
		return change{}, err
	}
	to := p.d.Bug((t.Bugs[0] + 1) % p.d.Size.Bugs)
	suffix := "/tickets/" + strconv.FormatInt(t.ID, 10)
	made := time.Now()
	if !dep.stack.Zendesk.SetCustomField(t.ID, simulation.KeysFieldID, to.Key) {
		return change{}, fmt.Errorf("ticket %d is not in the simulator", t.ID)
	}
	return change{made: made, seen: func() bool {
		return slices.ContainsFunc(dep.stack.Jira.RemoteLinks(to.Key), func(l jiratest.RemoteLink) bool {
			return strings.HasSuffix(l.GlobalID, suffix)
		})
	}}, nil
}

// start moves the bug of a ticket from To Do to In Progress and returns
// the timed change.
func (p *picker) start(dep *deployment) (change, error) {
	t, err := p.ticket(func(t simulation.Ticket) bool {
		return !p.started[t.Bugs[0]] && p.d.Bug(t.Bugs[0]).Status == "To Do"
	})
	if err != nil {
		return change{}, err
	}
	bug := p.d.Bug(t.Bugs[0])
	p.started[bug.Index] = true
	want := bug.Key + ": In Progress"
	made := time.Now()
	if err := dep.stack.Jira.Transition(bug.Key, "In Progress", jiratest.Engineer); err != nil {
		return change{}, fmt.Errorf("start bug %s: %w", bug.Key, err)
	}
	return change{made: made, seen: func() bool {
		tk, _ := dep.stack.Zendesk.Ticket(t.ID)
		v, _ := tk.Field(simulation.StatusFieldID).(string)
		return strings.HasPrefix(v, want)
	}}, nil
}

// quantile is the q-quantile of ds (nearest rank).
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	i := int(math.Ceil(float64(len(s))*q)) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/webhook"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
)

// change is one timed change: made at some moment, seen once its write
// shows in the other system.
type change struct {
	what string
	made time.Time
	seen func() bool
}

// freshness is scenario 4: the engine runs as a deployment does while
// changes are made in the simulators at random moments; each is timed
// until its write shows in the other system. It runs twice, on a
// deployment of its own each: polling every PollInterval, then with the
// simulators' signed webhooks delivered to the engine's receiver and
// polling only the backstop.
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
	t := &table{
		title: fmt.Sprintf("4. Freshness: change in one system to the write in the other (%d tickets)", d.Size.Tickets),
		head:  []string{"mode", "change", "n", "p50 (ms)", "p99 (ms)", "max (ms)"},
	}
	var notes []string
	for _, m := range []freshMode{
		{name: "polling every " + shortDuration(b.o.PollInterval)},
		{name: "webhooks, polling backstop every " + shortDuration(b.o.WebhookPollInterval), webhooks: true},
	} {
		r, err := b.measureFreshness(ctx, d, m)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		for _, c := range []struct {
			what string
			d    []time.Duration
		}{{"ticket linked to a bug (Zendesk → Jira remote link)", r.zd}, {"bug started (Jira → Zendesk status field)", r.jira}} {
			t.row(m.name, c.what, count(len(c.d)), millis(quantile(c.d, 0.50)), millis(quantile(c.d, 0.99)), millis(slices.Max(c.d)))
		}
		notes = append(notes, m.name+": "+r.summary())
	}
	for _, n := range notes {
		t.note("%s", n)
	}
	t.note("Each mode runs on a deployment of its own, no vendor rate limit, timing changes after an untimed one of each")
	t.note("kind has settled and after the engine's first poll. The summaries count what the engine did after that poll.")
	t.note("Changes come at random moments, so a poll is on average half an interval away. Zendesk's real export also holds")
	t.note("back the last minute of changes (the simulator here does not): add 60 s to the Zendesk → Jira direction when")
	t.note("polling. Webhooks: the simulator delivers each change signed to the engine process's receiver over HTTP, which")
	t.note("queues it in Redis and wakes the engine; it reads the item afresh and writes. The simulated Zendesk also")
	t.note("delivers the service's own writes, which a real trigger filters out (current_via_id is_not 5): these only add")
	t.note("load.")
	t.print(b.o.Out)
	return nil
}

// freshMode is how the engine learns of changes: by polling alone, or by
// webhooks with polling as the backstop.
type freshMode struct {
	name     string
	webhooks bool
}

// freshRun is what one mode measured: the time to each change's write,
// and the engine's whole run.
type freshRun struct {
	zd, jira []time.Duration
	run      Step
}

// measureFreshness deploys the engine configured for m, backfills, and times the
// changes.
func (b *bench) measureFreshness(ctx context.Context, d simulation.Dataset, m freshMode) (freshRun, error) {
	env := []string{config.EnvPrefix + "SYNC_POLL_INTERVAL=" + b.o.PollInterval.String()}
	var zdSecret, jiraSecret string
	if m.webhooks {
		// 40 and 24 characters: the configuration wants at least 32 and 16.
		zdSecret = randomID() + randomID() + randomID() + randomID() + randomID()
		jiraSecret = randomID() + randomID() + randomID()
		env = append(env,
			config.EnvPrefix+"WEBHOOKS_ENABLED=true",
			config.EnvPrefix+"WEBHOOKS_ZENDESK_SECRET="+zdSecret,
			config.EnvPrefix+"WEBHOOKS_JIRA_SECRET="+jiraSecret,
			config.EnvPrefix+"SYNC_WEBHOOK_POLL_INTERVAL="+b.o.WebhookPollInterval.String(),
			// The engine process reports the port it got (listen).
			config.EnvPrefix+"HTTP_LISTEN=127.0.0.1:0")
	}
	dep, err := b.deploy(ctx, d, deployOptions{budgets: unlimited, env: env})
	if err != nil {
		return freshRun{}, err
	}
	var r freshRun
	err = func() error {
		if _, err := dep.engine.do(cmdSettle); err != nil {
			return err
		}
		if m.webhooks {
			// Only now: the backfill's writes would have echoed back.
			if err := hookSimulators(dep, zdSecret, jiraSecret); err != nil {
				return err
			}
		}
		pick := newPicker(d)
		if err := warmUp(ctx, dep, pick); err != nil {
			return err
		}
		if m.webhooks {
			if err := delivered(ctx, dep); err != nil {
				return err
			}
		}
		var err error
		r, err = b.timeChanges(ctx, dep, pick)
		return err
	}()
	if err = errors.Join(err, b.teardown(ctx, dep)); err != nil {
		return freshRun{}, err
	}
	if m.webhooks && (r.accepted(webhook.SourceZendesk) == 0 || r.accepted(webhook.SourceJira) == 0) {
		return freshRun{}, fmt.Errorf("the receiver accepted no delivery from a vendor (%v): the times measured polling, not webhooks", r.run.Deliveries)
	}
	return r, nil
}

// hookSimulators points both simulators' signed webhooks at the engine
// process's receiver, as an administrator configures them (see
// 'webhooks print-setup').
func hookSimulators(dep *deployment, zdSecret, jiraSecret string) error {
	s, err := dep.engine.do(cmdListen)
	if err != nil {
		return err
	}
	base := "http://" + s.Listen + strings.TrimSuffix(service.WebhookPattern, "/")
	dep.stack.Zendesk.SetWebhook(zendesktest.Webhook{URL: base + "/zendesk", Secret: zdSecret})
	dep.stack.Jira.SetWebhook(jiratest.Webhook{URL: base + "/jira", Secret: jiraSecret,
		Events: []string{"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"}})
	return nil
}

// warmUp makes one untimed change of each kind and settles them before
// the engine runs, in either mode, so that the timed changes find the
// engine as it runs day to day. Right after a backfill a poll cycle reads
// again the bugs of its last minute (until Jira shows a newer update), and
// webhook pacing starts once both vendors have delivered. Without the
// warm-up, the first timed changes would measure those instead, or wait
// behind them.
func warmUp(ctx context.Context, dep *deployment, pick *picker) error {
	zc, err := pick.relink(dep)
	if err != nil {
		return err
	}
	jc, err := pick.start(dep)
	if err != nil {
		return err
	}
	if _, err := dep.engine.do(cmdSettle); err != nil {
		return err
	}
	if _, err := await(ctx, 10*time.Second, zc, jc); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	return nil
}

// delivered waits until both simulators have sent every webhook queued so
// far, and checks that the receiver accepted some from each. Webhook
// pacing slows polling to the backstop only once both vendors have
// delivered, and Run asks for it after its first poll: a delivery still
// on its way then would leave Run polling at sync.poll_interval.
func delivered(ctx context.Context, dep *deployment) error {
	if err := dep.stack.Zendesk.FlushWebhooks(ctx); err != nil {
		return fmt.Errorf("zendesk webhooks: %w", err)
	}
	dep.stack.Jira.WaitWebhooks()
	zd := slices.ContainsFunc(dep.stack.Zendesk.Deliveries(), func(d zendesktest.Delivery) bool { return d.Status == http.StatusAccepted })
	jira := slices.ContainsFunc(dep.stack.Jira.Deliveries(), func(d jiratest.Delivery) bool { return d.Status == http.StatusAccepted })
	if !zd || !jira {
		return fmt.Errorf("the receiver accepted no warm-up delivery from Zendesk (%t) or Jira (%t): webhook pacing would not start", zd, jira)
	}
	return nil
}

// accepted is the deliveries from source the receiver accepted.
func (r freshRun) accepted(source string) int {
	return r.run.Deliveries[source+" "+webhook.ResultAccepted]
}

// summary says who wrote what during the run: the queue's drains (woken
// by webhooks, or every drain interval for retries) or the poll cycles.
func (r freshRun) summary() string {
	cycles := subReports(r.run.Report, r.run.DrainReport)
	s := fmt.Sprintf("poll cycles %d, writing %d remote links and %d ticket updates; queue drains %d, writing %d and %d",
		r.run.Cycles, cycles.RemoteLinksUpserted, cycles.TicketUpdates,
		r.run.Drains, r.run.DrainReport.RemoteLinksUpserted, r.run.DrainReport.TicketUpdates)
	if r.run.Deliveries == nil {
		return s + "."
	}
	var other []string
	for _, k := range slices.Sorted(maps.Keys(r.run.Deliveries)) {
		if !strings.HasSuffix(k, " "+webhook.ResultAccepted) {
			other = append(other, fmt.Sprintf("%s %d", k, r.run.Deliveries[k]))
		}
	}
	return fmt.Sprintf("%s; webhook deliveries accepted: Zendesk %d, Jira %d; not accepted: %s.", s,
		r.accepted(webhook.SourceZendesk), r.accepted(webhook.SourceJira), cmp.Or(strings.Join(other, ", "), "none"))
}

// timeChanges starts the engine running and makes and times Freshness
// changes of each kind, one pair at a time. The engine answers run once
// Run's first poll has ended: a change made during that poll would be
// written by it, however the mode learns of changes.
func (b *bench) timeChanges(ctx context.Context, dep *deployment, pick *picker) (r freshRun, err error) {
	if _, err := dep.engine.do(cmdRun); err != nil {
		return r, err
	}
	defer func() {
		var stopErr error
		r.run, stopErr = dep.engine.do(cmdStop)
		err = errors.Join(err, stopErr)
	}()
	rng := rand.New(rand.NewPCG(uint64(b.o.Seed), 4))
	timeout := 10*b.o.PollInterval + 10*time.Second
	for i := range b.o.Freshness {
		// A random moment within the next poll interval, so that the
		// changes sample every phase of the polling.
		if err := clock.Sleep(ctx, time.Duration(rng.Int64N(int64(b.o.PollInterval)))); err != nil {
			return r, err
		}
		zc, err := pick.relink(dep)
		if err != nil {
			return r, err
		}
		jc, err := pick.start(dep)
		if err != nil {
			return r, err
		}
		waits, err := await(ctx, timeout, zc, jc)
		if err != nil {
			return r, fmt.Errorf("change pair %d: %w", i+1, err)
		}
		r.zd, r.jira = append(r.zd, waits[0]), append(r.jira, waits[1])
		b.o.Logger.Debug("changes seen", zap.Int("pair", i+1), zap.Duration("zendesk_to_jira", waits[0]), zap.Duration("jira_to_zendesk", waits[1]))
	}
	return r, nil
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
			var late []string
			for i, c := range changes {
				if out[i] == 0 {
					late = append(late, c.what)
				}
			}
			return nil, fmt.Errorf("not written within %s: %s", timeout, strings.Join(late, "; "))
		}
		if err := clock.Sleep(ctx, time.Millisecond); err != nil {
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
	what := fmt.Sprintf("ticket %d linked to %s instead of %s", t.ID, to.Key, p.d.Bug(t.Bugs[0]).Key)
	return change{what: what, made: made, seen: func() bool {
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
	what := fmt.Sprintf("bug %s started, to show on ticket %d", bug.Key, t.ID)
	return change{what: what, made: made, seen: func() bool {
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

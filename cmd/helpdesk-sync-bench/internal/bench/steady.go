package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
)

// Request classes, by vendor and kind, from a "METHOD route" count.
func zendeskRead(method, route string) bool {
	return vendorOf(route) == "zendesk" && method == http.MethodGet
}
func zendeskWrite(method, route string) bool {
	return vendorOf(route) == "zendesk" && method != http.MethodGet
}
func jiraRead(method, route string) bool {
	return vendorOf(route) == "jira" && !jiraWrite(method, route)
}

// jiraWrite: searches go by POST but read.
func jiraWrite(method, route string) bool {
	return vendorOf(route) == "jira" && method != http.MethodGet && !strings.Contains(route, "/search")
}

func updateMany(method, route string) bool {
	return method == http.MethodPut && strings.HasPrefix(route, "/api/v2/tickets/update_many")
}

func jiraEdit(method, route string) bool {
	return vendorOf(route) == "jira" && method == http.MethodPut && strings.HasSuffix(route, "/issue/{id}")
}

// steadyRow is one measured steady-state cycle.
type steadyRow struct {
	what    string
	k       int // changed tickets
	bugs    int // bugs the changes touch (linked before or after)
	m       measured
	correct int // changed tickets showing their new bug afterwards
}

// steadyAccount is the steady-state scenario's deployment, backfilled
// before the other scenarios run: the tracker search reaches back
// jira.search_overlap (set to its minimum, 1m) before its watermark, at
// minute resolution, so the backfill's own writes keep coming back until
// they are older than that. Idle cycles are measured once they are.
type steadyAccount struct {
	d       simulation.Dataset
	dep     *deployment
	settled time.Time
	echo    measured // the first cycle after the backfill
}

const steadyOverlap = time.Minute

func (b *bench) steadyStart(ctx context.Context) (*steadyAccount, error) {
	d, err := simulation.Generate(b.o.Seed, b.o.Steady)
	if err != nil {
		return nil, err
	}
	env := []string{config.EnvPrefix + "JIRA_SEARCH_OVERLAP=" + steadyOverlap.String()}
	dep, err := b.deploy(ctx, d, deployOptions{budgets: unlimited, env: env})
	if err != nil {
		return nil, err
	}
	a := &steadyAccount{d: d, dep: dep}
	b.o.Logger.Info("steady state: backfilling first", zap.Int("tickets", d.Size.Tickets))
	if _, err := dep.engine.do(cmdSettle); err != nil {
		return nil, errors.Join(err, b.teardown(ctx, dep))
	}
	a.settled = time.Now()
	if a.echo, err = b.measure(ctx, dep, cmdCycle); err != nil {
		return nil, errors.Join(err, b.teardown(ctx, dep))
	}
	return a, nil
}

// steady is scenario 3: idle cycles, then cycles with k changed tickets.
// A change is what agents do all day: a ticket is linked to another bug
// (its keys field names a different key), which moves it between two bugs'
// counts and remote links and changes the bug status it shows. The new bug
// is in the same status as the old one; a bug in another status would owe
// the agent a private note, which goes as a single conditional update
// (Update Ticket's own budget of 100 a minute), not in a batch.
func (b *bench) steady(ctx context.Context, a *steadyAccount) error {
	rows, err := b.steadyRows(ctx, a)
	if err = errors.Join(err, b.teardown(ctx, a.dep)); err != nil {
		return err
	}
	d := a.d
	t := &table{
		title: fmt.Sprintf("3. Steady state on %d tickets / %d bugs / %d organizations (backfilled first)",
			d.Size.Tickets, d.Size.Bugs, d.Size.Orgs),
		head: []string{"cycle", "Zendesk reads", "Jira reads", "update_many (target)", "other Zendesk writes", "Jira writes",
			"touched bugs", "issue edits per bug", "remote link writes", "Redis round trips", "engine ms", "correct"},
	}
	for _, r := range rows {
		target := "0"
		if r.k > 0 {
			target = fmt.Sprintf("%d", (r.k+99)/100)
		}
		edits := "-"
		if r.bugs > 0 {
			edits = fmt.Sprintf("%.2f", float64(total(r.m.Requests, jiraEdit))/float64(r.bugs))
		}
		links := total(r.m.Requests, func(m, route string) bool {
			return jiraWrite(m, route) && strings.Contains(route, "/remotelink")
		})
		t.row(r.what, count(total(r.m.Requests, zendeskRead)), count(total(r.m.Requests, jiraRead)),
			fmt.Sprintf("%d (%s)", total(r.m.Requests, updateMany), target),
			count(total(r.m.Requests, zendeskWrite)-total(r.m.Requests, updateMany)), count(total(r.m.Requests, jiraWrite)),
			count(r.bugs), edits, count(links), count(int(r.m.RedisRoundTrips)),
			fmt.Sprintf("%.0f", r.m.Seconds*1000), fmt.Sprintf("%d/%d", r.correct, r.k))
	}
	t.note("The Jira search starts jira.search_overlap (here 1m) before the newest update it has seen, so until it sees a")
	t.note("newer one, every cycle reads again the bugs the backfill wrote in its last minute, 100 a page (\"after backfill\").")
	if b.o.IdleAtOnce {
		t.note("The idle cycles follow the first change at once: this account's bugs fit one search page.")
	} else {
		t.note("The idle cycles follow the first change, over a minute after the backfill: the first of them still reads that old")
		t.note("window (with the change's own writes, the newer updates that move it on), the next ones only the recent minute.")
	}
	t.note("A change links a ticket to another bug: one Zendesk update (bug status field and tags) batched 100 to an")
	t.note("update_many call, whose job status is then read; on Jira, the remote link moves (one POST on the new bug,")
	t.note("one DELETE on the old) and each touched bug gets at most one edit carrying its new customer count.")
	t.print(b.o.Out)
	return nil
}

func (b *bench) steadyRows(ctx context.Context, a *steadyAccount) ([]steadyRow, error) {
	rows := []steadyRow{{what: "after backfill", m: a.echo}}
	// JQL dates have minute resolution: the search's lower bound is the
	// watermark less the overlap, rounded down to the minute.
	quiet := a.settled.Add(steadyOverlap).Truncate(time.Minute).Add(time.Minute + 2*time.Second)
	if wait := time.Until(quiet); wait > 0 && !b.o.IdleAtOnce {
		b.o.Logger.Info("steady state: waiting for the backfill's writes to age past the search overlap", zap.Duration("wait", wait))
		if err := clock.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	idle := func() error {
		for i := range 3 {
			m, err := b.measure(ctx, a.dep, cmdCycle)
			if err != nil {
				return err
			}
			rows = append(rows, steadyRow{what: fmt.Sprintf("idle #%d", i+1), m: m})
		}
		return nil
	}
	next := 0 // tickets are changed in turn, never twice
	for i, k := range b.o.Changes {
		changed, bugs, err := relink(a.dep, a.d, k, &next)
		if err != nil {
			return nil, err
		}
		m, err := b.measure(ctx, a.dep, cmdCycle)
		if err != nil {
			return nil, err
		}
		r := steadyRow{what: fmt.Sprintf("%d changed", k), k: k, bugs: bugs, m: m}
		for id, key := range changed {
			tk, _ := a.dep.stack.Zendesk.Ticket(id)
			if v, _ := tk.Field(simulation.StatusFieldID).(string); strings.Contains(v, key) {
				r.correct++
			}
		}
		rows = append(rows, r)
		if i == 0 {
			// The watermark has moved past the backfill now (see the note).
			if err := idle(); err != nil {
				return nil, err
			}
		}
	}
	if len(b.o.Changes) == 0 {
		if err := idle(); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// relinkable: the ticket is open and names one bug in its keys field
// alone (no link tag), so a new key there replaces its one link.
func relinkable(t simulation.Ticket) bool {
	switch t.Link {
	case simulation.LinkKey, simulation.LinkLowerCase, simulation.LinkBrowseURL:
		return len(t.Bugs) == 1 && t.Status != "solved" && t.Status != "closed"
	}
	return false
}

// relink links k tickets, from *next on, each to another bug in the
// same status (and resolution) as the one it names: moving a ticket between two such bugs
// owes its agent no note, so its write is a plain batched one. It returns
// the tickets with their new keys and the number of distinct bugs touched.
func relink(dep *deployment, d simulation.Dataset, k int, next *int) (map[int64]string, int, error) {
	byStatus := map[string][]int{}
	state := func(b simulation.Bug) string { return b.Status + "/" + b.Resolution }
	for b := range d.Bugs() {
		byStatus[state(b)] = append(byStatus[state(b)], b.Index)
	}
	changed := map[int64]string{}
	var touched []int
	for len(changed) < k {
		if *next >= d.Size.Tickets {
			return nil, 0, fmt.Errorf("ran out of tickets to change after %d", len(changed))
		}
		t := d.Ticket(*next)
		*next++
		if !relinkable(t) {
			continue
		}
		from := t.Bugs[0]
		peers := byStatus[state(d.Bug(from))]
		to := peers[(len(changed)*7+1)%len(peers)]
		if to == from {
			continue
		}
		key := d.Bug(to).Key
		if !dep.stack.Zendesk.SetCustomField(t.ID, simulation.KeysFieldID, key) {
			return nil, 0, fmt.Errorf("ticket %d is not in the simulator", t.ID)
		}
		changed[t.ID] = key
		for _, bug := range []int{from, to} {
			if !slices.Contains(touched, bug) {
				touched = append(touched, bug)
			}
		}
	}
	return changed, len(touched), nil
}

package notice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// notice is one event worth telling, before routing.
type notice struct {
	id      string // once-only identity: kind, bug id, the change's number
	kind    slack.Kind
	facts   slack.Facts
	message slack.Message
}

// process turns one inbox event into notices in the outbox, and notes
// stale and fixed bugs for the digest.
func (n *Notices) process(ctx context.Context, w wire) error {
	bugs, err := n.opt.Store.Bugs(ctx, []string{w.Bug})
	if err != nil {
		return fmt.Errorf("notice: read bug %s: %w", w.Key, err)
	}
	rec, ok := bugs[w.Bug]
	if !ok {
		n.log.Info("slack notice skipped: the bug is no longer known", zap.String("bug", w.Key), zap.String("event", string(w.Kind)))
		return nil
	}
	_, stands, err := n.opt.Store.BugMemories(ctx, []string{w.Bug})
	if err != nil {
		return fmt.Errorf("notice: read standing of bug %s: %w", w.Key, err)
	}
	nt, ok := n.noticeOf(w, rec, stands[w.Bug])
	if !ok {
		return nil
	}
	if nt.kind != slack.KindPriorityRaised {
		if err := n.note(ctx, nt.kind, w.Bug, nt.id); err != nil {
			return err
		}
	}
	return n.enqueue(ctx, nt)
}

// noticeOf decides whether w is worth a notice and builds it. The bug's
// figures are the store's now; its identity is the event's.
func (n *Notices) noticeOf(w wire, rec engine.BugRecord, st engine.Standing) (notice, bool) {
	bug := n.bug(rec, st)
	facts := slack.Facts{Project: rec.Project, Priority: rec.Priority, Customers: bug.Customers, Revenue: bug.Revenue}
	seq := strconv.Itoa(w.Seq)
	switch w.Kind {
	case engine.EventPriorityChanged:
		if !n.raised(w.From, w.To) {
			return notice{}, false
		}
		bug.Priority, facts.Priority = w.To, w.To
		facts.Kind = slack.KindPriorityRaised
		return notice{id: "raised:" + w.Bug + ":" + seq + ":" + w.To, kind: facts.Kind, facts: facts,
			message: slack.PriorityRaised(slack.PriorityRaise{Bug: bug, From: w.From, To: w.To, Reason: n.reason(bug, st, w.To)})}, true
	case engine.EventStaleFlagged:
		facts.Kind = slack.KindStale
		days := int(rec.Stale.Idle.Hours() / 24)
		return notice{id: "stale:" + w.Bug + ":" + seq, kind: facts.Kind, facts: facts,
			message: slack.WentStale(slack.Stale{Bug: bug, IdleDays: days})}, true
	case engine.EventTransition:
		if bug.Customers == 0 {
			return notice{}, false // no customer waits on it: nothing to tell
		}
		switch w.State {
		case engine.StateDone:
			facts.Kind = slack.KindFixed
			return notice{id: "fixed:" + w.Bug + ":" + seq, kind: facts.Kind, facts: facts,
				message: slack.Fixed(slack.Fix{Bug: bug, Resolution: rec.Resolution})}, true
		case engine.StateReleased:
			facts.Kind = slack.KindReleased
			return notice{id: "released:" + w.Bug + ":" + seq, kind: facts.Kind, facts: facts,
				message: slack.Released(slack.Release{Bug: bug, Version: strings.Join(rec.FixVersions, ", ")})}, true
		}
	}
	return notice{}, false
}

// raised reports whether from → to goes up the priorities (from none
// counts as the lowest).
func (n *Notices) raised(from, to string) bool {
	rank := func(p string) int {
		if i := slices.Index(n.opt.Priorities, p); i >= 0 {
			return i
		}
		return len(n.opt.Priorities)
	}
	return to != "" && rank(to) < rank(from)
}

// bug is what a notice says of rec: the store's figures, and the revenue
// waiting only where revenue is counted.
func (n *Notices) bug(rec engine.BugRecord, st engine.Standing) slack.Bug {
	b := slack.Bug{Key: rec.Key, Summary: rec.Summary, URL: rec.URL, Priority: rec.Priority, Customers: st.Customers.Distinct}
	if n.opt.Revenue.Enabled {
		b.Revenue, b.Currency = st.Customers.Revenue, n.opt.Revenue.Currency
	}
	return b
}

// reason says why bug was raised to priority to: the customers waiting,
// and the revenue waiting too when it reaches a revenue threshold of that
// priority. The engine raises by the same standing, so this is its
// reason unless the figures moved since, or a person raised the bug.
func (n *Notices) reason(bug slack.Bug, st engine.Standing, to string) string {
	if n.opt.Revenue.Enabled {
		p := engine.Policy{Priorities: n.opt.Priorities, Thresholds: n.opt.Thresholds, Revenue: n.opt.Revenue}
		if r := p.Reach(st.Customers.Weighted, st.Customers.Revenue); r.Priority == to && r.Revenue > 0 {
			return bug.Figures()
		}
	}
	if bug.Customers == 1 {
		return "1 customer waiting"
	}
	return strconv.Itoa(bug.Customers) + " customers waiting"
}

// enqueue routes nt and queues it once per webhook.
func (n *Notices) enqueue(ctx context.Context, nt notice) error {
	for _, hook := range n.opt.Rules.Route(nt.facts) {
		id := nt.id + "@" + hook
		fresh, err := n.box.Enqueue(ctx, slack.Event{ID: id, Webhook: hook, Message: nt.message})
		switch {
		case errors.Is(err, slack.ErrFull):
			n.outcome(Dropped)
			n.log.Error("slack notice dropped: the outbox is full (is Slack down?)", zap.String("notice", id),
				zap.Int("max_pending", n.opt.MaxPending))
		case err != nil:
			return err
		case fresh:
			n.log.Info("slack notice queued", zap.String("notice", id), zap.String("webhook", hook))
		}
	}
	return nil
}

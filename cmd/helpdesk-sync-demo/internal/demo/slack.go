package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// deliver queues the notices the engines' events made (the inbox all the
// demo's services share) and posts every one due to the Slack stand-in,
// as run's notice goroutines would; it returns the texts Slack accepted
// since the last call, sorted so that a seed tells the same story every
// time. Posting is synchronous (Send returns once nothing is due), so no
// wait is needed for the stand-in's record to be final. A post the
// stand-in refused is an error: the notices no longer have Slack's shape.
func (d *run) deliver(ctx context.Context) ([]string, error) {
	n := d.svc.Notices
	if err := n.Flush(ctx); err != nil {
		return nil, fmt.Errorf("demo: slack notices: %w", err)
	}
	if err := n.Send(ctx); err != nil {
		return nil, fmt.Errorf("demo: slack notices: %w", err)
	}
	if refused := d.slack.Refused(); len(refused) > 0 {
		return nil, fmt.Errorf("demo: the Slack stand-in refused %d notices, the first as %s", len(refused), refused[0])
	}
	msgs := d.slack.Messages()
	texts := make([]string, 0, len(msgs)-d.slackSeen)
	for _, m := range msgs[d.slackSeen:] {
		texts = append(texts, m.Text)
	}
	d.slackSeen = len(msgs)
	slices.Sort(texts)
	return texts, nil
}

// maxNotices is how many notices of one step the story quotes.
const maxNotices = 2

// notices prints what Slack got in a step, by the notices' own text: one
// line each, or a few of many.
func (p *printer) notices(texts []string) {
	switch {
	case len(texts) == 0:
	case len(texts) <= maxNotices:
		for _, t := range texts {
			p.f("   Slack gets: %s\n", oneLine(t))
		}
	default:
		p.f("   Slack gets %d notices, e.g.:\n", len(texts))
		for _, t := range examples(texts, maxNotices) {
			p.f("     %s\n", oneLine(t))
		}
		p.f("     … and %d more\n", len(texts)-maxNotices)
	}
}

// examples picks n of texts, one of each kind of notice (the words
// before the first colon) first, in texts' order.
func examples(texts []string, n int) []string {
	var out []string
	kinds := map[string]bool{}
	for _, t := range texts {
		kind, _, _ := strings.Cut(t, ":")
		if len(out) < n && !kinds[kind] {
			kinds[kind] = true
			out = append(out, t)
		}
	}
	for _, t := range texts {
		if len(out) == n {
			break
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// oneLine keeps a notice's text on its line: a bug summary may hold a
// line break.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

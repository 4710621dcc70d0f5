package slack

import "time"

// Digest is the daily summary. The lists come ranked by the caller; each
// is cut to Top entries (10 when zero).
type Digest struct {
	Day           time.Time // the day it covers, in the configured time zone
	ByCustomers   []Bug     // bugs with the most customers waiting
	ByRevenue     []Bug     // bugs with the most revenue waiting; empty when revenue is not configured
	NewlyStale    []Bug     // bugs that went stale since the last digest
	FixedThisWeek []Bug
	Top           int
}

// DailyDigest is the notice for d. Every list is a section of its own,
// cut at a line when long, so the message keeps within Slack's limits
// however many bugs there are.
func DailyDigest(d Digest) Message {
	top := d.Top
	if top <= 0 {
		top = 10
	}
	day := d.Day.Format("Monday 2 January 2006")
	blocks := []Block{header("Customer impact digest — " + day)}
	text := "Customer impact digest for " + day + ":"
	parts := []struct {
		title string
		bugs  []Bug
		skip  bool
	}{
		{"Most customers waiting", d.ByCustomers, false},
		{"Most revenue waiting", d.ByRevenue, len(d.ByRevenue) == 0},
		{"Newly stale", d.NewlyStale, false},
		{"Fixed this week", d.FixedThisWeek, false},
	}
	for _, p := range parts {
		if p.skip {
			continue
		}
		text += "\n" + p.title + ": " + itoa(len(p.bugs))
		lines := []string{"*" + p.title + "*"}
		if len(p.bugs) == 0 {
			lines = append(lines, "_none_")
		}
		for i, b := range p.bugs {
			if i == top {
				lines = append(lines, moreLine(len(p.bugs)-top))
				break
			}
			lines = append(lines, itoa(i+1)+". "+b.line())
		}
		blocks = append(blocks, divider(), Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: joinLines(lines, MaxSectionText)}})
	}
	return finish(text, blocks...)
}

package slack

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/helpdesk-sync/helpdesk-sync/sync/texts"
)

// Bug is what a notice says about one bug. Revenue is shown only when
// Currency is set (revenue weighting is optional); a negative or NaN
// amount shows as 0.
type Bug struct {
	Key       string // e.g. "PROJ-123"
	Summary   string
	URL       string // the bug in Jira; dropped when not http(s)
	Priority  string
	Customers int
	Revenue   float64
	Currency  string // e.g. "EUR"; empty: no revenue configured
}

// Limits on the parts of a notice taken from user text, so that one long
// summary cannot crowd out the rest of a message.
const (
	maxSummary = 200
	maxKey     = 40
	maxName    = 80 // priorities, versions, resolutions, reasons
)

func (b Bug) title() string {
	return clipPlain(b.Key+" "+b.Summary, MaxHeaderText)
}

// line is the one-line mrkdwn form of b: linked key, summary, figures.
func (b Bug) line() string {
	s := "*" + link(b.URL, b.Key, maxKey) + "* " + clipEscaped(b.Summary, maxSummary)
	return s + " — " + b.Figures()
}

// Figures are who waits on b, and the revenue waiting when it is shown:
// "12 customers" or "12 customers, 125,000 EUR waiting".
func (b Bug) Figures() string {
	s := customers(b.Customers)
	if r := b.revenue(); r != "" {
		s += ", " + r + " waiting"
	}
	return s
}

func (b Bug) revenue() string {
	if b.Currency == "" {
		return ""
	}
	amount := b.Revenue
	if math.IsNaN(amount) || amount < 0 {
		amount = 0
	}
	amount = math.Min(math.Round(amount), math.MaxInt64/2)
	// Amount then currency, in whole units, as the board, the sidebar and
	// Jira comments write it (they add cents, which a chat line drops).
	return texts.Thousands(strconv.FormatInt(int64(amount), 10)) + " " + clipEscaped(b.Currency, 8)
}

func customers(n int) string {
	if n == 1 {
		return "1 customer"
	}
	return itoa(max(n, 0)) + " customers"
}

// PriorityRaise is a bug whose priority was raised because of the
// customers (or revenue) waiting on it.
type PriorityRaise struct {
	Bug      Bug
	From, To string
	Reason   string // e.g. "12 customers ≥ threshold 10"
}

// PriorityRaised is the notice for e.
func PriorityRaised(e PriorityRaise) Message {
	b := e.Bug
	from, to := clipEscaped(e.From, maxName), clipEscaped(e.To, maxName)
	body := b.line() + "\nPriority *" + from + "* → *" + to + "*"
	blocks := []Block{header("Priority raised: " + b.title()), section(body)}
	if e.Reason != "" {
		blocks = append(blocks, contextBlock("Why: "+clipEscaped(e.Reason, MaxSectionText-5)))
	}
	text := fmt.Sprintf("Priority raised to %s: %s %s (%s)", to, clipEscaped(b.Key, maxKey), clipEscaped(b.Summary, maxSummary), b.Figures())
	return finish(text, blocks...)
}

// Stale is a bug customers wait on that nobody has touched.
type Stale struct {
	Bug      Bug
	IdleDays int
}

// WentStale is the notice for e.
func WentStale(e Stale) Message {
	b := e.Bug
	idle := "No update for " + itoa(max(e.IdleDays, 0)) + " days"
	if e.IdleDays == 1 {
		idle = "No update for 1 day"
	}
	body := b.line()
	if b.Priority != "" {
		body += "\nPriority *" + clipEscaped(b.Priority, maxName) + "*"
	}
	blocks := []Block{header("Gone stale: " + b.title()), section(body), contextBlock(idle + " while customers wait.")}
	text := fmt.Sprintf("Gone stale: %s %s (%s, %s)", clipEscaped(b.Key, maxKey), clipEscaped(b.Summary, maxSummary), b.Figures(), strings.ToLower(idle[:1])+idle[1:])
	return finish(text, blocks...)
}

// Fix is a bug customers wait on that was resolved as fixed.
type Fix struct {
	Bug        Bug
	Resolution string // e.g. "Fixed"; optional
}

// Fixed is the notice for e.
func Fixed(e Fix) Message {
	b := e.Bug
	body := b.line()
	if e.Resolution != "" {
		body += "\nResolution *" + clipEscaped(e.Resolution, maxName) + "*"
	}
	blocks := []Block{header("Fixed: " + b.title()), section(body),
		contextBlock("The agents of the linked tickets were told; the fix reaches customers when it is released.")}
	text := fmt.Sprintf("Fixed: %s %s (%s)", clipEscaped(b.Key, maxKey), clipEscaped(b.Summary, maxSummary), b.Figures())
	return finish(text, blocks...)
}

// Release is a fix that shipped in a version.
type Release struct {
	Bug     Bug
	Version string
}

// Released is the notice for e.
func Released(e Release) Message {
	b := e.Bug
	version := clipEscaped(e.Version, maxName)
	body := b.line()
	if version != "" {
		body += "\nReleased in *" + version + "*"
	}
	blocks := []Block{header("Fix released: " + b.title()), section(body)}
	text := fmt.Sprintf("Fix released: %s %s (%s)", clipEscaped(b.Key, maxKey), clipEscaped(b.Summary, maxSummary), b.Figures())
	if version != "" {
		text += " in " + version
	}
	return finish(text, blocks...)
}

package board

import (
	"fmt"
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// funcs format values for the templates; html/template escapes whatever
// they return.
var funcs = template.FuncMap{
	"iso":     iso,
	"clock":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"day":     func(t time.Time) string { return t.UTC().Format("Jan 2") },
	"ago":     ago,
	"dur":     func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"pct":     func(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" },
	"num":     func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) },
	"f1":      func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	"add":     func(a, b int) int { return a + b },
	"sub":     func(a, b int) int { return a - b },
	"vendor":  vendorName,
	"outcome": outcomeText,
	"revenue": revenueText,
}

// revenueText is an amount with its currency, "" for none.
func revenueText(v *float64, currency string) string {
	if v == nil {
		return ""
	}
	return engine.RevenuePolicy{Currency: currency}.FormatRevenue(*v)
}

// iso is a time for a datetime attribute; "" for the zero time, which is
// never shown as the year 1.
func iso(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ago is how long before now t was, in the largest unit that fits:
// "45s", "12m", "5h", "3d".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := max(now.Sub(t), 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// tierText lists customers per tier in the order given (heaviest tier
// first): "3 enterprise, 1 pro".
func tierText(by TierCounts) string {
	parts := make([]string, len(by))
	for i, t := range by {
		parts[i] = strconv.Itoa(t.Customers) + " " + t.Tier
	}
	return strings.Join(parts, ", ")
}

// outcomeText says what a done bug's customers are owed.
func outcomeText(o Outcome) string {
	switch o {
	case OutcomeFixed:
		return "fixed — tell the customers"
	case OutcomeWontFix:
		return "won't fix — tell the customers"
	}
	return ""
}

func vendorName(v string) string {
	switch v {
	case "zendesk":
		return "Zendesk"
	case "jira":
		return "Jira"
	}
	return v
}

// bugRow is a bug as the page shows it, every value formatted here: a
// 10k-row page spends its time in the template's per-value work (a field
// looked up by name, an escaper called by reflection), so each row makes
// as little of it as it can, on a flat struct.
type bugRow struct {
	Rank, Key, URL, Summary, Priority, Status, Category string
	Customers, Weighted, Open, Activity, Ago, Tiers     string
	Outcome, Told                                       string // a done bug's outcome, and what it owes
	Revenue                                             string // "" where revenue is not counted
	Raised, Locked, Stale                               bool
	Links                                               template.HTML
}

// bugRows formats a page's bugs, split into the open ones and the done
// ones (which the page lists apart, after the open ones).
func bugRows(bugs []Bug, now time.Time) (open, done []bugRow) {
	for _, b := range bugs {
		r := bugRow{
			Rank: strconv.Itoa(b.Rank), Key: b.Key, URL: b.URL, Summary: b.Summary, Priority: b.Priority, Status: b.Status,
			Category: string(b.Category), Customers: strconv.Itoa(b.Customers), Weighted: strconv.FormatFloat(b.Weighted, 'f', -1, 64),
			Open: strconv.Itoa(b.OpenTickets), Activity: iso(b.LastActivity), Ago: ago(now, b.LastActivity),
			Tiers: tierText(b.ByTier), Outcome: string(b.Outcome), Told: outcomeText(b.Outcome),
			Raised: b.PriorityRaised, Locked: b.PriorityLocked, Stale: b.Stale,
			Links: ticketLinks(b.Tickets, b.TicketCount-len(b.Tickets)),
		}
		if b.Revenue != nil {
			r.Revenue = engine.RevenuePolicy{Currency: b.Currency}.FormatRevenue(*b.Revenue)
		}
		if b.Done() {
			done = append(done, r)
		} else {
			open = append(open, r)
		}
	}
	return open, done
}

// ticketLinks renders a bug's tickets as links to the agent workspace.
// They are the bulk of a large page, so they are built here in one pass
// instead of five template actions each: every value is escaped with
// html.EscapeString (text and double-quoted attributes alike), ids are
// numbers, and a URL that is not http(s) is not linked.
func ticketLinks(ts []Ticket, more int) template.HTML {
	var b strings.Builder
	for _, t := range ts {
		id := strconv.FormatInt(t.ID, 10)
		if !webURL(t.URL) {
			b.WriteString("#" + id + " ")
			continue
		}
		b.WriteString(`<a href="` + html.EscapeString(t.URL) + `"`)
		if t.Subject != "" {
			b.WriteString(` title="` + html.EscapeString(t.Subject) + `"`)
		}
		if !t.Open {
			b.WriteString(` class="closed"`)
		}
		b.WriteString(">#" + id + "</a> ")
	}
	if more > 0 {
		fmt.Fprintf(&b, "<small>+%d more</small>", more)
	}
	return template.HTML(b.String())
}

func webURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// filterGroup is a row of plain links, one per value of a filter.
type filterGroup struct {
	Name    string
	Options []filterOption
}

type filterOption struct {
	Label   string
	URL     string // a query-only URL relative to the page
	Current bool
}

// column is a sortable table heading: its link sorts by it, or reverses
// the order when it already does.
type column struct {
	Label  string
	Note   string // a second line under the label, saying more
	URL    string
	Sorted bool
	Desc   bool
}

type pager struct {
	Page, Pages int
	Prev, Next  string
}

func href(v url.Values) string {
	if len(v) == 0 {
		return "?"
	}
	return "?" + v.Encode()
}

func newPager(n, total int, at func(int) url.Values) pager {
	p := pager{Page: n, Pages: total}
	if n > 1 {
		p.Prev = href(at(min(n-1, total)))
	}
	if n < total {
		p.Next = href(at(n + 1))
	}
	return p
}

var categoryLabels = []struct {
	cat   engine.StatusCategory
	label string
}{{engine.CategoryToDo, "To do"}, {engine.CategoryInProgress, "In progress"}, {engine.CategoryDone, "Done"}}

// bugFilters are the board's filter links; choosing one keeps the other
// filters and the sort, and starts at the first page.
func bugFilters(l BugList) []filterGroup {
	q := l.Query
	q.Page = 1
	option := func(label string, current bool, set func(*Query)) filterOption {
		o := q
		set(&o)
		return filterOption{Label: label, URL: href(o.Values()), Current: current}
	}
	project := filterGroup{Name: "Project", Options: []filterOption{option("All", q.Project == "", func(o *Query) { o.Project = "" })}}
	for _, p := range l.Projects {
		project.Options = append(project.Options, option(p, q.Project == p, func(o *Query) { o.Project = p }))
	}
	status := filterGroup{Name: "Status", Options: []filterOption{option("All", q.Category == "", func(o *Query) { o.Category = "" })}}
	for _, c := range categoryLabels {
		status.Options = append(status.Options, option(c.label, q.Category == c.cat, func(o *Query) { o.Category = c.cat }))
	}
	tier := filterGroup{Name: "Tier", Options: []filterOption{option("All", q.Tier == "", func(o *Query) { o.Tier = "" })}}
	for _, t := range l.Tiers {
		tier.Options = append(tier.Options, option(t, q.Tier == t, func(o *Query) { o.Tier = t }))
	}
	stale := filterGroup{Name: "Stale", Options: []filterOption{
		option("All", q.Stale == StaleAny, func(o *Query) { o.Stale = StaleAny }),
		option("Stale", q.Stale == StaleYes, func(o *Query) { o.Stale = StaleYes }),
		option("Not stale", q.Stale == StaleNo, func(o *Query) { o.Stale = StaleNo }),
	}}
	return []filterGroup{project, status, tier, stale}
}

func bugColumns(q Query) []column {
	q.Page = 1
	heads := []struct {
		label, note string
		sort        Sort
	}{
		{"#", "", SortRank}, {"Key", "", SortKey}, {"Priority", "", SortPriority}, {"Status", "", SortStatus},
		{"Customers", "", SortCustomers}, {"Open tickets", "", SortOpen},
		// helpdesk-sync's own edits are not activity: its writes do not
		// make a bug look worked on.
		{"Last update", "by a person", SortAge},
	}
	out := make([]column, len(heads))
	for i, hd := range heads {
		out[i] = sortColumn(q, hd.label, hd.note, hd.sort)
	}
	return out
}

// sortColumn is the head of a column sorted by s: a link that sorts by
// it, or reverses the order when it already does.
func sortColumn(q Query, label, note string, s Sort) column {
	o := q
	o.Sort, o.Desc = s, s.natural()
	sorted := q.Sort == s
	if sorted {
		o.Desc = !q.Desc
	}
	return column{Label: label, Note: note, URL: href(o.Values()), Sorted: sorted, Desc: q.Desc}
}

// revenueColumn is the head of the revenue column, where revenue is
// counted.
func revenueColumn(q Query) column {
	q.Page = 1
	return sortColumn(q, "Revenue", "waiting", SortRevenue)
}

func customerFilters(l CustomerList) []filterGroup {
	q := l.Query
	q.Page = 1
	tier := filterGroup{Name: "Tier"}
	for _, t := range append([]string{""}, l.Tiers...) {
		o := q
		o.Tier = t
		label := t
		if t == "" {
			label = "All"
		}
		tier.Options = append(tier.Options, filterOption{Label: label, URL: href(o.Values()), Current: q.Tier == t})
	}
	return []filterGroup{tier}
}

func customerColumns(q CustomerQuery) []column {
	q.Page = 1
	heads := []struct {
		label string
		sort  CustomerSort
	}{{"Organization", SortName}, {"Bugs", SortBugs}, {"Longest wait", SortWait}}
	out := make([]column, len(heads))
	for i, hd := range heads {
		o := q
		o.Sort, o.Desc = hd.sort, hd.sort.natural()
		sorted := q.Sort == hd.sort
		if sorted {
			o.Desc = !q.Desc
		}
		out[i] = column{Label: hd.label, URL: href(o.Values()), Sorted: sorted, Desc: q.Desc}
	}
	return out
}

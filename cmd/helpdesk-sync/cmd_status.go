package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/peterbourgon/ff/v3/ffcli"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/sync/board"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

func (a *app) statusCommand() *ffcli.Command {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	a.globalFlags(fs)
	f := statusFlags{
		limit:    fs.Int("limit", 20, "how many bugs to list"),
		project:  fs.String("project", "", "only bugs of this project `key`"),
		category: fs.String("category", "", "only bugs in this status `category`: new, indeterminate or done"),
		tier:     fs.String("tier", "", "only bugs a customer of this `tier` waits on"),
		stale:    fs.String("stale", "", "`yes` for stale bugs only, no for the others only"),
		sort:     fs.String("sort", "", "order by `column`: rank (default), key, priority, status, customers, open, age, or revenue where it is counted"),
		json:     fs.Bool("json", false, "print the health and the bugs as JSON, as /api/v1/health and /api/v1/bugs do"),
	}
	return &ffcli.Command{
		Name:       "status",
		ShortUsage: "helpdesk-sync status [--limit N] [--project KEY] [--category C] [--tier T] [--stale yes|no] [--sort COLUMN] [--json]",
		ShortHelp:  "show the top of the impact board: the sync's health and the bugs hurting the most customers",
		LongHelp: "Reads the impact board from Redis, as every replica keeps it, and prints the sync's\n" +
			"health and the bugs customers wait on, most weighted customers first. It makes no request\n" +
			"to Zendesk or Jira, and works whether or not board.enabled is set.",
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			return a.status(ctx, f)
		},
	}
}

type statusFlags struct {
	limit                                *int
	project, category, tier, stale, sort *string
	json                                 *bool
}

// query turns the flags into the board's query, checked as the board
// checks its URL parameters.
func (f statusFlags) query() (board.Query, error) {
	v := url.Values{"per_page": {strconv.Itoa(*f.limit)}}
	for k, val := range map[string]string{"project": *f.project, "category": *f.category, "tier": *f.tier, "stale": *f.stale, "sort": *f.sort} {
		if val != "" {
			v.Set(k, val)
		}
	}
	q, err := board.ParseQuery(v)
	if err != nil {
		return board.Query{}, usageErrorf("--%s", strings.Replace(err.Error(), "per_page", "limit", 1))
	}
	return q, nil
}

func (a *app) status(ctx context.Context, f statusFlags) error {
	q, err := f.query()
	if err != nil {
		return err
	}
	cfg, log, err := a.configured()
	if err != nil {
		return err
	}
	rdb, err := dialRedis(cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	m := board.NewModel(state.New(rdb, cfg.Redis.KeyPrefix, cfg.Sync.CacheTTL), boardOptions(cfg, log))

	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	health, err := m.Health(ctx)
	if err != nil {
		return exitWith(exitFailure, err)
	}
	list, err := m.Bugs(ctx, q, 0)
	if err != nil {
		return exitWith(exitFailure, err)
	}
	if *f.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Health board.Health `json:"health"`
			Total  int          `json:"total"`
			Bugs   []board.Bug  `json:"bugs"`
		}{health, list.Total, list.Bugs})
	}
	printHealth(a.stdout, health)
	printBugs(a.stdout, list, health.At)
	return nil
}

// boardOptions are the board's settings from the configuration: the run
// command's board and the status command read the same way.
func boardOptions(cfg *config.Config, log *zap.Logger) board.Options {
	poll := cfg.Sync.PollInterval
	if cfg.Webhooks.Enabled {
		poll = max(poll, cfg.Sync.WebhookPollInterval)
	}
	return board.Options{
		Policy: service.Policy(cfg),
		Budgets: map[string]float64{
			"zendesk": float64(cfg.Zendesk.RequestsPerMinute),
			"jira":    cfg.Jira.RequestsPerSecond * 60,
		},
		ShowCustomerNames: cfg.Board.ShowCustomerNames,
		ReleaseCheck:      cfg.Sync.ReleaseCheckInterval,
		// A vendor is behind when three polls in a row have not read it.
		Behind: 3*poll + cfg.Sync.ShutdownGrace,
		Logger: log.Named("board"),
	}
}

func printHealth(w io.Writer, h board.Health) {
	fmt.Fprintf(w, "helpdesk-sync impact board, as of %s\n", h.At.Format("2006-01-02 15:04:05 UTC"))
	if h.Healthy {
		fmt.Fprintln(w, "Sync: healthy")
	} else {
		fmt.Fprintln(w, "Sync: needs attention: "+strings.Join(h.Issues, "; "))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range h.Vendors {
		read := "never read"
		if !v.LastRead.IsZero() {
			read = "read " + since(h.At, v.LastRead) + " ago"
		}
		budget := ""
		if v.Budget > 0 {
			budget = fmt.Sprintf(" of %s/min (%d%%)", strconv.FormatFloat(v.Budget, 'f', -1, 64), int(v.Used*100+0.5))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s in the last hour (%d failed), busiest minute %d%s\n",
			v.Name, read, plural(v.Requests, "request", "requests"), v.Failed, v.Busiest, budget)
	}
	_ = tw.Flush()
	cycle := "no cycle reported"
	if c := h.Cycle; c != nil {
		cycle = fmt.Sprintf("last cycle %s ago, took %s, %s", since(h.At, c.At), c.Took.Round(time.Millisecond), plural(c.Errors, "error", "errors"))
	}
	guard := "guard holding nothing"
	if len(h.Guards) > 0 {
		var held []string
		for _, g := range h.Guards {
			held = append(held, fmt.Sprintf("%s (limit %d)", plural(g.Planned, g.Kind+" write", g.Kind+" writes"), g.Limit))
		}
		guard = "guard HOLDING " + strings.Join(held, ", ")
	}
	fmt.Fprintf(w, "  %s; %s; queued %s, %s, %s\n", cycle, guard,
		plural(int(h.Backlog.Bugs), "bug", "bugs"), plural(int(h.Backlog.Tickets), "ticket", "tickets"),
		plural(int(h.Backlog.Releases), "release read", "release reads"))
	if f := h.Failure; f != nil {
		fmt.Fprintf(w, "  last failure: %s %s ago: %s\n", f.Step, since(h.At, f.At), printable(f.Error, 200))
	}
}

func printBugs(w io.Writer, l board.BugList, now time.Time) {
	fmt.Fprintln(w)
	if l.Total == 0 {
		fmt.Fprintln(w, "No bug customers wait on matches.")
		return
	}
	if l.Done > 0 {
		fmt.Fprintf(w, "%d of %s customers wait on, %d of them done:\n", len(l.Bugs), plural(l.Total, "bug", "bugs"), l.Done)
	} else {
		fmt.Fprintf(w, "%d of %s customers wait on:\n", len(l.Bugs), plural(l.Total, "bug", "bugs"))
	}
	// The board lists open bugs first; done ones get a table of their own.
	split := len(l.Bugs)
	for i, b := range l.Bugs {
		if b.Done() {
			split = i
			break
		}
	}
	if split > 0 {
		printBugTable(w, l.Bugs[:split], now)
	}
	if split < len(l.Bugs) {
		fmt.Fprintln(w, "Done, yet customers still wait on them: tell the customers.")
		printBugTable(w, l.Bugs[split:], now)
	}
}

func printBugTable(w io.Writer, bugs []board.Bug, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// The board gives every bug a revenue where revenue is counted, and
	// none elsewhere: the column is there only where it is counted.
	revenue := len(bugs) > 0 && bugs[0].Revenue != nil
	head := "RANK\tKEY\tCUSTOMERS\tWEIGHTED\t"
	if revenue {
		head += "REVENUE\t"
	}
	fmt.Fprintln(tw, head+"OPEN\tPRIORITY\tSTATUS\tUPDATED BY A PERSON\tSTALE\tSUMMARY")
	for _, b := range bugs {
		prio := printable(b.Priority, 20)
		if b.PriorityLocked {
			prio += " (locked)"
		}
		if b.PriorityRaised {
			prio += " (raised)"
		}
		status := printable(b.Status, 24)
		switch b.Outcome {
		case board.OutcomeFixed:
			status += " (fixed)"
		case board.OutcomeWontFix:
			status += " (won't fix)"
		}
		stale := ""
		if b.Stale {
			stale = "stale"
		}
		weighted := strconv.FormatFloat(b.Weighted, 'f', -1, 64)
		if revenue && b.Revenue != nil {
			weighted += "\t" + engine.RevenuePolicy{Currency: b.Currency}.FormatRevenue(*b.Revenue)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", b.Rank, printable(b.Key, 30), b.Customers,
			weighted, b.OpenTickets, prio, status,
			since(now, b.LastActivity), stale, printable(b.Summary, 60))
	}
	_ = tw.Flush()
}

// printable makes text from the vendors safe for a terminal (no control
// characters, so no escape sequences) and at most n runes long.
func printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// since is how long before now t was, in its largest unit: 45s, 12m, 5h, 3d.
func since(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := max(now.Sub(t), 0)
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}

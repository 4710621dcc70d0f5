package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/helpdesk-sync/internal/logging"
	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
)

func (a *app) simulateCommand() *ffcli.Command {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	a.globalFlags(fs)
	zdAddr := fs.String("zendesk", ":8081", "`address` the Zendesk simulator listens on")
	jiraAddr := fs.String("jira", ":8082", "`address` the Jira simulator listens on")
	data := datasetFlags(fs, simulation.DemoSize, true)
	return &ffcli.Command{
		Name:       "simulate",
		ShortUsage: "helpdesk-sync simulate [--zendesk ADDR] [--jira ADDR] [--seed N] [--tickets N] [--bugs N] [--orgs N]",
		ShortHelp:  "serve a simulated Zendesk and Jira, seeded with a realistic account",
		LongHelp: "Serves the Zendesk and Jira simulators the tests use on real listeners, seeded with a\n" +
			"generated account (the same seed gives the same data), and prints their URLs, the\n" +
			"credentials, the environment that points the service at them and curl commands to try.\n" +
			"Zendesk's export shows a change after one minute, as the real one does. Runs until\n" +
			"interrupted (SIGINT or SIGTERM). --config is not read.",
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			d, err := data.dataset()
			if err != nil {
				return err
			}
			return a.simulate(ctx, d, *zdAddr, *jiraAddr)
		},
	}
}

// dataFlags choose the generated account.
type dataFlags struct {
	seed                *int64
	tickets, bugs, orgs *int
	def                 simulation.Size
}

// datasetFlags puts --seed and --tickets on fs, and with shape --bugs and
// --orgs; without those two, bugs and organizations scale with --tickets.
func datasetFlags(fs *flag.FlagSet, def simulation.Size, shape bool) *dataFlags {
	f := &dataFlags{
		seed:    fs.Int64("seed", 42, "seed of the generated data"),
		tickets: fs.Int("tickets", def.Tickets, "Zendesk tickets to seed"),
		def:     def,
	}
	if shape {
		f.bugs = fs.Int("bugs", def.Bugs, "Jira bugs to seed")
		f.orgs = fs.Int("orgs", def.Orgs, "customer organizations to seed")
	}
	return f
}

func (f *dataFlags) dataset() (simulation.Dataset, error) {
	size := simulation.Size{Tickets: *f.tickets}
	if f.bugs != nil {
		size.Bugs, size.Orgs = *f.bugs, *f.orgs
	} else {
		size.Bugs = max(10, size.Tickets*f.def.Bugs/max(f.def.Tickets, 1))
		size.Orgs = max(10, size.Tickets*f.def.Orgs/max(f.def.Tickets, 1))
	}
	d, err := simulation.Generate(*f.seed, size)
	if err != nil {
		return d, usageErrorf("%v", err)
	}
	return d, nil
}

func (a *app) simulate(ctx context.Context, d simulation.Dataset, zdAddr, jiraAddr string) error {
	log, err := logging.New(a.logLevel, a.logFormat, a.stderr)
	if err != nil {
		return exitWith(exitUsage, err)
	}
	defer func() { _ = log.Sync() }()
	st, err := simulation.Start(ctx, d, simulation.StackOptions{ZendeskAddr: zdAddr, JiraAddr: jiraAddr, Logger: log})
	if err != nil {
		return err
	}
	printStack(a.stdout, st, trialPrefix())
	<-ctx.Done()
	fmt.Fprintln(a.stdout, "Stopping the simulators.")
	return st.Close()
}

// trialPrefix is a key prefix of its own for a trial of the service
// against the simulators: under the default one, the same Redis may hold a
// real installation's state, which the trial's cursors and markers would
// overwrite, and keys the trial would leave behind for good.
func trialPrefix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return "helpdesk-sync-trial-" + hex.EncodeToString(b) + ":"
}

// printStack tells a person where the simulators are, what they hold and
// how to use them; the service it suggests keeps its state under prefix.
func printStack(w io.Writer, st *simulation.Stack, prefix string) {
	s, sum := st.Settings, st.Summary
	fmt.Fprintf(w, "Zendesk simulator  %s   user %s, API token %s\n", s.ZendeskURL, s.ZendeskEmail, s.ZendeskToken)
	fmt.Fprintf(w, "Jira simulator     %s   user %s, API token %s\n", s.JiraURL, s.JiraEmail, s.JiraToken)
	fmt.Fprintf(w, "\nSeeded with seed %d in %s: %s.\n", st.Dataset.Seed, sum.Took.Round(time.Millisecond), sum)

	fmt.Fprintln(w, "\nPoint the service at them with this environment (no configuration file needed):")
	fmt.Fprintln(w)
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(w, "  export %s=%s\n", k, shellQuote(v))
	}
	fmt.Fprintln(w, "  # Redis: REDIS_URL, or 127.0.0.1:6379 by default; the trial's state goes under a prefix")
	fmt.Fprintln(w, "  # of its own, away from the default helpdesk-sync: of a real installation.")
	fmt.Fprintf(w, "  export %sREDIS_KEY_PREFIX=%s\n", config.EnvPrefix, shellQuote(prefix))
	fmt.Fprintln(w, "  helpdesk-sync once")
	fmt.Fprintln(w, "  # Done? Delete the trial's keys (with -u \"$REDIS_URL\" after each redis-cli for another server):")
	fmt.Fprintf(w, "  redis-cli --scan --pattern %s | xargs -r redis-cli unlink\n", shellQuote(prefix+"*"))
	fmt.Fprintln(w, "\nor in a configuration file (the tokens stay in the environment):")
	fmt.Fprintln(w)
	for line := range strings.Lines(s.YAML()) {
		fmt.Fprint(w, "  "+line)
	}
	fmt.Fprintf(w, "  redis:\n    key_prefix: %q\n", prefix)

	zdUser := shellQuote(s.ZendeskEmail + "/token:" + s.ZendeskToken)
	jiraUser := shellQuote(s.JiraEmail + ":" + s.JiraToken)
	key := st.Dataset.Bug(0).Key
	jql := url.Values{"jql": {"project = " + key[:strings.IndexByte(key, '-')] + " ORDER BY updated DESC"},
		"fields": {"summary,status,priority"}, "maxResults": {"5"}}
	fmt.Fprintln(w, "\nTry:")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  curl -sS -u %s %s\n", zdUser, shellQuote(s.ZendeskURL+"/api/v2/tickets/1.json"))
	fmt.Fprintf(w, "  curl -sS -u %s %s\n", zdUser, shellQuote(s.ZendeskURL+"/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=5"))
	fmt.Fprintf(w, "  curl -sS -u %s %s\n", jiraUser, shellQuote(s.JiraURL+"/rest/api/2/issue/"+key))
	fmt.Fprintf(w, "  curl -sS -u %s %s\n", jiraUser, shellQuote(s.JiraURL+"/rest/api/3/search/jql?"+jql.Encode()))
	fmt.Fprintln(w, "\nServing until interrupted (Ctrl-C).")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@,=+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Command helpdesk-sync-sim serves the Zendesk and Jira simulators the
// tests use on real listeners, seeded with a generated account, and the
// Slack stand-in, which logs each notice it gets, and prints how to point
// the service (or curl) at them. It is a development tool: the
// production binary, helpdesk-sync, carries no simulator.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/internal/logging"
	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/slack/slacktest"
)

const usage = `Usage: helpdesk-sync-sim [--zendesk ADDR] [--jira ADDR] [--slack ADDR] [--seed N] [--tickets N] [--bugs N] [--orgs N]

Serves the Zendesk and Jira simulators the tests use on real listeners, seeded with a
generated account (the same seed gives the same data), and a Slack incoming-webhook
stand-in that checks each post as Slack would and logs the notice it carries (or why it
refused it). Prints their URLs, the credentials, the environment that points the service
at them and curl commands to try. Zendesk's export shows a change after one minute, as
the real one does. Runs until interrupted (SIGINT or SIGTERM).

Flags:
`

// defaultSlackAddr is the Slack stand-in's default address: loopback, because
// the service takes a plain-http webhook URL on loopback only.
const defaultSlackAddr = "127.0.0.1:8083"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the program with its surroundings passed in, for tests; it
// returns the exit code: 0, 1 on a failure, 2 on a bad command line.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("helpdesk-sync-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage); fs.PrintDefaults() }
	zdAddr := fs.String("zendesk", simulation.ZendeskAddr, "`address` the Zendesk simulator listens on")
	jiraAddr := fs.String("jira", simulation.JiraAddr, "`address` the Jira simulator listens on")
	slackAddr := fs.String("slack", defaultSlackAddr, "loopback `address` the Slack webhook stand-in listens on")
	logLevel := fs.String("log-level", "", "log `level`: debug, info, warn or error")
	logFormat := fs.String("log-format", "", "log `format`: auto, json or console")
	data := simulation.NewFlags(fs, simulation.DemoSize, true)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "helpdesk-sync-sim: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := checkLoopback(*slackAddr); err != nil {
		fmt.Fprintln(stderr, "helpdesk-sync-sim:", err)
		return 2
	}
	d, err := data.Dataset()
	if err != nil {
		fmt.Fprintln(stderr, "helpdesk-sync-sim:", err)
		return 2
	}
	log, err := logging.New(*logLevel, *logFormat, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "helpdesk-sync-sim:", err)
		return 2
	}
	defer func() { _ = log.Sync() }()
	if err := simulate(ctx, stdout, d, addrs{*zdAddr, *jiraAddr, *slackAddr}, log); err != nil {
		fmt.Fprintln(stderr, "helpdesk-sync-sim:", err)
		return 1
	}
	return 0
}

// checkLoopback refuses a Slack stand-in address off the loopback: the
// service would refuse its plain-http webhook URL. "" is a free loopback
// port, as for the simulators.
func checkLoopback(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--slack %q is not host:port: write e.g. %s", addr, defaultSlackAddr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--slack %q is not a loopback address, and the service takes a plain-http webhook URL on loopback only: write e.g. %s", addr, defaultSlackAddr)
	}
	return nil
}

// addrs are the listeners' addresses; "" is a free loopback port.
type addrs struct{ zendesk, jira, slack string }

func simulate(ctx context.Context, stdout io.Writer, d simulation.Dataset, a addrs, log *zap.Logger) error {
	if a.slack == "" {
		a.slack = "127.0.0.1:0"
	}
	sl, err := slacktest.Listen(a.slack, slacktest.WithWatch(logPost(log.Named("slack"))))
	if err != nil {
		return err
	}
	defer sl.Close()
	st, err := simulation.Start(ctx, d, simulation.StackOptions{ZendeskAddr: a.zendesk, JiraAddr: a.jira, Logger: log})
	if err != nil {
		return err
	}
	printStack(stdout, st, sl.WebhookURL(), trialPrefix())
	<-ctx.Done()
	fmt.Fprintln(stdout, "Stopping the simulators.")
	return st.Close()
}

// logPost logs what Slack would show for each post to the stand-in: the
// notice's text (its notification fallback, which the blocks repeat), or
// why Slack would refuse the post.
func logPost(log *zap.Logger) func(slacktest.Post) {
	return func(p slacktest.Post) {
		if p.Refused != "" {
			log.Warn("slack post refused", zap.String("why", p.Refused))
			return
		}
		log.Info("slack notice", zap.String("text", p.Message.Text), zap.Int("blocks", len(p.Message.Blocks)))
	}
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

// printStack tells a person where the simulators and the Slack stand-in
// at webhook are, what they hold and how to use them; the service it
// suggests keeps its state under prefix.
func printStack(w io.Writer, st *simulation.Stack, webhook, prefix string) {
	s, sum := st.Settings, st.Summary
	fmt.Fprintf(w, "Zendesk simulator  %s   user %s, API token %s\n", s.ZendeskURL, s.ZendeskEmail, s.ZendeskToken)
	fmt.Fprintf(w, "Jira simulator     %s   user %s, API token %s\n", s.JiraURL, s.JiraEmail, s.JiraToken)
	fmt.Fprintf(w, "Slack stand-in     %s   logs each notice posted to its webhook\n", strings.TrimSuffix(webhook, slacktest.Hook))
	fmt.Fprintf(w, "\nSeeded with seed %d in %s: %s.\n", st.Dataset.Seed, sum.Took.Round(time.Millisecond), sum)

	fmt.Fprintln(w, "\nPoint the service at them with this environment (no configuration file needed):")
	fmt.Fprintln(w)
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(w, "  export %s=%s\n", k, shellQuote(v))
	}
	fmt.Fprintln(w, "  # Revenue waiting: the simulated organizations' annual revenue, in one currency.")
	fmt.Fprintf(w, "  export %sREVENUE_FIELD=%s\n", config.EnvPrefix, simulation.RevenueField)
	fmt.Fprintf(w, "  export %sREVENUE_CURRENCY=%s\n", config.EnvPrefix, simulation.RevenueCurrency)
	fmt.Fprintf(w, "  export %sSLACK_WEBHOOK_URL=%s\n", config.EnvPrefix, shellQuote(webhook))
	fmt.Fprintln(w, "  # helpdesk-sync run posts the Slack notices, which the stand-in logs; once queues them")
	fmt.Fprintln(w, "  # for the next run.")
	fmt.Fprintln(w, "  # Redis: REDIS_URL, or 127.0.0.1:6379 by default; the trial's state goes under a prefix")
	fmt.Fprintln(w, "  # of its own, away from the default helpdesk-sync: of a real installation.")
	fmt.Fprintf(w, "  export %sREDIS_KEY_PREFIX=%s\n", config.EnvPrefix, shellQuote(prefix))
	fmt.Fprintln(w, "  helpdesk-sync once")
	fmt.Fprintln(w, "  # Done? Delete the trial's keys (with -u \"$REDIS_URL\" after each redis-cli for another server):")
	fmt.Fprintf(w, "  redis-cli --scan --pattern %s | xargs -r redis-cli unlink\n", shellQuote(prefix+"*"))
	fmt.Fprintln(w, "\nor in a configuration file (the tokens and the Slack webhook URL stay in the environment):")
	fmt.Fprintln(w)
	for line := range strings.Lines(s.YAML()) {
		fmt.Fprint(w, "  "+line)
	}
	fmt.Fprintf(w, "  revenue:\n    field: %s\n    currency: %s\n", simulation.RevenueField, simulation.RevenueCurrency)
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
	fmt.Fprintf(w, "  curl -sS -H 'Content-Type: application/json' -d '{\"text\":\"Hello from curl\"}' %s\n", shellQuote(webhook))
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

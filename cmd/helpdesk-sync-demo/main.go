// Command helpdesk-sync-demo runs the real worker (the assembly 'run' and
// 'once' use) against the Zendesk and Jira simulators, seeded with a
// generated account, with its Slack notices posted to a local stand-in,
// and tells what it does, story by story. It never talks to a real
// account or Slack and reads no configuration file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/helpdesk-sync-demo/internal/demo"
	"github.com/helpdesk-sync/helpdesk-sync/cmd/internal/logging"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
)

const usage = `Usage: helpdesk-sync-demo [--seed N] [--tickets N] [--verbose]

Seeds the Zendesk and Jira simulators with a generated account and runs the real worker
against them: the backfill, an agent linking tickets, an engineer fixing a bug, a bug going
stale on a simulated clock, an idle cycle, a mass change met by the dry run and the
blast-radius guard, with the Slack notices each step posts (to a local stand-in of Slack's
webhooks); then a table of what each step wrote and what it cost in requests.
State goes to the Redis at REDIS_URL (or 127.0.0.1:6379) when one answers, under a key
prefix of its own that is deleted at the end, and to an embedded in-process Redis
otherwise. Takes a second or two.

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	rl := &logging.RedisLog{}
	redis.SetLogger(rl) // go-redis logs process-wide; run routes it to its logger
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, rl)
	stop()
	os.Exit(code)
}

// run is the program with its surroundings passed in, for tests; it
// returns the exit code: 0, 1 on a failure, 2 on a bad command line.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, rl *logging.RedisLog) int {
	fs := flag.NewFlagSet("helpdesk-sync-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage); fs.PrintDefaults() }
	data := simulation.NewFlags(fs, simulation.DemoSize, false)
	verbose := fs.Bool("verbose", false, "list every engine event of each step")
	logLevel := fs.String("log-level", "error", "log `level` of the engine: debug, info, warn or error (the story tells what it warns about)")
	logFormat := fs.String("log-format", "", "log `format`: auto, json or console")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "helpdesk-sync-demo: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	d, err := data.Dataset()
	if err != nil {
		fmt.Fprintln(stderr, "helpdesk-sync-demo:", err)
		return 2
	}
	log, err := logging.New(*logLevel, *logFormat, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "helpdesk-sync-demo:", err)
		return 2
	}
	defer func() { _ = log.Sync() }()
	rl.To(log)
	if _, err := demo.Run(ctx, demo.Options{Dataset: d, Out: stdout, Verbose: *verbose, Logger: log, RedisURL: getenv("REDIS_URL")}); err != nil {
		fmt.Fprintln(stderr, "helpdesk-sync-demo:", err)
		return 1
	}
	return 0
}

package main

import (
	"context"
	"flag"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/helpdesk-sync/internal/demo"
	"github.com/helpdesk-sync/helpdesk-sync/cmd/helpdesk-sync/internal/logging"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
)

func (a *app) demoCommand() *ffcli.Command {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	a.globalFlags(fs)
	data := datasetFlags(fs, simulation.DemoSize, false)
	verbose := fs.Bool("verbose", false, "list every engine event of each step")
	return &ffcli.Command{
		Name:       "demo",
		ShortUsage: "helpdesk-sync demo [--seed N] [--tickets N] [--verbose]",
		ShortHelp:  "run the real worker against simulated Zendesk and Jira accounts and tell what it does",
		LongHelp: "Seeds the built-in Zendesk and Jira simulators with a generated account and runs the\n" +
			"real worker against them: the backfill, an agent linking tickets, an engineer fixing a\n" +
			"bug, a bug going stale on a simulated clock, an idle cycle, a mass change met by the\n" +
			"dry run and the blast-radius guard; then a table of what each step wrote and what it\n" +
			"cost in requests. State goes to the Redis at REDIS_URL (or 127.0.0.1:6379) when one\n" +
			"answers, under a key prefix of its own that is deleted at the end, and to an embedded\n" +
			"in-process Redis otherwise. --config is not read: the demo never talks to a real\n" +
			"account. Takes a second or two.",
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			d, err := data.dataset()
			if err != nil {
				return err
			}
			level := a.logLevel
			if level == "" {
				level = "error" // the story tells what the engine warns about
			}
			log, err := logging.New(level, a.logFormat, a.stderr)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			defer func() { _ = log.Sync() }()
			redisLog.To(log)
			_, err = demo.Run(ctx, demo.Options{Dataset: d, Out: a.stdout, Verbose: *verbose, Logger: log,
				RedisURL: a.getenv("REDIS_URL")})
			return err
		},
	}
}

package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/internal/logging"
	"github.com/helpdesk-sync/helpdesk-sync/config"
)

func (a *app) validateCommand() *ffcli.Command {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	a.globalFlags(fs)
	show := fs.Bool("print", false, "print the effective configuration as YAML, secrets redacted, each value with where it came from")
	online := fs.Bool("online", false, "also check, with read-only requests, Redis, the credentials, the configured fields, priorities and projects")
	return &ffcli.Command{
		Name:       "validate",
		ShortUsage: "helpdesk-sync validate [--print] [--online] [--config FILE]",
		ShortHelp:  "check the configuration and list every problem in it",
		LongHelp: "Loads the configuration as the service would (file, then HELPDESK_SYNC_* variables,\n" +
			"then secrets) and lists every problem at once, each with its key, its variable and the fix.\n" +
			"Exits 3 when there is one. Without --online it makes no network request; with it,\n" +
			"it also pings Redis and checks both accounts with read-only requests, and exits 4 when\n" +
			"a check fails, naming the key to change.",
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			cfg, err := a.loadConfig()
			for _, w := range append(config.CheckEnviron(a.environ), cfg.Warnings()...) {
				fmt.Fprintln(a.stderr, "warning:", w)
			}
			if *show {
				fmt.Fprint(a.stdout, cfg.Redacted())
			}
			if a.printProblems(err) {
				return exitWith(exitConfig, nil)
			}
			if err != nil {
				return err
			}
			status := a.stdout
			if *show { // keep stdout pure YAML
				status = a.stderr
			}
			fmt.Fprintf(status, "%s: configuration is valid\n", a.configSource())
			if !*online {
				return nil
			}
			// The report is the output; the log says only what went wrong
			// beyond it, unless --log-level asks for more.
			level := "error"
			if a.logLevel != "" {
				level = cfg.Log.Level
			}
			log, err := logging.New(level, cfg.Log.Format, a.stderr, cfg.Secrets()...)
			if err != nil {
				return exitWith(exitConfig, err)
			}
			redisLog.To(log)
			ok, err := runOnline(ctx, cfg, log, status)
			if err != nil {
				return err
			}
			if !ok {
				return exitWith(exitOnline, fmt.Errorf("online checks failed"))
			}
			fmt.Fprintln(status, "online checks passed")
			return nil
		},
	}
}

// configSource names where the configuration was read from, for messages.
func (a *app) configSource() string {
	if a.configPath == "" {
		return "environment (no --config file)"
	}
	return a.configPath
}

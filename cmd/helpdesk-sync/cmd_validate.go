package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/helpdesk-sync/helpdesk-sync/config"
)

func (a *app) validateCommand() *ffcli.Command {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	a.globalFlags(fs)
	show := fs.Bool("print", false, "print the effective configuration as YAML, secrets redacted, each value with where it came from")
	return &ffcli.Command{
		Name:       "validate",
		ShortUsage: "helpdesk-sync validate [--print] [--config FILE]",
		ShortHelp:  "check the configuration and list every problem in it",
		LongHelp: "Loads the configuration as the service would (file, then HELPDESK_SYNC_* variables,\n" +
			"then secrets) and lists every problem at once, each with its key, its variable and the fix.\n" +
			"Exits 3 when there is one. It makes no network request.",
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
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
			var cerr *config.Error
			if errors.As(err, &cerr) {
				fmt.Fprintf(a.stderr, "%s: %d problem(s):\n", a.configSource(), len(cerr.Problems))
				for _, p := range cerr.Problems {
					fmt.Fprintln(a.stderr, "  "+p.String())
				}
				return exitWith(exitConfig, nil)
			}
			if err != nil {
				return err
			}
			// The online checks (credentials, fields, projects; exit 4)
			// go here, behind an --online flag, once the adapters are wired.
			status := a.stdout
			if *show { // keep stdout pure YAML
				status = a.stderr
			}
			fmt.Fprintf(status, "%s: configuration is valid\n", a.configSource())
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

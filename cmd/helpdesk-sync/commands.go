package main

import (
	"context"
	"flag"
	"io"
	"strings"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/helpdesk-sync/helpdesk-sync/config"
)

// subcommands is the registry: a new subcommand is a cmd_<name>.go file
// with a method returning its *ffcli.Command, and one line here.
func (a *app) subcommands() []*ffcli.Command {
	return []*ffcli.Command{
		a.runCommand(),
		a.onceCommand(),
		a.resyncCommand(),
		a.statusCommand(),
		a.validateCommand(),
		a.versionCommand(),
		a.webhooksCommand(),
		a.healthcheckCommand(),
		a.appPackageCommand(),
	}
}

// app is what every subcommand shares: the process's surroundings and the
// global flags.
type app struct {
	environ        []string
	stdout, stderr io.Writer

	configPath string // --config, default $HELPDESK_SYNC_CONFIG
	logLevel   string // --log-level: overrides log.level
	logFormat  string // --log-format: overrides log.format
}

func newApp(environ []string, stdout, stderr io.Writer) *app {
	return &app{environ: environ, stdout: stdout, stderr: stderr}
}

// getenv reads environ; the last of repeated variables wins, as in a shell.
func (a *app) getenv(name string) string {
	for i := len(a.environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(a.environ[i], "="); ok && k == name {
			return v
		}
	}
	return ""
}

// globalFlags puts the global flags on fs. Every command's flag set has
// them, so they go before or after the subcommand's name alike.
func (a *app) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&a.configPath, "config", a.getenv(config.PathEnv), "configuration `file` (env "+config.PathEnv+"); without one, the environment alone configures")
	fs.StringVar(&a.logLevel, "log-level", "", "log `level`: debug, info, warn or error (overrides log.level)")
	fs.StringVar(&a.logFormat, "log-format", "", "log `format`: auto, json or console (overrides log.format)")
}

func (a *app) root() *ffcli.Command {
	fs := flag.NewFlagSet("helpdesk-sync", flag.ContinueOnError)
	a.globalFlags(fs)
	root := &ffcli.Command{
		Name:       "helpdesk-sync",
		ShortUsage: "helpdesk-sync [--config FILE] <command> [flags]",
		ShortHelp:  "links Zendesk tickets to Jira bugs and keeps both sides up to date",
		LongHelp: "Configuration comes from the YAML file named by --config, then from HELPDESK_SYNC_*\n" +
			"variables over it; see config/example.yaml. Each command has --help.\n\n" + exitCodeHelp(),
		FlagSet:     fs,
		Subcommands: a.subcommands(),
	}
	root.Exec = func(_ context.Context, args []string) error {
		if len(args) == 0 {
			return usageErrorf("no command given; one of: %s", strings.Join(names(root.Subcommands), ", "))
		}
		return usageErrorf("unknown command %q; one of: %s", args[0], strings.Join(names(root.Subcommands), ", "))
	}
	return root
}

func names(cmds []*ffcli.Command) []string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i] = c.Name
	}
	return out
}

// setOutput sends the flag output of c and its subcommands to w.
func setOutput(c *ffcli.Command, w io.Writer) {
	c.FlagSet.SetOutput(w)
	for _, s := range c.Subcommands {
		setOutput(s, w)
	}
}

// noArgs refuses positional arguments to a command that takes none.
func noArgs(args []string) error {
	if len(args) > 0 {
		return usageErrorf("unexpected argument %q", args[0])
	}
	return nil
}

// loadConfig loads the configuration named by --config and the
// environment, with --log-level and --log-format over both. The
// configuration comes back with its *config.Error too, for showing.
func (a *app) loadConfig() (*config.Config, error) {
	return config.Load(a.configPath, a.getenv,
		config.Override{Key: "log.level", Value: a.logLevel, Origin: "flag --log-level"},
		config.Override{Key: "log.format", Value: a.logFormat, Origin: "flag --log-format"})
}

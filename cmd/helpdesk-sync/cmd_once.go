package main

import (
	"context"
	"flag"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
)

func (a *app) onceCommand() *ffcli.Command {
	return a.leaderStepCommand("once", "run one full cycle (observe, reconcile, sweep) and exit",
		"Runs one full cycle as the leader and prints what it observed and wrote, for cron\n"+
			"jobs and debugging. It takes the leader lease first, so it never writes beside a running\n"+
			"deployment. Exits 5 when the blast-radius guard held writes, 1 when items failed (they\n"+
			"stay queued), 0 otherwise.",
		"cycle", (*engine.Engine).Cycle)
}

func (a *app) resyncCommand() *ffcli.Command {
	return a.leaderStepCommand("resync", "rebuild the Redis state from Zendesk and Jira",
		"Reads every ticket from the beginning and every linked bug with its remote links,\n"+
			"and rebuilds the link index and snapshots in Redis. Zendesk and Jira are the source of\n"+
			"truth: after a lost Redis this repairs the state without repeating notes or comments\n"+
			"already made. Takes the leader lease first. Exit codes as for once.",
		"resync", (*engine.Engine).Resync)
}

// leaderStepCommand is a command that runs one engine step as the leader
// and prints its report: once and resync.
func (a *app) leaderStepCommand(name, short, long, title string,
	step func(*engine.Engine, context.Context) (engine.Report, error)) *ffcli.Command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	a.globalFlags(fs)
	f := a.cycleFlags(fs)
	return &ffcli.Command{
		Name:       name,
		ShortUsage: "helpdesk-sync " + name + " [--dry-run] [--confirm-large-change] [--json] [--wait D]",
		ShortHelp:  short,
		LongHelp:   long,
		FlagSet:    fs,
		Exec: func(ctx context.Context, args []string) error {
			return a.leaderCommand(ctx, args, f, title, func(ctx context.Context, e *engine.Engine) (engine.Report, error) {
				return step(e, ctx)
			})
		},
	}
}

type cycleFlags struct {
	dryRun, confirm, json *bool
	wait                  *time.Duration
}

func (a *app) cycleFlags(fs *flag.FlagSet) cycleFlags {
	f := cycleFlags{
		dryRun:  fs.Bool("dry-run", false, "compute and log every write, make none (overrides policy.dry_run)"),
		confirm: fs.Bool("confirm-large-change", false, "let writes over the policy.max_* limits through, once"),
		json:    fs.Bool("json", false, "print the report as JSON"),
		wait:    fs.Duration("wait", 0, "how long to wait for the leader lease; 0 is sync.lease_ttl plus 5s"),
	}
	return f
}

// leaderCommand is once and resync: load, assemble, take the lease, run
// step, print its report, exit by it.
func (a *app) leaderCommand(ctx context.Context, args []string, f cycleFlags, title string,
	step func(context.Context, *engine.Engine) (engine.Report, error)) error {
	if err := noArgs(args); err != nil {
		return err
	}
	cfg, log, err := a.configured()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	svc, err := service.New(cfg, service.Options{Logger: log, DryRun: *f.dryRun, ConfirmLargeChange: *f.confirm})
	if err != nil {
		return err
	}
	defer svc.Close()
	if err := svc.Ping(ctx); err != nil {
		return err
	}
	wait := *f.wait
	if wait <= 0 {
		wait = cfg.Sync.LeaseTTL + 5*time.Second
	}
	var rep engine.Report
	var stepErr error
	if err := asLeader(ctx, svc, wait, func(ctx context.Context) error {
		rep, stepErr = step(ctx, svc.Engine)
		return nil
	}); err != nil {
		return err
	}
	if err := printReport(a.stdout, title, rep, *f.json); err != nil {
		return err
	}
	if stepErr != nil {
		return stepErr
	}
	return reportExit(rep)
}

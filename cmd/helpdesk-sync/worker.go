package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/internal/logging"
	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
)

// loadValidConfig loads the configuration and turns every problem into
// exit code 3, printing them as validate does.
func (a *app) loadValidConfig() (*config.Config, error) {
	cfg, err := a.loadConfig()
	if a.printProblems(err) {
		return nil, exitWith(exitConfig, nil)
	}
	if err != nil {
		return nil, exitWith(exitConfig, err)
	}
	return cfg, nil
}

// printProblems lists the configuration's problems on stderr, one a line,
// and reports whether err held any.
func (a *app) printProblems(err error) bool {
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		return false
	}
	fmt.Fprintf(a.stderr, "%s: %s:\n", a.configSource(), plural(len(cerr.Problems), "problem", "problems"))
	for _, p := range cerr.Problems {
		fmt.Fprintln(a.stderr, "  "+p.String())
	}
	return true
}

// configured loads the valid configuration and the logger it configures:
// the start of every command that works with the vendors or Redis.
func (a *app) configured() (*config.Config, *zap.Logger, error) {
	cfg, err := a.loadValidConfig()
	if err != nil {
		return nil, nil, err
	}
	log, err := a.logger(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, log, nil
}

// logger builds the process's logger, masking every configured secret.
func (a *app) logger(cfg *config.Config) (*zap.Logger, error) {
	log, err := logging.New(cfg.Log.Level, cfg.Log.Format, a.stderr, cfg.Secrets()...)
	if err != nil {
		return nil, exitWith(exitConfig, err)
	}
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	redisLog.To(log)
	return log, nil
}

// errLeaseBusy: another replica holds the leader lease.
var errLeaseBusy = errors.New("another replica holds the leader lease")

// asLeader runs fn once while holding the leader lease, so that a one-off
// command never writes beside a running deployment. It waits up to wait
// for the lease (a dead leader's lease expires within sync.lease_ttl).
func asLeader(ctx context.Context, svc *service.Service, wait time.Duration, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// What fn claims is held for this process's claimant: released at
	// once on return, within sync.lease_ttl if the process dies.
	stopClaimant, err := svc.Claimant.Start(ctx)
	if err != nil {
		return fmt.Errorf("register this process's claimant: %w", err)
	}
	defer stopClaimant()
	acquired := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- svc.Lease.Do(ctx, func(lctx context.Context, _ int64) error {
			close(acquired)
			return fn(lctx)
		})
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-acquired:
		return <-done
	case err := <-done:
		return err
	case <-timer.C:
	}
	cancel()
	err = <-done
	select {
	case <-acquired: // won the lease as the wait ran out: fn ran
		return err
	default:
		return fmt.Errorf("%w (waited %s; is a 'run' deployment up? stop it, or use its webhooks and polling instead)", errLeaseBusy, wait)
	}
}

// printReport writes a cycle's report as a table, or as JSON.
func printReport(w io.Writer, title string, rep engine.Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	mode := ""
	if rep.DryRun {
		mode = " (dry run: writes planned, none made)"
	}
	fmt.Fprintf(w, "%s%s in %s\n", title, mode, rep.Duration.Round(time.Millisecond))
	rows := []struct {
		n         int
		one, many string
	}{
		{rep.TicketsObserved, "ticket observed", "tickets observed"}, {rep.BugsObserved, "bug observed", "bugs observed"},
		{rep.LinksAdded, "link added", "links added"}, {rep.LinksRemoved, "link removed", "links removed"},
		{rep.KeysIgnored, "key ignored (unknown project, malformed or too many)", "keys ignored (unknown project, malformed or too many)"},
		{rep.KeysMissing, "key matching no issue", "keys matching no issue"},
		{rep.Transitions, "bug status change", "bug status changes"}, {rep.BugEdits, "bug edit", "bug edits"},
		{rep.PriorityChanges, "priority change", "priority changes"}, {rep.Comments, "bug comment", "bug comments"},
		{rep.RemoteLinksUpserted, "remote link written", "remote links written"}, {rep.RemoteLinksDeleted, "remote link deleted", "remote links deleted"},
		{rep.TicketUpdates, "ticket update", "ticket updates"}, {rep.Notes, "private note", "private notes"},
		{rep.StaleFlagged, "bug flagged stale", "bugs flagged stale"}, {rep.StaleUnflagged, "stale flag lifted", "stale flags lifted"},
		{rep.Errors, "error (retried next cycle)", "errors (retried next cycle)"},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%7d  %s\n", r.n, agree(r.n, r.one, r.many))
	}
	for _, h := range rep.Held {
		fmt.Fprintf(w, "HELD: %s planned, limit %d: none made; raise policy.max_* or rerun with --confirm-large-change\n",
			plural(h.Planned, h.Kind+" write", h.Kind+" writes"), h.Limit)
	}
	return nil
}

// reportExit maps a finished cycle to the exit code scripts rely on.
func reportExit(rep engine.Report) error {
	switch {
	case len(rep.Held) > 0:
		return exitWith(exitHeld, nil)
	case rep.Errors > 0:
		if rep.Errors == 1 {
			return exitWith(exitFailure, errors.New("1 item failed; it stays queued and is retried"))
		}
		return exitWith(exitFailure, fmt.Errorf("%d items failed; they stay queued and are retried", rep.Errors))
	}
	return nil
}

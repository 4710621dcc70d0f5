// Command helpdesk-sync links Zendesk tickets to Jira bugs and keeps both
// sides up to date. main only dispatches to the subcommands, one per
// cmd_*.go file, registered in commands.go.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/helpdesk-sync/helpdesk-sync/cmd/internal/logging"
)

// defaultGOGC is the collector's target unless the GOGC environment
// variable sets one. The service's heap stays small whatever the size of
// the account (the export is streamed page by page) while CPU bounds a
// backfill, so it trades a bounded rise in peak memory for less time spent
// collecting. GOGC=100 trades back; GOMEMLIMIT caps memory in a tight
// container. docs/performance.md has the figures behind the choice.
const defaultGOGC = 200

// redisLog takes go-redis's own log lines, process-wide; each command
// routes them to the logger it builds.
var redisLog = &logging.RedisLog{}

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGOGC)
	}
	redis.SetLogger(redisLog)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program with its surroundings passed in, so that tests
// run it in-process: args without the program name, environ in
// os.Environ's form. It returns the exit code.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	a := newApp(environ, stdout, stderr)
	root := a.root()
	// The flag package writes parse errors and -h usage to the flag set's
	// output; collect it, to send help to stdout and errors to stderr.
	var usage bytes.Buffer
	setOutput(root, &usage)

	err := root.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = io.Copy(stdout, &usage)
		return exitOK
	case err != nil:
		if usage.Len() == 0 { // not from the flag package, which said it already
			fmt.Fprintln(stderr, "helpdesk-sync:", err)
		}
		_, _ = io.Copy(stderr, &usage)
		return exitUsage
	}

	err = root.Run(ctx)
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintln(stderr, "helpdesk-sync:", ee.err)
		}
		if ee.code == exitUsage {
			fmt.Fprintln(stderr, "Run 'helpdesk-sync --help' for usage.")
		}
		return ee.code
	default:
		fmt.Fprintln(stderr, "helpdesk-sync:", err)
		return exitFailure
	}
}

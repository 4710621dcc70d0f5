package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/peterbourgon/ff/v3/ffcli"
)

// Stamped at build time:
//
//	go build -ldflags "-X main.version=1.2.0 -X main.commit=$(git rev-parse HEAD) -X main.date=$(date -u +%FT%TZ)"
var (
	version = "dev"
	commit  = "dev"
	date    = "dev"
)

type buildInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Date     string `json:"date"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// currentBuild is the stamped build, completed from the module and VCS
// information Go records when nothing was stamped (go install ...@v1.2.0).
func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Date: date, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if b.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		b.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && b.Commit == "dev":
			b.Commit = s.Value
		case s.Key == "vcs.time" && b.Date == "dev":
			b.Date = s.Value
		}
	}
	return b
}

func (a *app) versionCommand() *ffcli.Command {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	a.globalFlags(fs)
	asJSON := fs.Bool("json", false, "print as JSON")
	return &ffcli.Command{
		Name:       "version",
		ShortUsage: "helpdesk-sync version [--json]",
		ShortHelp:  "print the version, commit, build date and Go version",
		FlagSet:    fs,
		Exec: func(_ context.Context, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			b := currentBuild()
			if *asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(b)
			}
			_, err := fmt.Fprintf(a.stdout, "helpdesk-sync %s\ncommit  %s\nbuilt   %s\ngo      %s %s\n", b.Version, b.Commit, b.Date, b.Go, b.Platform)
			return err
		},
	}
}

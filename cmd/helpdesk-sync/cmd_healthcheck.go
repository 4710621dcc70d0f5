package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"
)

func (a *app) healthcheckCommand() *ffcli.Command {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	a.globalFlags(fs)
	url := fs.String("url", "", "`URL` to probe; default http://127.0.0.1:<port of http.listen>/healthz")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	return &ffcli.Command{
		Name:       "healthcheck",
		ShortUsage: "helpdesk-sync healthcheck [--url URL] [--timeout D]",
		ShortHelp:  "probe a running service's /healthz; exit 0 when it answers 200",
		LongHelp: "For container HEALTHCHECKs where there is no shell or curl (the image is distroless):\n" +
			"reads http.listen from the same configuration as run and asks the local /healthz.\n" +
			"Exits 0 when it answers 200, 1 otherwise.",
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			target := *url
			if target == "" {
				// Only http.listen is needed: the rest of the configuration
				// may be invalid, and run will have said so.
				cfg, _ := a.loadConfig()
				if cfg == nil {
					return exitWith(exitConfig, fmt.Errorf("no configuration to read http.listen from; pass --url"))
				}
				addr, err := probeAddr(cfg.HTTP.Listen)
				if err != nil {
					return exitWith(exitConfig, err)
				}
				target = "http://" + addr + "/healthz"
			}
			return probe(ctx, target, *timeout)
		},
	}
}

// probeAddr is where a local client reaches a listener on listen: the
// loopback address when it listens on every interface.
func probeAddr(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("http.listen %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

func probe(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usageErrorf("--url %q: %v", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return exitWith(exitFailure, fmt.Errorf("healthcheck: %w", err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return exitWith(exitFailure, fmt.Errorf("healthcheck: GET %s: %s", url, resp.Status))
	}
	return nil
}

package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/helpdesk-sync/helpdesk-sync/sync/sidebar"
)

func (a *app) appPackageCommand() *ffcli.Command {
	fs := flag.NewFlagSet("app-package", flag.ContinueOnError)
	a.globalFlags(fs)
	out := fs.String("out", "helpdesk-sync-app.zip", "`file` to write the zip to; - writes it to stdout")
	publicURL := fs.String("public-url", "", "the service's `URL` as agents' browsers reach it (default sidebar.public_url of the configuration)")
	var o sidebar.PackageOptions
	fs.StringVar(&o.AuthorName, "author-name", "", "author `name` Zendesk shows on the app (required)")
	fs.StringVar(&o.AuthorEmail, "author-email", "", "author `email` (required)")
	fs.StringVar(&o.AuthorURL, "author-url", "", "author `URL` (optional)")
	fs.StringVar(&o.Name, "name", "", "app `name` (default Helpdesk Sync)")
	fs.StringVar(&o.Version, "app-version", "", "app `version`, MAJOR.MINOR.PATCH (default 1.0.0)")
	return &ffcli.Command{
		Name:       "app-package",
		ShortUsage: "helpdesk-sync app-package --author-name NAME --author-email EMAIL [--out FILE] [--public-url URL]",
		ShortHelp:  "write the Zendesk sidebar app's package (a zip to upload as a private app)",
		LongHelp: "Writes the Zendesk Apps Framework package of the ticket sidebar: manifest, translations and\n" +
			"logos. Its one location, ticket_sidebar, loads {public URL}" + sidebar.PagePath + " with signed\n" +
			"requests. Upload it in Admin Center > Apps and integrations > Zendesk Support apps > Upload\n" +
			"private app; see docs/sidebar.md.",
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			o.PublicURL = *publicURL
			if o.PublicURL == "" {
				cfg, err := a.loadValidConfig()
				if err != nil {
					return err
				}
				if o.PublicURL = cfg.Sidebar.PublicURL; o.PublicURL == "" {
					return usageErrorf("no public URL: set sidebar.public_url, or pass --public-url")
				}
			}
			return a.writePackage(*out, o)
		},
	}
}

// writePackage writes the zip whole or not at all: to a temporary file
// renamed into place, so a failure leaves no half package to upload.
func (a *app) writePackage(out string, o sidebar.PackageOptions) error {
	var buf bytes.Buffer
	if err := sidebar.WritePackage(&buf, o); err != nil {
		return usageErrorf("%v", err)
	}
	if out == "-" {
		_, err := a.stdout.Write(buf.Bytes())
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".app-package-*.zip")
	if err != nil {
		return fmt.Errorf("app package: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("app package: %s: %w", out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("app package: %s: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("app package: %w", err)
	}
	fmt.Fprintf(a.stderr, "wrote %s (%d bytes) for %s\n", out, buf.Len(), o.PublicURL)
	return nil
}

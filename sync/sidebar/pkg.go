// Package sidebar provides the Zendesk ticket-sidebar app of helpdesk-sync:
// the installable Zendesk Apps Framework (ZAF v2) package whose one
// location is a page served by the service, and the short-lived sessions
// the page uses once Zendesk's signed request has been verified.
package sidebar

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// PagePath is where the service serves the sidebar page; the package's
// ticket_sidebar location points there.
const PagePath = "/zendesk/app/sidebar"

// PackageOptions describe the app package to write.
type PackageOptions struct {
	// PublicURL is the service's address as agents' browsers reach it,
	// e.g. https://sync.example.com (a path prefix is kept). Zendesk
	// accepts only https, or http on localhost for development.
	PublicURL string
	// Name shown in Zendesk; "" is "Helpdesk Sync".
	Name string
	// Author of the app; Name and Email are required by Zendesk.
	AuthorName  string
	AuthorEmail string
	AuthorURL   string // optional
	// Version of the app, e.g. "1.0.0"; "" is "1.0.0".
	Version string
}

// The manifest as ZAF v2 reads it; keys as Zendesk's validator maps them
// (github.com/zendesk/zendesk_apps_support lib/zendesk_apps_support/manifest.rb).
type manifest struct {
	Name             string                                `json:"name"`
	Author           author                                `json:"author"`
	DefaultLocale    string                                `json:"defaultLocale"`
	Private          bool                                  `json:"private"`
	Location         map[string]map[string]locationOptions `json:"location"`
	Version          string                                `json:"version"`
	FrameworkVersion string                                `json:"frameworkVersion"`
	// SignedURLs makes Zendesk POST the page with a signed token
	// (connectors/zendesk AppVerifier checks it).
	SignedURLs bool `json:"signedUrls"`
}

type author struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	URL   string `json:"url,omitempty"`
}

type locationOptions struct {
	URL      string `json:"url"`
	Flexible bool   `json:"flexible"`
}

// Logo sizes and form Zendesk asks for: logo.png 320×320 with no rounded
// corners (Zendesk rounds them), logo-small.png 128×128, PNG with
// transparency (https://developer.zendesk.com/apps/docs/publish/create_assets).
const (
	logoSize      = 320
	logoSmallSize = 128
)

// Files returns the package's files by path inside the zip.
func Files(opts PackageOptions) (map[string][]byte, error) {
	m, err := newManifest(opts)
	if err != nil {
		return nil, err
	}
	manifestJSON, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sidebar package: manifest: %w", err)
	}
	translations, err := json.MarshalIndent(map[string]any{
		"app": map[string]any{
			"name":              m.Name,
			"short_description": "See, link and file the Jira bugs behind a ticket.",
			"long_description": "Shows the Jira bugs linked to the ticket, how many customers wait on " +
				"each, and lets agents search, link and file bugs without leaving the ticket.",
			"installation_instructions": "Install, then open a ticket: the panel loads from the " +
				"helpdesk-sync service at " + opts.PublicURL + ".",
		},
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sidebar package: translations: %w", err)
	}
	logo, err := drawLogo(logoSize, true)
	if err != nil {
		return nil, err
	}
	small, err := drawLogo(logoSmallSize, false)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		"manifest.json":         append(manifestJSON, '\n'),
		"translations/en.json":  append(translations, '\n'),
		"assets/logo.png":       logo,
		"assets/logo-small.png": small,
	}, nil
}

// WritePackage writes the installable package (a zip, as Zendesk's
// "Upload private app" takes) for the service at opts.PublicURL to w.
func WritePackage(w io.Writer, opts PackageOptions) error {
	files, err := Files(opts)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	zw := zip.NewWriter(w)
	// A fixed time keeps the package byte-for-byte reproducible.
	mod := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range names {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mod})
		if err != nil {
			return fmt.Errorf("sidebar package: %s: %w", name, err)
		}
		if _, err := f.Write(files[name]); err != nil {
			return fmt.Errorf("sidebar package: %s: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("sidebar package: %w", err)
	}
	return nil
}

var versionRE = regexp.MustCompile(`^\d+\.\d+\.\d+$`)

func newManifest(opts PackageOptions) (manifest, error) {
	page, err := pageURL(opts.PublicURL)
	if err != nil {
		return manifest{}, err
	}
	switch {
	case strings.TrimSpace(opts.AuthorName) == "":
		return manifest{}, errors.New("sidebar package: author name is required (Zendesk shows it on the app)")
	case !strings.Contains(opts.AuthorEmail, "@"):
		return manifest{}, fmt.Errorf("sidebar package: author email %q: want an address", opts.AuthorEmail)
	case opts.AuthorURL != "" && !strings.HasPrefix(opts.AuthorURL, "https://") && !strings.HasPrefix(opts.AuthorURL, "http://"):
		return manifest{}, fmt.Errorf("sidebar package: author URL %q: want an http(s) URL", opts.AuthorURL)
	}
	name := opts.Name
	if name == "" {
		name = "Helpdesk Sync"
	}
	version := opts.Version
	if version == "" {
		version = "1.0.0"
	}
	if !versionRE.MatchString(version) {
		return manifest{}, fmt.Errorf("sidebar package: version %q: want MAJOR.MINOR.PATCH", version)
	}
	return manifest{
		Name:          name,
		Author:        author{Name: opts.AuthorName, Email: opts.AuthorEmail, URL: opts.AuthorURL},
		DefaultLocale: "en",
		Private:       true,
		Location: map[string]map[string]locationOptions{
			"support": {"ticket_sidebar": {URL: page, Flexible: true}},
		},
		Version:          version,
		FrameworkVersion: "2.0",
		SignedURLs:       true,
	}, nil
}

// pageURL is the sidebar page under publicURL. Zendesk loads the page in
// an iframe of the agent's browser, so the URL must be absolute, https
// (or http on localhost), and carry no credentials, query or fragment.
func pageURL(publicURL string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(publicURL, "/"))
	if err != nil {
		return "", fmt.Errorf("sidebar package: public URL %q: %w", publicURL, err)
	}
	local := u.Hostname() == "localhost"
	switch {
	case u.Host == "":
		return "", fmt.Errorf("sidebar package: public URL %q: want an absolute URL such as https://sync.example.com", publicURL)
	case u.Scheme != "https" && (u.Scheme != "http" || !local):
		return "", fmt.Errorf("sidebar package: public URL %q: Zendesk loads app pages over https only (http only on localhost)", publicURL)
	case u.User != nil:
		return "", fmt.Errorf("sidebar package: public URL must not carry credentials")
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("sidebar package: public URL %q: no query or fragment", publicURL)
	}
	return u.String() + PagePath, nil
}

// drawLogo draws the app's mark: a ticket with a bug dot. The large logo
// is full bleed and square; the small one is the card alone on a
// transparent background.
func drawLogo(size int, fullBleed bool) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	card := color.NRGBA{R: 0x1f, G: 0x73, B: 0xb7, A: 0xff}
	bug := color.NRGBA{R: 0xe3, G: 0x4f, B: 0x32, A: 0xff}
	white := color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	s := float64(size)
	margin, radius := s*0.08, s*0.16
	if fullBleed {
		margin, radius = 0, 0
	}
	for y := range size {
		for x := range size {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			if inRoundedRect(fx, fy, margin, margin, s-margin, s-margin, radius) {
				img.SetNRGBA(x, y, card)
			}
			// Three text lines on the ticket.
			for i, w := range []float64{0.50, 0.40, 0.30} {
				top := s * (0.28 + 0.14*float64(i))
				if fy >= top && fy < top+s*0.06 && fx >= s*0.2 && fx < s*(0.2+w) {
					img.SetNRGBA(x, y, white)
				}
			}
			// The bug, bottom right.
			dx, dy := fx-s*0.70, fy-s*0.70
			if dx*dx+dy*dy <= (s*0.15)*(s*0.15) {
				img.SetNRGBA(x, y, bug)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("sidebar package: logo: %w", err)
	}
	return buf.Bytes(), nil
}

func inRoundedRect(x, y, x0, y0, x1, y1, r float64) bool {
	if x < x0 || x >= x1 || y < y0 || y >= y1 {
		return false
	}
	cx := min(max(x, x0+r), x1-r)
	cy := min(max(y, y0+r), y1-r)
	dx, dy := x-cx, y-cy
	return dx*dx+dy*dy <= r*r
}

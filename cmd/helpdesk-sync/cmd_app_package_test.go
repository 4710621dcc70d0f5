package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAppPackage(t *testing.T) {
	env := append([]string{
		"HELPDESK_SYNC_ZENDESK_SUBDOMAIN=acme", "HELPDESK_SYNC_ZENDESK_EMAIL=a@acme.com",
		"HELPDESK_SYNC_JIRA_URL=https://acme.atlassian.net", "HELPDESK_SYNC_JIRA_EMAIL=a@acme.com",
		"HELPDESK_SYNC_JIRA_PROJECTS=PROJ", "HELPDESK_SYNC_SIDEBAR_PUBLIC_URL=https://sync.acme.example",
	}, exampleEnv...)
	dir := t.TempDir()
	out := filepath.Join(dir, "app.zip")
	author := []string{"--author-name", "Acme Support Ops", "--author-email", "ops@acme.example"}

	code, _, stderr := runCLI(t, env, append([]string{"app-package", "--out", out}, author...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		SignedURLs bool `json:"signedUrls"`
		Location   map[string]map[string]struct {
			URL string `json:"url"`
		} `json:"location"`
	}
	for _, f := range zr.File {
		if f.Name != "manifest.json" {
			continue
		}
		rc, _ := f.Open()
		raw, _ := io.ReadAll(rc)
		rc.Close()
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
	}
	if got := m.Location["support"]["ticket_sidebar"].URL; got != "https://sync.acme.example/zendesk/app/sidebar" || !m.SignedURLs {
		t.Errorf("manifest: url %q, signedUrls %v", got, m.SignedURLs)
	}

	// The flag wins over the configuration, and needs none.
	code, stdout, stderr := runCLI(t, []string{"PATH=/usr/bin"}, append([]string{"app-package", "--out", "-", "--public-url", "http://localhost:8080"}, author...)...)
	if code != 0 || !strings.HasPrefix(stdout, "PK") {
		t.Fatalf("to stdout: exit %d, %q…: %s", code, stdout[:min(len(stdout), 4)], stderr)
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no author", []string{"--public-url", "https://sync.acme.example"}, "author name is required"},
		{"http public URL", append([]string{"--public-url", "http://sync.acme.example"}, author...), "https only"},
	} {
		bad := filepath.Join(dir, tt.name+".zip")
		code, _, stderr := runCLI(t, nil, append([]string{"app-package", "--out", bad}, tt.args...)...)
		if code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q", tt.name, code, stderr)
		}
		if _, err := os.Stat(bad); err == nil {
			t.Errorf("%s: a package was written", tt.name)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left in the directory: %v", entries)
	}
}

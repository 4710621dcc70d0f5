package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

const example = "../../config/example.yaml"

// exampleEnv holds what example.yaml leaves to the environment: the two
// API tokens.
var exampleEnv = []string{
	"HELPDESK_SYNC_ZENDESK_TOKEN=s3cret-zd",
	"HELPDESK_SYNC_JIRA_TOKEN=s3cret-jira",
	"PATH=/usr/bin",
}

func runCLI(t *testing.T, environ []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, environ, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRun(t *testing.T) {
	envOnly := append([]string{
		"HELPDESK_SYNC_ZENDESK_SUBDOMAIN=acme", "HELPDESK_SYNC_ZENDESK_EMAIL=a@acme.com",
		"HELPDESK_SYNC_JIRA_URL=https://acme.atlassian.net", "HELPDESK_SYNC_JIRA_EMAIL=a@acme.com",
		"HELPDESK_SYNC_JIRA_PROJECTS=PROJ,WEB",
	}, exampleEnv...)
	tests := []struct {
		name       string
		env        []string
		args       []string
		code       int
		stdout     []string // each must appear
		stderr     []string
		noStdout   bool
		noSecrets  bool
		stdoutGone []string // must not appear
	}{
		{name: "no command", code: exitUsage, noStdout: true,
			stderr: []string{"no command given; one of: ", "validate", "Run 'helpdesk-sync --help' for usage."}},
		{name: "help", args: []string{"--help"}, code: exitOK,
			stdout: []string{"USAGE\n  helpdesk-sync [--config FILE] <command> [flags]", "SUBCOMMANDS", "check the configuration",
				"print the version", "EXIT CODES\n  0  success", "  3  invalid configuration", "  5  writes held by the blast-radius guard",
				"-config file", "-log-level level", "-log-format format"}},
		{name: "short help", args: []string{"-h"}, code: exitOK, stdout: []string{"SUBCOMMANDS"}},
		{name: "validate help", args: []string{"validate", "--help"}, code: exitOK,
			stdout: []string{"helpdesk-sync validate [--print] [--online] [--config FILE]", "-print", "-online", "-config file", "Exits 3", "exits 4"}},
		{name: "version help", args: []string{"version", "-h"}, code: exitOK, stdout: []string{"helpdesk-sync version [--json]", "-json"}},
		{name: "unknown flag", args: []string{"--bogus"}, code: exitUsage, noStdout: true,
			stderr: []string{"flag provided but not defined: -bogus", "USAGE"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: exitUsage, noStdout: true,
			stderr: []string{`unknown command "frobnicate"; one of: `, "validate", "version"}},
		{name: "extra argument", args: []string{"version", "x"}, code: exitUsage, noStdout: true, stderr: []string{`unexpected argument "x"`}},
		{name: "version", args: []string{"version"}, code: exitOK,
			stdout: []string{"helpdesk-sync dev\n", "commit  ", "built   ", "go      " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}},

		{name: "validate the example", env: exampleEnv, args: []string{"validate", "--config", example}, code: exitOK,
			stdout: []string{example + ": configuration is valid"}, noSecrets: true},
		{name: "global flag before the command", env: exampleEnv, args: []string{"--config", example, "validate"}, code: exitOK,
			stdout: []string{"configuration is valid"}},
		{name: "file from HELPDESK_SYNC_CONFIG", env: append([]string{"HELPDESK_SYNC_CONFIG=" + example}, exampleEnv...), args: []string{"validate"},
			code: exitOK, stdout: []string{example + ": configuration is valid"}},
		{name: "environment alone", env: envOnly, args: []string{"validate"}, code: exitOK,
			stdout: []string{"environment (no --config file): configuration is valid"}},
		{name: "print", env: exampleEnv, args: []string{"validate", "--print", "--config", example}, code: exitOK,
			stdout: []string{"# Effective configuration; secrets redacted.", "token: '[redacted]' # env HELPDESK_SYNC_ZENDESK_TOKEN",
				"projects: [PROJ, WEB] # " + example + ":"},
			stderr: []string{"configuration is valid"}, noSecrets: true, stdoutGone: []string{"configuration is valid"}},
		{name: "log flags override", env: exampleEnv, args: []string{"validate", "--print", "--log-level", "debug", "--log-format=json", "--config", example},
			code: exitOK, stdout: []string{"level: debug # flag --log-level", "format: json # flag --log-format"}},
		{name: "bad log flag", env: exampleEnv, args: []string{"validate", "--log-level", "verbose", "--config", example}, code: exitConfig,
			stderr: []string{`log.level (flag --log-level): "verbose" is not one of info, debug, warn, error`}},
		{name: "missing file", args: []string{"validate", "--config", "/nonexistent/c.yaml"}, code: exitConfig,
			stderr: []string{"/nonexistent/c.yaml: ", "config: cannot read the file: open /nonexistent/c.yaml: no such file or directory"}},
		{name: "no configuration at all", args: []string{"validate"}, code: exitConfig,
			stderr: []string{"environment (no --config file): 6 problems:", "  zendesk.url: not set", "  jira.projects: empty; set at least one project key, e.g. projects: [PROJ] (env HELPDESK_SYNC_JIRA_PROJECTS=PROJ)"}},
		{name: "template with an unknown field", env: append([]string{"HELPDESK_SYNC_POLICY_TEXTS_FIXED=Fixed in {{.NoSuchField}}."}, envOnly...), args: []string{"validate"},
			code: exitConfig, stderr: []string{"policy.texts.fixed (env HELPDESK_SYNC_POLICY_TEXTS_FIXED): ", "can't evaluate field NoSuchField"}},
		{name: "typo in a variable", env: append([]string{"HELPDESK_SYNC_JIRA_PROJETCS=PROJ"}, envOnly...), args: []string{"validate"}, code: exitOK,
			stderr: []string{"warning: HELPDESK_SYNC_JIRA_PROJETCS sets no configuration key; did you mean HELPDESK_SYNC_JIRA_PROJECTS?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.env, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tt.stdoutGone {
				if strings.Contains(stdout, s) {
					t.Errorf("stdout has %q:\n%s", s, stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if tt.noStdout && stdout != "" {
				t.Errorf("stdout is not empty:\n%s", stdout)
			}
			if tt.noSecrets && strings.Contains(stdout+stderr, "s3cret") {
				t.Errorf("a secret was printed:\n%s\n%s", stdout, stderr)
			}
		})
	}
}

// lineOf is the number of the first line of text holding s.
func lineOf(text, s string) string {
	return strconv.Itoa(strings.Count(text[:strings.Index(text, s)], "\n") + 1)
}

// TestValidateListsEveryProblem breaks the example in many ways at once.
func TestValidateListsEveryProblem(t *testing.T) {
	b, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.NewReplacer(
		"url: https://acme.zendesk.com", "url: acme.zendesk.com",
		"projects: [PROJ, WEB]", "projects: [PROJ, web]",
		"poll_interval: 1m", "poll_interval: 60",
		"- {customers: 25, priority: Highest}", "- {customers: 25, priority: Urgent}",
		"count_by: organization", "count_by: company",
		"lease_ttl: 30s", "lease_tll: 30s",
	).Replace(string(b))
	path := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	// The last of repeated variables wins, and an empty one is unset: the
	// Jira token goes missing.
	env := append(append([]string(nil), exampleEnv...), "HELPDESK_SYNC_JIRA_TOKEN=")
	code, stdout, stderr := runCLI(t, env, "validate", "--config", path)
	if code != exitConfig {
		t.Fatalf("exit code %d, want %d\n%s", code, exitConfig, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout: %s", stdout)
	}
	for _, want := range []string{
		path + ": 7 problems:",
		`  sync.lease_tll (` + path + `:` + lineOf(broken, "lease_tll: 30s") + `): unknown key; did you mean lease_ttl?`,
		`  sync.poll_interval (` + path + `:` + lineOf(broken, "poll_interval: 60") + `): "60": not a duration; write a number with a unit, e.g. 90s, 5m or 72h (env HELPDESK_SYNC_SYNC_POLL_INTERVAL)`,
		`  zendesk.url (` + path + `:23): "acme.zendesk.com" is not an http(s) URL; write it like url: https://acme.zendesk.com (env HELPDESK_SYNC_ZENDESK_URL=https://acme.zendesk.com)`,
		`  jira.token: not set; Jira Cloud authenticates`,
		`  jira.projects[1] (` + path + `:72): "web" is not a project key`,
		`  policy.count_by (` + path + `:102): "company" is not one of organization, requester`,
		`  policy.thresholds[1].priority (` + path + `:` + lineOf(broken, "priority: Urgent}") + `): "Urgent" is not one of jira.priorities`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if strings.Contains(stderr, "s3cret") {
		t.Errorf("a secret was printed:\n%s", stderr)
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", stderr)
	}
}

func TestPrintedConfigValidates(t *testing.T) {
	code, stdout, stderr := runCLI(t, exampleEnv, "validate", "--print", "--config", example)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	path := filepath.Join(t.TempDir(), "effective.yaml")
	if err := os.WriteFile(path, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, exampleEnv, "validate", "--config", path); code != exitOK {
		t.Errorf("the printed configuration does not validate (exit %d):\n%s", code, stderr)
	}
}

func TestVersionJSON(t *testing.T) {
	code, stdout, _ := runCLI(t, nil, "version", "--json")
	var b buildInfo
	if err := json.Unmarshal([]byte(stdout), &b); err != nil || code != exitOK {
		t.Fatalf("exit %d, %v: %s", code, err, stdout)
	}
	if b.Version != "dev" || b.Go != runtime.Version() || b.Platform != runtime.GOOS+"/"+runtime.GOARCH || b.Commit == "" || b.Date == "" {
		t.Errorf("version = %+v", b)
	}
}

// TestVersionStamp builds the binary the way a release does and checks
// that -ldflags -X reaches the version command.
func TestVersionStamp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "helpdesk-sync")
	ldflags := "-X main.version=1.2.3 -X main.commit=abc123 -X main.date=2025-01-02T03:04:05Z"
	if out, err := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var b buildInfo
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	if b.Version != "1.2.3" || b.Commit != "abc123" || b.Date != "2025-01-02T03:04:05Z" {
		t.Errorf("stamped version = %+v", b)
	}
	// The real process: exit codes reach the shell.
	cmd := exec.Command(bin, "frobnicate")
	if err := cmd.Run(); cmd.ProcessState.ExitCode() != exitUsage {
		t.Errorf("exit code %d (%v), want %d", cmd.ProcessState.ExitCode(), err, exitUsage)
	}
}

// TestExitCodesInREADME keeps the README's table in step with the code.
func TestExitCodesInREADME(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range exitCodes() {
		if row := fmt.Sprintf("| %d | %s |", c.code, c.meaning); !strings.Contains(string(b), row) {
			t.Errorf("README.md lacks the row %q", row)
		}
	}
}

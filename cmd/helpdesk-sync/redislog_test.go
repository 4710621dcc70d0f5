package main

import (
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rawRedisLine is go-redis's own log format on stderr:
// "redis: 2025/06/02 09:00:00 pool.go:770: redis: connection pool: …".
var rawRedisLine = regexp.MustCompile(`(?m)^redis: \d{4}/\d\d/\d\d `)

// TestNoRawRedisLines runs the real binary with Redis on a port nobody
// listens on: no command lets go-redis print its own lines on stderr; the
// service says what failed in its own words, and at debug the library's
// lines arrive through the service's logger.
func TestNoRawRedisLines(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	redisURL := closedURL(t, "redis")
	env := []string{"PATH=/usr/bin", "HELPDESK_SYNC_CONFIG=" + simulators,
		"HELPDESK_SYNC_ZENDESK_TOKEN=zendesktest-token", "HELPDESK_SYNC_JIRA_TOKEN=service-api-token",
		"HELPDESK_SYNC_ZENDESK_URL=" + closedURL(t, "http"), "HELPDESK_SYNC_JIRA_URL=" + closedURL(t, "http"),
		"HELPDESK_SYNC_REDIS_URL=" + redisURL, "REDIS_URL=" + redisURL,
		"HELPDESK_SYNC_REDIS_KEY_PREFIX=test-redislog:", "HELPDESK_SYNC_HTTP_LISTEN=127.0.0.1:0"}
	tests := []struct {
		args []string
		stop time.Duration // SIGTERM after this long; 0 waits for the exit
		want string        // the service's own account of it, on stderr or stdout
	}{
		{args: []string{"once", "--wait", "2s"}, want: "helpdesk-sync: redis: dial tcp"},
		{args: []string{"validate", "--online"}, want: "FAIL  redis    ping: redis: dial tcp"},
		// At debug: the library's lines show that it dialled, through the logger.
		{args: []string{"--log-level", "debug", "run"}, stop: 5 * time.Second, want: `"logger":"redis"`},
		{args: []string{"--log-level", "debug", "once", "--wait", "1s"},
			want: `"logger":"redis","msg":"connection pool: failed to dial after`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if tt.stop > 0 {
				time.AfterFunc(tt.stop, func() { _ = cmd.Process.Signal(syscall.SIGTERM) })
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("did not exit\n%s", stderr.String())
			}
			if raw := rawRedisLine.FindAllString(stderr.String(), -1); len(raw) > 0 {
				t.Errorf("%d raw go-redis lines on stderr:\n%s", len(raw), stderr.String())
			}
			if !strings.Contains(stdout.String()+stderr.String(), tt.want) {
				t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", tt.want, stdout.String(), stderr.String())
			}
		})
	}
}

package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProbeAddr(t *testing.T) {
	tests := []struct{ listen, want, err string }{
		{listen: ":8080", want: "127.0.0.1:8080"},
		{listen: "0.0.0.0:8080", want: "127.0.0.1:8080"},
		{listen: "[::]:9000", want: "127.0.0.1:9000"},
		{listen: "127.0.0.1:8080", want: "127.0.0.1:8080"},
		{listen: "10.1.2.3:80", want: "10.1.2.3:80"},
		{listen: "sync.internal:8080", want: "sync.internal:8080"},
		{listen: "8080", err: `http.listen "8080"`},
	}
	for _, tt := range tests {
		got, err := probeAddr(tt.listen)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("probeAddr(%q) = %q, %v; want %q, %q", tt.listen, got, err, tt.want, tt.err)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name   string
		env    []string
		args   []string
		code   int
		stderr string
	}{
		{name: "http.listen from the environment", env: []string{"HELPDESK_SYNC_HTTP_LISTEN=:" + port}, code: exitOK},
		{name: "url", args: []string{"--url", srv.URL + "/healthz"}, code: exitOK},
		{name: "not ok", args: []string{"--url", srv.URL + "/readyz"}, code: exitFailure, stderr: "503 Service Unavailable"},
		{name: "nothing listening", args: []string{"--url", closed.URL + "/healthz"}, code: exitFailure, stderr: "connection refused"},
		{name: "bad http.listen", env: []string{"HELPDESK_SYNC_HTTP_LISTEN=8080"}, code: exitConfig, stderr: `http.listen "8080"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.env, append([]string{"healthcheck"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, want %d; stderr %q lacks %q", code, tt.code, stderr, tt.stderr)
			}
		})
	}
}

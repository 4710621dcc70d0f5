package jiratest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest/contract"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// start runs a simulator whose every request and response is checked
// against Atlassian's OpenAPI document.
func start(t *testing.T, opts ...jiratest.Option) (*jiratest.Server, *clocktest.Manual) {
	t.Helper()
	return startUnchecked(t, append([]jiratest.Option{jiratest.WithMiddleware(contract.Check(t))}, opts...)...)
}

// startUnchecked runs a simulator without the contract check, for tests
// that send requests the document itself forbids, to see Jira's refusal.
func startUnchecked(t *testing.T, opts ...jiratest.Option) (*jiratest.Server, *clocktest.Manual) {
	t.Helper()
	clk := clocktest.NewManual(t0)
	srv := jiratest.NewServer(append([]jiratest.Option{jiratest.WithClock(clk.Now)}, opts...)...)
	t.Cleanup(srv.Close)
	srv.AddProject("PROJ", "Project")
	srv.AddProject("OPS", "Operations")
	return srv, clk
}

// call sends one request as the service account and returns status, body
// and headers.
func call(t *testing.T, srv *jiratest.Server, method, path, body string) (int, []byte, http.Header) {
	t.Helper()
	var rb io.Reader
	if body != "" {
		rb = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rb)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if srv.Deployment() == jiratest.DataCenter {
		req.Header.Set("Authorization", "Bearer "+jiratest.ServicePAT)
	} else {
		req.SetBasicAuth(jiratest.ServiceEmail, jiratest.ServiceToken)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func goJira(t *testing.T, srv *jiratest.Server) *gojira.Client {
	t.Helper()
	tr := &gojira.BasicAuthTransport{Username: jiratest.ServiceEmail, Password: jiratest.ServiceToken, Transport: srv.Client().Transport}
	c, err := gojira.NewClient(tr.Client(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mock reads one of go-jira's recorded responses.
func mock(t *testing.T, name string) []map[string]any {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "github.com/andygrunwald/go-jira@v1.17.0/mocks", name))
	if err != nil {
		t.Fatal(err)
	}
	return decode[[]map[string]any](t, b)
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func startReceiver(t *testing.T, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

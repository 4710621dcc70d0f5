package ops_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/helpdesk-sync/helpdesk-sync/sync/ops"
)

func ok(detail string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return detail, nil }
}

func failing(msg string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return "", errors.New(msg) }
}

func get(t *testing.T, h http.Handler, path string) (int, string, http.Header) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String(), rec.Header()
}

func TestReadiness(t *testing.T) {
	slow := func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	}
	tests := []struct {
		name   string
		checks []ops.Check
		code   int
		status string
		errors map[string]string // check name → error text it must contain
	}{
		{name: "all pass", checks: []ops.Check{{Name: "redis", Run: ok("PONG")}, {Name: "sync", Run: ok("leader")}},
			code: 200, status: "ready"},
		{name: "one fails", checks: []ops.Check{{Name: "redis", Run: failing("dial tcp 127.0.0.1:6379: connection refused")}, {Name: "sync", Run: ok("")}},
			code: 503, status: "not ready", errors: map[string]string{"redis": "connection refused"}},
		{name: "advisory failure stays ready", checks: []ops.Check{{Name: "redis", Run: ok("")}, {Name: "guard", Run: failing("holding 3000 ticket writes"), Advisory: true}},
			code: 200, status: "ready", errors: map[string]string{"guard": "holding 3000 ticket writes"}},
		{name: "a hanging check times out", checks: []ops.Check{{Name: "redis", Run: slow}},
			code: 503, status: "not ready", errors: map[string]string{"redis": ""}}, // its own deadline, or the answer's
		{name: "no checks", code: 200, status: "ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ops.New(ops.Options{Addr: "127.0.0.1:0", Checks: tt.checks, CheckTimeout: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			code, body, hdr := get(t, s.Handler(), "/readyz")
			if code != tt.code || hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("code %d (%s), want %d: %s", code, hdr.Get("Content-Type"), tt.code, body)
			}
			var r ops.Readiness
			if err := json.Unmarshal([]byte(body), &r); err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.status || len(r.Checks) != len(tt.checks) {
				t.Fatalf("readiness %+v, want status %q and %d checks", r, tt.status, len(tt.checks))
			}
			for i, c := range r.Checks {
				if c.Name != tt.checks[i].Name || c.Advisory != tt.checks[i].Advisory {
					t.Errorf("check %d is %+v, want %s in order", i, c, tt.checks[i].Name)
				}
				want, bad := tt.errors[c.Name]
				if c.OK == bad || !strings.Contains(c.Error, want) {
					t.Errorf("check %+v, want ok=%v error containing %q", c, !bad, want)
				}
			}
		})
	}
}

func TestDrainTurnsReadinessOffButKeepsServing(t *testing.T) {
	s, err := ops.New(ops.Options{Addr: "127.0.0.1:0", Checks: []ops.Check{{Name: "redis", Run: ok("")}},
		Routes: []ops.Route{{Pattern: "POST /webhooks/zendesk", Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusAccepted)
		})}}})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := get(t, s.Handler(), "/readyz"); code != 200 {
		t.Fatalf("readyz %d before draining", code)
	}
	s.Drain()
	code, body, _ := get(t, s.Handler(), "/readyz")
	if code != 503 || !strings.Contains(body, `"status": "shutting down"`) {
		t.Fatalf("readyz while draining: %d %s", code, body)
	}
	if code, _, _ := get(t, s.Handler(), "/healthz"); code != 200 {
		t.Fatalf("healthz while draining: %d", code)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/zendesk", nil))
	if rec.Code != http.StatusAccepted {
		t.Fatalf("mounted route while draining: %d", rec.Code)
	}
}

func TestRoutes(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "helpdesk_sync_test_total", Help: "A test counter."})
	reg.MustRegister(c)
	c.Inc()
	board := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "board "+r.URL.Path) })
	tests := []struct {
		name  string
		opts  ops.Options
		path  string
		code  int
		body  string
		ctype string
	}{
		{name: "healthz", path: "/healthz", code: 200, body: `"status": "alive"`, ctype: "application/json"},
		{name: "metrics", opts: ops.Options{Gatherer: reg}, path: "/metrics", code: 200, body: "helpdesk_sync_test_total 1", ctype: "text/plain"},
		{name: "no gatherer, no metrics", path: "/metrics", code: 404},
		{name: "pprof off", path: "/debug/pprof/", code: 404},
		{name: "pprof on", opts: ops.Options{Pprof: true}, path: "/debug/pprof/", code: 200, body: "goroutine"},
		{name: "pprof cmdline", opts: ops.Options{Pprof: true}, path: "/debug/pprof/cmdline", code: 200},
		{name: "mounted subtree", opts: ops.Options{Routes: []ops.Route{{Pattern: "/board/", Handler: board}}}, path: "/board/bugs", code: 200, body: "board /board/bugs"},
		{name: "unknown path", path: "/nope", code: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Addr = "127.0.0.1:0"
			s, err := ops.New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			code, body, hdr := get(t, s.Handler(), tt.path)
			if code != tt.code || !strings.Contains(body, tt.body) || !strings.HasPrefix(hdr.Get("Content-Type"), tt.ctype) {
				t.Fatalf("GET %s: %d %q %s", tt.path, code, hdr.Get("Content-Type"), body)
			}
		})
	}
	rec := httptest.NewRecorder()
	s, _ := ops.New(ops.Options{Addr: ":0"})
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/healthz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %d", rec.Code)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	h := http.NotFoundHandler()
	tests := []struct {
		name string
		opts ops.Options
		want string
	}{
		{"no address", ops.Options{}, "no listen address"},
		{"route over a built-in", ops.Options{Addr: ":0", Routes: []ops.Route{{Pattern: "GET /healthz", Handler: h}}}, `route "GET /healthz"`},
		{"two routes on one pattern", ops.Options{Addr: ":0", Routes: []ops.Route{{Pattern: "/board/", Handler: h}, {Pattern: "/board/", Handler: h}}}, `route "/board/"`},
		{"bad pattern", ops.Options{Addr: ":0", Routes: []ops.Route{{Pattern: "FETCH", Handler: h}}}, `route "FETCH"`},
		{"no handler", ops.Options{Addr: ":0", Routes: []ops.Route{{Pattern: "/x"}}}, `route "/x" has no handler`},
		{"unnamed check", ops.Options{Addr: ":0", Checks: []ops.Check{{Run: ok("")}}}, "check 0 needs a name"},
		{"two checks of one name", ops.Options{Addr: ":0", Checks: []ops.Check{{Name: "redis", Run: ok("")}, {Name: "redis", Run: ok("")}}}, `two checks are named "redis"`},
		{"route over a built-in of the admin listener", ops.Options{Addr: ":0", AdminAddr: ":0", Routes: []ops.Route{{Pattern: "GET /readyz", Handler: h}}}, `route "GET /readyz"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ops.New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestStartServeShutdown(t *testing.T) {
	s, err := ops.New(ops.Options{Addr: "127.0.0.1:0", Checks: []ops.Check{{Name: "redis", Run: ok("")}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	url := "http://" + s.Addr().String()
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("readyz over TCP: %d", resp.StatusCode)
	}
	// The port is taken now: a second server on it fails at Start, naming the key.
	other, _ := ops.New(ops.Options{Addr: s.Addr().String()})
	if err := other.Start(); err == nil || !strings.Contains(err.Error(), "http.listen") {
		t.Fatalf("second listener on %s: %v", s.Addr(), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Fatal("still serving after Shutdown")
	}
}

// With an admin address, the operators' routes leave the public listener:
// it keeps the mounted routes, /healthz and /readyz's status, and the admin
// listener serves /readyz with each check, /metrics and pprof.
func TestAdminListener(t *testing.T) {
	reg := prometheus.NewRegistry()
	webhook := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) })
	s, err := ops.New(ops.Options{Addr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", Gatherer: reg, Pprof: true,
		Checks: []ops.Check{{Name: "redis", Run: ok("PONG")}},
		Routes: []ops.Route{{Pattern: "POST /webhooks/zendesk", Handler: webhook}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	if s.AdminAddr() == nil || s.AdminAddr().String() == s.Addr().String() {
		t.Fatalf("admin listener at %v, public at %v", s.AdminAddr(), s.Addr())
	}
	fetch := func(method, url string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	public, admin := "http://"+s.Addr().String(), "http://"+s.AdminAddr().String()
	tests := []struct {
		method, url string
		code        int
		has, hasNot string
	}{
		{"GET", public + "/healthz", 200, `"alive"`, ""},
		{"GET", public + "/readyz", 200, `"status": "ready"`, "redis"},
		{"GET", public + "/metrics", 404, "", ""},
		{"GET", public + "/debug/pprof/", 404, "", ""},
		{"POST", public + "/webhooks/zendesk", 202, "", ""},
		{"GET", admin + "/healthz", 200, `"alive"`, ""},
		{"GET", admin + "/readyz", 200, `"detail": "PONG"`, ""},
		{"GET", admin + "/metrics", 200, "", ""},
		{"GET", admin + "/debug/pprof/", 200, "goroutine", ""},
		{"POST", admin + "/webhooks/zendesk", 404, "", ""},
	}
	for _, tt := range tests {
		code, body := fetch(tt.method, tt.url)
		if code != tt.code || !strings.Contains(body, tt.has) || (tt.hasNot != "" && strings.Contains(body, tt.hasNot)) {
			t.Errorf("%s %s: %d %s", tt.method, tt.url, code, body)
		}
	}
	s.Drain()
	for _, url := range []string{public, admin} {
		if code, body := fetch("GET", url+"/readyz"); code != 503 || !strings.Contains(body, "shutting down") {
			t.Errorf("%s/readyz while draining: %d %s", url, code, body)
		}
	}
	// A taken admin port fails Start, naming its key, and leaves nothing listening.
	other, err := ops.New(ops.Options{Addr: "127.0.0.1:0", AdminAddr: s.AdminAddr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Start(); err == nil || !strings.Contains(err.Error(), "http.admin_listen") {
		t.Fatalf("admin listener on a taken port: %v", err)
	}
	if _, err := http.Get("http://" + other.Addr().String() + "/healthz"); err == nil {
		t.Error("the public listener still serves after the admin one failed to start")
	}
}

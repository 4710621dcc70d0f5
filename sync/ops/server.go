// Package ops is the service's HTTP listener for the people and machines
// that operate it: /healthz (the process is alive), /readyz (it can do its
// work, and if not, which check fails, as JSON), /metrics (Prometheus),
// optionally /debug/pprof, and the routes other parts of the service mount
// (webhooks, the impact board) with one Route each.
package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// Route is a handler mounted on the listener.
type Route struct {
	// Pattern is an http.ServeMux pattern, e.g. "POST /webhooks/zendesk"
	// or "/board/".
	Pattern string
	Handler http.Handler
}

// Check is one readiness condition.
type Check struct {
	Name string
	// Run returns a short description of what it found, and an error
	// saying what is wrong when the condition fails. It must honour ctx.
	Run func(ctx context.Context) (detail string, err error)
	// Advisory checks are shown but never make the service unready.
	Advisory bool
}

// Options configure a Server.
type Options struct {
	// Addr is the address to listen on, host:port or :port.
	Addr string
	// Gatherer is served on /metrics; nil serves no /metrics.
	Gatherer prometheus.Gatherer
	Checks   []Check
	// Pprof serves net/http/pprof under /debug/pprof/.
	Pprof  bool
	Routes []Route
	Logger *zap.Logger // nil logs nothing
	// CheckTimeout bounds each readiness check; default 2s.
	CheckTimeout time.Duration
}

// Server is the listener. Start it, Drain it when shutdown begins (so that
// load balancers stop sending work), then Shut it down.
type Server struct {
	opts     Options
	log      *zap.Logger
	srv      *http.Server
	draining atomic.Bool

	mu       stdsync.Mutex
	ln       net.Listener
	served   chan struct{}
	serveErr error
}

// New checks the options and builds the server's routes; it does not
// listen yet.
func New(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.CheckTimeout <= 0 {
		o.CheckTimeout = 2 * time.Second
	}
	if o.Addr == "" {
		return nil, errors.New("ops: no listen address")
	}
	s := &Server{opts: o, log: o.Logger.Named("http")}
	mux := http.NewServeMux()
	routes := []Route{
		{"GET /healthz", http.HandlerFunc(s.healthz)},
		{"GET /readyz", http.HandlerFunc(s.readyz)},
	}
	if o.Gatherer != nil {
		routes = append(routes, Route{"GET /metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{
			ErrorLog:      zap.NewStdLog(s.log),
			ErrorHandling: promhttp.ContinueOnError,
		})})
	}
	if o.Pprof {
		routes = append(routes,
			Route{"GET /debug/pprof/", http.HandlerFunc(pprof.Index)},
			Route{"GET /debug/pprof/cmdline", http.HandlerFunc(pprof.Cmdline)},
			Route{"GET /debug/pprof/profile", http.HandlerFunc(pprof.Profile)},
			Route{"GET /debug/pprof/symbol", http.HandlerFunc(pprof.Symbol)},
			Route{"GET /debug/pprof/trace", http.HandlerFunc(pprof.Trace)},
		)
	}
	for _, r := range append(routes, o.Routes...) {
		if err := handle(mux, r); err != nil {
			return nil, err
		}
	}
	for i, c := range o.Checks {
		if c.Name == "" || c.Run == nil {
			return nil, fmt.Errorf("ops: check %d needs a name and a Run function", i)
		}
	}
	s.srv = &http.Server{
		Addr:              o.Addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// pprof's profile and trace refuse a duration longer than this.
		WriteTimeout: 60 * time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     zap.NewStdLog(s.log),
	}
	return s, nil
}

// handle mounts r, turning the mux's panic on a bad or conflicting pattern
// into an error naming it.
func handle(mux *http.ServeMux, r Route) (err error) {
	if r.Handler == nil {
		return fmt.Errorf("ops: route %q has no handler", r.Pattern)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("ops: route %q: %v", r.Pattern, p)
		}
	}()
	mux.Handle(r.Pattern, r.Handler)
	return nil
}

// Handler is the server's handler, for tests and for serving it elsewhere.
func (s *Server) Handler() http.Handler { return s.srv.Handler }

// Start listens on the configured address and serves in the background. A
// listen error (the port is taken) is returned at once.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("ops: listen on %s (http.listen): %w", s.opts.Addr, err)
	}
	s.mu.Lock()
	s.ln, s.served = ln, make(chan struct{})
	s.mu.Unlock()
	s.log.Info("listening", zap.String("addr", ln.Addr().String()), zap.Bool("pprof", s.opts.Pprof),
		zap.Int("routes", len(s.opts.Routes)))
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.mu.Lock()
			s.serveErr = err
			s.mu.Unlock()
			s.log.Error("listener failed", zap.Error(err))
		}
	}()
	return nil
}

// Addr is the address the server listens on, once started.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Drain makes /readyz answer 503 from now on, so that load balancers stop
// routing to this replica while it finishes its work; everything else is
// still served.
func (s *Server) Drain() {
	if !s.draining.Swap(true) {
		s.log.Info("draining: /readyz now answers 503")
	}
}

// Shutdown stops listening and waits, until ctx ends, for requests in
// flight. It returns the error that stopped serving early, if any.
func (s *Server) Shutdown(ctx context.Context) error {
	s.Drain()
	err := s.srv.Shutdown(ctx)
	s.mu.Lock()
	served := s.served
	s.mu.Unlock()
	if served != nil {
		<-served
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.serveErr, err)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
}

// Readiness is the body of /readyz.
type Readiness struct {
	Status string        `json:"status"` // "ready", "not ready" or "shutting down"
	Checks []CheckResult `json:"checks"`
}

// CheckResult is one check's outcome.
type CheckResult struct {
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
	Advisory bool   `json:"advisory,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Ready runs every check, concurrently and each within CheckTimeout.
func (s *Server) Ready(ctx context.Context) Readiness {
	results := make([]CheckResult, len(s.opts.Checks))
	var wg stdsync.WaitGroup
	for i, c := range s.opts.Checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, s.opts.CheckTimeout)
			defer cancel()
			detail, err := c.Run(cctx)
			results[i] = CheckResult{Name: c.Name, OK: err == nil, Advisory: c.Advisory, Detail: detail}
			if err != nil {
				results[i].Error = err.Error()
			}
		})
	}
	wg.Wait()
	r := Readiness{Status: "ready", Checks: results}
	for _, c := range results {
		if !c.OK && !c.Advisory {
			r.Status = "not ready"
		}
	}
	if s.draining.Load() {
		r.Status = "shutting down"
	}
	return r
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	rd := s.Ready(r.Context())
	code := http.StatusOK
	if rd.Status != "ready" {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, rd)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

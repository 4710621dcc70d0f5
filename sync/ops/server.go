// Package ops is the service's HTTP listener for the people and machines
// that operate it: /healthz (the process is alive), /readyz (it can do its
// work, and if not, which check fails, as JSON), /metrics (Prometheus),
// optionally /debug/pprof, and the routes other parts of the service mount
// (webhooks, the impact board) with one Route each. With an admin address,
// the operators' routes move to a listener of their own, and the public
// one keeps the routes, /healthz and /readyz's status.
package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"
)

// Route is a handler mounted on the listener.
type Route struct {
	// Pattern is an http.ServeMux pattern, e.g. "POST /webhooks/zendesk"
	// or "/board/".
	Pattern string
	Handler http.Handler
}

// Options configure a Server.
type Options struct {
	// Addr is the address to listen on, host:port or :port.
	Addr string
	// AdminAddr, when set, is a second listener for operators: /metrics,
	// /debug/pprof and /readyz with each check's result. Addr then serves
	// the Routes, /healthz, and /readyz with its status alone. Empty serves
	// everything on Addr.
	AdminAddr string
	// Gatherer is served on /metrics; nil serves no /metrics.
	Gatherer prometheus.Gatherer
	// Checks have unique names.
	Checks []Check
	// Pprof serves net/http/pprof under /debug/pprof/.
	Pprof  bool
	Routes []Route
	Logger *zap.Logger // nil logs nothing
	// CheckTimeout bounds each readiness check, and how long /readyz takes
	// to answer; default 1s.
	CheckTimeout time.Duration
}

// Server is the listener, or the public and admin listeners. Start it,
// Drain it when shutdown begins (so that load balancers stop sending
// work), then Shut it down.
type Server struct {
	opts     Options
	log      *zap.Logger
	draining atomic.Bool
	flight   singleflight.Group // readiness checks under way, by name

	public *listener
	admin  *listener // nil without AdminAddr
}

// listener is one address served.
type listener struct {
	key string // the configuration key of its address, for errors
	srv *http.Server

	mu       sync.Mutex
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
		o.CheckTimeout = time.Second
	}
	if o.Addr == "" {
		return nil, errors.New("ops: no listen address")
	}
	names := map[string]bool{}
	for i, c := range o.Checks {
		if c.Name == "" || c.Run == nil {
			return nil, fmt.Errorf("ops: check %d needs a name and a Run function", i)
		}
		if names[c.Name] {
			return nil, fmt.Errorf("ops: two checks are named %q", c.Name)
		}
		names[c.Name] = true
	}
	s := &Server{opts: o, log: o.Logger.Named("http")}
	operator := s.operatorRoutes()
	public := append([]Route{{"GET /healthz", http.HandlerFunc(s.healthz)}}, o.Routes...)
	if o.AdminAddr == "" {
		public = append(public, operator...)
	} else {
		public = append(public, Route{"GET /readyz", http.HandlerFunc(s.readyzStatus)})
		admin, err := s.listener("http.admin_listen", o.AdminAddr,
			append([]Route{{"GET /healthz", http.HandlerFunc(s.healthz)}}, operator...))
		if err != nil {
			return nil, err
		}
		s.admin = admin
	}
	var err error
	if s.public, err = s.listener("http.listen", o.Addr, public); err != nil {
		return nil, err
	}
	return s, nil
}

// operatorRoutes are /readyz with its details, /metrics and pprof.
func (s *Server) operatorRoutes() []Route {
	routes := []Route{{"GET /readyz", http.HandlerFunc(s.readyz)}}
	if s.opts.Gatherer != nil {
		routes = append(routes, Route{"GET /metrics", promhttp.HandlerFor(s.opts.Gatherer, promhttp.HandlerOpts{
			ErrorLog:      zap.NewStdLog(s.log),
			ErrorHandling: promhttp.ContinueOnError,
		})})
	}
	if s.opts.Pprof {
		routes = append(routes,
			Route{"GET /debug/pprof/", http.HandlerFunc(pprof.Index)},
			Route{"GET /debug/pprof/cmdline", http.HandlerFunc(pprof.Cmdline)},
			Route{"GET /debug/pprof/profile", http.HandlerFunc(pprof.Profile)},
			Route{"GET /debug/pprof/symbol", http.HandlerFunc(pprof.Symbol)},
			Route{"GET /debug/pprof/trace", http.HandlerFunc(pprof.Trace)},
		)
	}
	return routes
}

// listener builds the server of one address with its routes.
func (s *Server) listener(key, addr string, routes []Route) (*listener, error) {
	mux := http.NewServeMux()
	for _, r := range routes {
		if err := handle(mux, r); err != nil {
			return nil, err
		}
	}
	return &listener{key: key, srv: &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// pprof's profile and trace refuse a duration longer than this.
		WriteTimeout: 60 * time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     zap.NewStdLog(s.log),
	}}, nil
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

// Handler is the public listener's handler, for tests and for serving it
// elsewhere.
func (s *Server) Handler() http.Handler { return s.public.srv.Handler }

// AdminHandler is the admin listener's handler; the public one's without
// an admin address.
func (s *Server) AdminHandler() http.Handler {
	if s.admin == nil {
		return s.Handler()
	}
	return s.admin.srv.Handler
}

// Start listens on the configured addresses and serves in the background.
// A listen error (the port is taken) is returned at once.
func (s *Server) Start() error {
	if err := s.public.start(s.log); err != nil {
		return err
	}
	fields := []zap.Field{zap.String("addr", s.Addr().String())}
	if s.admin != nil {
		if err := s.admin.start(s.log); err != nil {
			_ = s.public.srv.Close()
			return err
		}
		fields = append(fields, zap.String("admin_addr", s.AdminAddr().String()))
	}
	s.log.Info("listening", append(fields, zap.Bool("pprof", s.opts.Pprof), zap.Int("routes", len(s.opts.Routes)))...)
	return nil
}

func (l *listener) start(log *zap.Logger) error {
	ln, err := net.Listen("tcp", l.srv.Addr)
	if err != nil {
		return fmt.Errorf("ops: listen on %s (%s): %w", l.srv.Addr, l.key, err)
	}
	l.mu.Lock()
	l.ln, l.served = ln, make(chan struct{})
	l.mu.Unlock()
	go func() {
		defer close(l.served)
		if err := l.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			l.mu.Lock()
			l.serveErr = err
			l.mu.Unlock()
			log.Error("listener failed", zap.String("key", l.key), zap.Error(err))
		}
	}()
	return nil
}

func (l *listener) addr() net.Addr {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln == nil {
		return nil
	}
	return l.ln.Addr()
}

// Addr is the address the public listener listens on, once started.
func (s *Server) Addr() net.Addr { return s.public.addr() }

// AdminAddr is the address the admin listener listens on, once started;
// nil without one.
func (s *Server) AdminAddr() net.Addr { return s.admin.addr() }

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
	errs := make(chan error, 2)
	for _, l := range []*listener{s.public, s.admin} {
		if l == nil {
			errs <- nil
			continue
		}
		go func() { errs <- l.shutdown(ctx) }()
	}
	return errors.Join(<-errs, <-errs)
}

func (l *listener) shutdown(ctx context.Context) error {
	err := l.srv.Shutdown(ctx)
	l.mu.Lock()
	served := l.served
	l.mu.Unlock()
	if served != nil {
		<-served
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return errors.Join(l.serveErr, err)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

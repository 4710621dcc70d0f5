// Package zendesktest is an in-process simulator of the Zendesk Support API,
// in the style of net/http/httptest: the endpoints helpdesk-sync uses, with
// Zendesk's paths (with and without ".json"), parameters, JSON shapes, status
// codes, error bodies, rate-limit headers and paging. Tests seed and mutate it
// from Go, read back its state and request log, and switch faults on at run
// time (rate limits, latency, 5xx bursts, hangs, malformed bodies).
//
// Ground truth for the shapes is go-zendesk's fixture directory and
// shared/api/notes.md §1–§7; fidelity_test.go checks both.
package zendesktest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Default credentials: an admin user that NewServer seeds so that a client
// works without any option.
const (
	DefaultEmail = "sync@example.com"
	DefaultToken = "zendesktest-token"
	// DefaultUserID is the id of the seeded admin user the default
	// credentials authenticate as.
	DefaultUserID int64 = 1000
)

// Server is a simulated Zendesk account. It is an http.Handler; NewServer
// also serves it on a local listener at URL.
type Server struct {
	// URL is the base URL of the listener started by NewServer ("" for a
	// handler from NewHandler); API paths start with URL + "/api/v2".
	URL string

	ts  *httptest.Server
	mux *http.ServeMux

	mu        sync.Mutex
	created   time.Time // of the account: timestamps of field definitions
	clock     func() time.Time
	fixedNow  *time.Time
	lag       time.Duration
	jobDelay  time.Duration
	creds     map[string]int64 // "basic email/token:TOKEN" or "bearer TOKEN" -> user id
	nextID    int64            // comments, audits, events
	nextTick  int64
	seq       uint64
	lastGen   int64
	tickets   map[int64]*ticketRec
	changes   []change // append-only export log, ordered by seq
	users     map[int64]*User
	orgs      map[int64]*Organization
	tfields   []*TicketField
	ofields   []*OrganizationField
	jobs      map[string]*job
	jobOrder  []string
	jobFaults []string // statuses forced on the next jobs: "failed" or "killed"
	faults    []*Fault
	latency   time.Duration
	limits    *limiter

	// logMu guards the request log apart from mu: a request is logged as
	// its response starts, which some handlers write holding mu.
	logMu    sync.Mutex
	requests []Request

	hooks   *webhooks
	app     *appInstall // WithApp; fixed once NewHandler returns
	closing chan struct{}
	workers sync.WaitGroup
	once    sync.Once
}

// Option configures a Server.
type Option func(*Server)

// WithClock makes the simulator read time from now (the export lag, timestamps,
// webhook signature timestamps). Rate-limit windows always use the wall
// clock, so that a frozen clock cannot stall a client.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.clock = now } }

// WithExportLag sets how recent a change must be to be held back from the
// incremental export; Zendesk's is one minute ([ZD-INCG]: "any items that
// were created or changed within the minute prior to your request are
// excluded"). Default 60s; tests usually set 0.
func WithExportLag(d time.Duration) Option { return func(s *Server) { s.lag = d } }

// WithJobDelay delays the start of every background job (update_many), so a
// client sees "queued" for a while as it would on a busy account.
func WithJobDelay(d time.Duration) Option { return func(s *Server) { s.jobDelay = d } }

// WithAPIToken accepts Basic "email/token:token" for the user with email,
// creating an admin user when there is none.
func WithAPIToken(email, token string) Option {
	return func(s *Server) { s.addAPIToken(email, token) }
}

// WithOAuthToken accepts "Authorization: Bearer token" for the default admin.
func WithOAuthToken(token string) Option {
	return func(s *Server) { s.creds["bearer "+token] = DefaultUserID }
}

// WithRateLimits enforces limits from the start (see SetRateLimits).
func WithRateLimits(l RateLimits) Option { return func(s *Server) { s.limits.set(l) } }

// WithWebhook sends signed webhooks on every ticket change (see SetWebhook).
func WithWebhook(h Webhook) Option { return func(s *Server) { s.hooks.set(h) } }

// NewServer starts a simulator on a local listener. Close it when done.
func NewServer(opts ...Option) *Server {
	s := NewHandler(opts...)
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	return s
}

// NewHandler returns a simulator to serve on a listener of the caller's
// choosing. Close stops its background work.
func NewHandler(opts ...Option) *Server {
	s := &Server{
		clock:    time.Now,
		lag:      time.Minute,
		creds:    map[string]int64{},
		nextID:   10_000_000,
		nextTick: 1,
		tickets:  map[int64]*ticketRec{},
		users:    map[int64]*User{},
		orgs:     map[int64]*Organization{},
		jobs:     map[string]*job{},
		limits:   newLimiter(),
		closing:  make(chan struct{}),
	}
	s.hooks = newWebhooks(s)
	now := s.clock().UTC().Truncate(time.Second)
	s.created = now
	s.users[DefaultUserID] = &User{ID: DefaultUserID, Name: "Helpdesk Sync", Email: DefaultEmail,
		Role: "admin", CreatedAt: now, UpdatedAt: now}
	s.creds[basicKey(DefaultEmail, DefaultToken)] = DefaultUserID
	for _, o := range opts {
		o(s)
	}
	s.mux = s.routes()
	s.workers.Add(1)
	go s.hooks.run()
	return s
}

// Close shuts the listener (if any) down, releases hanging responses and
// stops background jobs and webhook deliveries.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		if s.ts != nil {
			s.ts.CloseClientConnections()
			s.ts.Close()
		}
		s.workers.Wait()
	})
}

// SetNow freezes the simulator's clock at t; Advance moves it.
func (s *Server) SetNow(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t = t.UTC()
	s.fixedNow = &t
}

// Advance moves a clock frozen by SetNow forward by d.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fixedNow == nil {
		t := s.clock().UTC()
		s.fixedNow = &t
	}
	t := s.fixedNow.Add(d)
	s.fixedNow = &t
}

// SetExportLag changes the export lag at run time.
func (s *Server) SetExportLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lag = d
}

// Now is the simulator's current time.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// now must be called with s.mu held.
func (s *Server) now() time.Time {
	if s.fixedNow != nil {
		return *s.fixedNow
	}
	return s.clock().UTC()
}

// AddAPIToken accepts Basic "email/token:token" for the user with email,
// creating an admin user when there is none.
func (s *Server) AddAPIToken(email, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addAPIToken(email, token)
}

func (s *Server) addAPIToken(email, token string) {
	for _, u := range s.users {
		if strings.EqualFold(u.Email, email) {
			s.creds[basicKey(email, token)] = u.ID
			return
		}
	}
	id := s.newUserIDLocked()
	now := s.now().Truncate(time.Second)
	s.users[id] = &User{ID: id, Name: email, Email: email, Role: "admin", CreatedAt: now, UpdatedAt: now}
	s.creds[basicKey(email, token)] = id
}

func basicKey(email, token string) string {
	return "basic " + strings.ToLower(email) + "/token:" + token
}

// ServeHTTP runs a request through the simulated account: request log,
// latency, injected faults, authentication, rate limits, then the endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	route := routeOf(pattern)
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK, log: func(status int) {
		s.logRequest(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Route: route, Status: status, At: start, Duration: time.Since(start)})
	}}
	// A request that got no response (the client gave up, the server
	// closed) is logged when the handler returns.
	defer rec.logOnce()

	if d := s.currentLatency(); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			rec.status = 499 // client closed request, as nginx logs it
			return
		case <-s.closing:
			return
		}
	}
	if f := s.takeFault(r.Method, r.URL.Path, route); f != nil {
		if s.serveFault(rec, r, f) {
			return
		}
		// A body fault: serve the real response, then spoil it.
		buf := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
		s.serveAPI(buf, r, route)
		buf.spoil(rec, f)
		return
	}
	s.serveAPI(rec, r, route)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, route string) {
	user, ok := s.authenticate(r)
	if !ok && !anonymousRoute(route) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Couldn't authenticate you"})
		return
	}
	if !s.limits.admit(w, r.Method, route) {
		return
	}
	s.mux.ServeHTTP(w, r.WithContext(withUser(r.Context(), user)))
}

// authenticate accepts the credentials registered with the server, as
// Zendesk accepts Basic "email/token:TOKEN" and Bearer OAuth tokens.
func (s *Server) authenticate(r *http.Request) (int64, bool) {
	h := r.Header.Get("Authorization")
	var key string
	switch {
	case strings.HasPrefix(h, "Bearer "):
		key = "bearer " + strings.TrimPrefix(h, "Bearer ")
	default:
		user, pass, ok := r.BasicAuth()
		if !ok {
			return 0, false
		}
		email, isToken := strings.CutSuffix(strings.ToLower(user), "/token")
		if !isToken {
			return 0, false // password authentication is not simulated
		}
		key = basicKey(email, pass)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.creds[key]
	return id, ok
}

type userKey struct{}

func withUser(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, userKey{}, id)
}

func userFrom(ctx context.Context) int64 {
	id, _ := ctx.Value(userKey{}).(int64)
	return id
}

// statusRecorder logs the request as its response starts, before a byte
// of it is written: a client that has read the response, or part of it,
// finds the request in the log. Logged after the handler instead, it could
// be missing from a count read right after the call.
type statusRecorder struct {
	http.ResponseWriter
	status int
	log    func(status int)
	logged bool
}

func (r *statusRecorder) logOnce() {
	if !r.logged {
		r.logged = true
		r.log(r.status)
	}
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.logged {
		r.status = code
		r.logOnce()
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.logOnce()
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// baseURL is the scheme and host the client used, so that URLs in responses
// (ticket url, after_url, job url) point back at this server whatever
// listener it runs on.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

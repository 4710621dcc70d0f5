// Package jiratest is an in-process simulator of the Jira REST API, in the
// style of net/http/httptest: the adapter and the engine's end-to-end tests
// talk HTTP to it exactly as they would to Jira Cloud (or, by option, Jira
// Data Center), and tests seed, mutate and inspect it from Go.
//
// Behaviour follows Atlassian's OpenAPI document, the go-jira mocks and the
// observed responses collected in shared/api/notes.md: paths, query
// parameters, JSON names, status codes, error bodies
// ({"errorMessages":[…],"errors":{…}}), paging and headers.
package jiratest

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"
)

// Deployment selects which flavour of Jira the simulator answers as.
type Deployment int

const (
	// Cloud is Jira Cloud: basic auth with email and API token, enhanced
	// search (/search/jql) only, accountId users.
	Cloud Deployment = iota
	// DataCenter is Jira Data Center: bearer personal access tokens,
	// /rest/api/2/search with startAt/total, users with name and key.
	DataCenter
)

// Built-in identities. The service account is the one the adapter logs in
// as; the engineer is who the Go mutation helpers act as by default.
const (
	ServiceEmail   = "helpdesk-sync@example.com"
	ServiceToken   = "service-api-token"
	ServicePAT     = "service-personal-access-token"
	ServiceAccount = "5b10a2844c20165700ede21a"
	Engineer       = "5b10a2844c20165700ede21b"
	// CustomerCountField is the id of the number custom field every site
	// starts with (see WithNumberField for more).
	CustomerCountField = "customfield_10042"
)

// Option configures a simulated site.
type Option func(*config)

type config struct {
	deployment Deployment
	baseURL    string
	clock      func() time.Time
	middleware []func(http.Handler) http.Handler
	fields     []Field
	users      []User
	timeZone   string
	webhook    *Webhook
	projects   [][2]string
}

// WithDeployment answers as Jira Cloud (default) or Jira Data Center.
func WithDeployment(d Deployment) Option { return func(c *config) { c.deployment = d } }

// WithBaseURL fixes the base URL used in "self" links; by default it is
// taken from each request's Host (NewServer sets it to the server URL).
func WithBaseURL(u string) Option { return func(c *config) { c.baseURL = u } }

// WithClock replaces time.Now for created/updated stamps, rate-limit windows
// and webhook timestamps.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithMiddleware wraps the simulator's handler, outermost last; used to put
// the OpenAPI contract check in front of it.
func WithMiddleware(mw func(http.Handler) http.Handler) Option {
	return func(c *config) { c.middleware = append(c.middleware, mw) }
}

// WithNumberField adds a number custom field (id like "customfield_10100").
func WithNumberField(id, name string) Option {
	return func(c *config) { c.fields = append(c.fields, Field{ID: id, Name: name, Type: "number", Custom: true}) }
}

// WithField adds a field of any type, e.g. a text custom field that a
// misconfigured service might take for its count field.
func WithField(f Field) Option {
	return func(c *config) { c.fields = append(c.fields, f) }
}

// WithUser adds a user (in addition to the service account and the engineer).
func WithUser(u User) Option { return func(c *config) { c.users = append(c.users, u) } }

// WithServiceTimeZone sets the profile time zone of the service account
// (IANA name, default "UTC"). JQL date literals such as "2025-01-02 10:30"
// are read in the time zone of the user who runs the search, as in Jira.
func WithServiceTimeZone(tz string) Option { return func(c *config) { c.timeZone = tz } }

// WithProject creates a project (key, name) from the start, for sites
// served by NewHandler that are not seeded from Go.
func WithProject(key, name string) Option {
	return func(c *config) { c.projects = append(c.projects, [2]string{key, name}) }
}

// WithWebhook registers an admin webhook from the start (see SetWebhook).
func WithWebhook(h Webhook) Option { return func(c *config) { c.webhook = &h } }

// Site is one simulated Jira site: its data, its HTTP handler and its Go
// control surface. All methods are safe for concurrent use.
type Site struct {
	cfg     config
	handler http.Handler
	mux     *http.ServeMux

	mu    sync.Mutex
	data  *store
	stale map[int64]*issue // the search index's copy of issues it lags on
	// logMu guards the request log apart from mu: a request is logged as
	// its response starts, which a handler may write holding mu.
	logMu    sync.Mutex
	log      []Request
	faults   faults
	webhooks *webhooks
}

// NewHandler returns a site whose ServeHTTP answers the Jira REST API; mount
// it on any listener (the simulate subcommand does).
func NewHandler(opts ...Option) *Site {
	cfg := config{clock: time.Now, timeZone: "UTC"}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Site{cfg: cfg}
	s.data = newStore(&s.cfg)
	s.faults.init()
	s.webhooks = newWebhooks()
	if cfg.webhook != nil {
		s.webhooks.set(*cfg.webhook)
	}
	for _, p := range cfg.projects {
		s.AddProject(p[0], p[1])
	}
	var h http.Handler = s.routes()
	h = s.faultLayer(h)
	h = s.logLayer(h)
	h = s.dateLayer(h)
	for _, mw := range cfg.middleware {
		h = mw(h)
	}
	s.handler = h
	return s
}

// ServeHTTP implements http.Handler.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Deployment reports which flavour of Jira the site answers as.
func (s *Site) Deployment() Deployment { return s.cfg.deployment }

func (s *Site) now() time.Time { return s.cfg.clock() }

// Server is a Site listening on a loopback port, like httptest.Server.
type Server struct {
	*Site
	URL string
	ts  *httptest.Server
}

// NewServer starts a simulated Jira site. Close it when done.
func NewServer(opts ...Option) *Server {
	srv := &Server{}
	srv.ts = httptest.NewUnstartedServer(nil)
	srv.ts.Start()
	srv.URL = srv.ts.URL
	opts = append([]Option{WithBaseURL(srv.URL)}, opts...)
	srv.Site = NewHandler(opts...)
	srv.ts.Config.Handler = srv.Site
	return srv
}

// Client returns an *http.Client for the server (plain; add credentials).
func (srv *Server) Client() *http.Client { return srv.ts.Client() }

// Close releases hanging requests, waits for webhook deliveries in flight
// and shuts the listener down.
func (srv *Server) Close() {
	srv.faults.releaseHangs()
	srv.webhooks.close()
	srv.ts.Close()
}

// Request is one request the site received, as recorded by its log.
type Request struct {
	Method  string
	Pattern string // route pattern, e.g. "/rest/api/2/issue/{issueIdOrKey}"; "" when no route matched
	Path    string
	Query   string
	Status  int
	At      time.Time // when it arrived, on the site's clock
}

// Count reports how many requests matched method and route pattern, e.g.
// Count("PUT", "/rest/api/2/issue/{issueIdOrKey}"). An empty method counts
// every method.
func (s *Site) Count(method, pattern string) int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	n := 0
	for _, r := range s.log {
		if (method == "" || r.Method == method) && r.Pattern == pattern {
			n++
		}
	}
	return n
}

// Counts returns the number of requests per "METHOD pattern".
func (s *Site) Counts() map[string]int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	m := map[string]int{}
	for _, r := range s.log {
		m[r.Method+" "+r.Pattern]++
	}
	return m
}

// Writes counts the requests that could change something, by "METHOD
// pattern": all but GETs and searches (a search may be a POST that reads).
func (s *Site) Writes() map[string]int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	m := map[string]int{}
	for _, r := range s.log {
		if r.Method != http.MethodGet && !strings.Contains(r.Pattern, "/search") {
			m[r.Method+" "+r.Pattern]++
		}
	}
	return m
}

// Requests returns a copy of the request log in the order the responses
// started. A request is logged before its response is written, so a client
// that has a response finds its request here.
func (s *Site) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetLog empties the request log.
func (s *Site) ResetLog() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.log = nil
}

// statusRecorder logs the request as its response starts, before a byte
// of it is written: a client that has read the response, or part of it,
// finds the request in the log. Logged after the handler instead, it could
// be missing from a count read right after the call.
type statusRecorder struct {
	http.ResponseWriter
	status int // 0 until the response starts
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
	if r.status == 0 {
		r.status = code
		r.logOnce()
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
		r.logOnce()
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logLayer records every request with the route pattern it matched, so
// tests count calls per endpoint without caring about ids.
func (s *Site) logLayer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := s.mux.Handler(r)
		at := s.now()
		rec := &statusRecorder{ResponseWriter: w, log: func(status int) {
			entry := Request{Method: r.Method, Pattern: routePath(pattern), Path: r.URL.Path, Query: r.URL.RawQuery, Status: status, At: at}
			s.logMu.Lock()
			s.log = append(s.log, entry)
			s.logMu.Unlock()
		}}
		// A request that got no response (the client gave up, a hang was
		// released) is logged when the handler returns.
		defer rec.logOnce()
		next.ServeHTTP(rec, r)
	})
}

// dateLayer stamps every response's Date header with the site's clock, as
// Jira's own clock would: the header is Jira's time, the same clock as its
// issues' created and updated.
func (s *Site) dateLayer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
		next.ServeHTTP(w, r)
	})
}

// routePath strips the method from a ServeMux pattern.
func routePath(pattern string) string {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == ' ' {
			return pattern[i+1:]
		}
	}
	return pattern
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

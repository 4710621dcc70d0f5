package zendesktest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Request is one entry of the request log.
type Request struct {
	Method   string
	Path     string // as sent, e.g. /api/v2/tickets/42.json
	Query    string // raw query string
	Route    string // the endpoint, e.g. /api/v2/tickets/{id}; "" for unknown paths
	Status   int    // status answered (499 when the client gave up first)
	At       time.Time
	Duration time.Duration // until the response started
}

func (s *Server) logRequest(r Request) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.requests = append(s.requests, r)
}

// Requests returns the request log in the order the responses started.
// A request is logged before its response is written, so a client that has
// a response finds its request here.
func (s *Server) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return slices.Clone(s.requests)
}

// Writes counts the requests that could change something, by "METHOD
// route": every one but GETs.
func (s *Server) Writes() map[string]int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	m := map[string]int{}
	for _, r := range s.requests {
		if r.Method != http.MethodGet {
			m[r.Method+" "+r.Route]++
		}
	}
	return m
}

// Count reports how many requests with method went to path, which is either
// a concrete path ("/api/v2/tickets/42") or a route ("/api/v2/tickets/{id}");
// the ".json" suffix is optional on both sides.
func (s *Server) Count(method, path string) int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Method == method && matchPath(path, r.Path, r.Route) {
			n++
		}
	}
	return n
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.requests = nil
}

func matchPath(want, path, route string) bool {
	want = strings.TrimSuffix(want, ".json")
	return want == strings.TrimSuffix(path, ".json") || (route != "" && want == route)
}

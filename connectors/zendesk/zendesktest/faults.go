package zendesktest

import (
	"bytes"
	"net/http"
	"strconv"
	"time"
)

// Fault makes matching requests misbehave. Exactly one of Status, Hang,
// Truncate and Malformed should be set.
type Fault struct {
	Method string // "" matches any method
	// Path matches a request path or route ("/api/v2/tickets/{id}"), with or
	// without ".json"; "" matches any path.
	Path  string
	Times int // how many matching requests fail; 0 means 1

	Status     int // answer with this status (e.g. 500, 502, 503) and an error body
	RetryAfter int // with Status: a Retry-After header, in seconds
	Hang       bool
	Truncate   bool // the real response with its JSON body cut in half
	Malformed  bool // 200 with an HTML body, as a proxy in the way sends
}

// Inject arms a fault; faults fire in the order they were injected.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults disarms all faults not yet fired.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// SetLatency delays every response by d (0 turns it off).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

func (s *Server) currentLatency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latency
}

func (s *Server) takeFault(method, path, route string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Method != "" && f.Method != method {
			continue
		}
		if f.Path != "" && !matchPath(f.Path, path, route) {
			continue
		}
		f.Times--
		if f.Times == 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

// serveFault answers a status or hang fault and reports true; body faults
// are left to the caller.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	switch {
	case f.Hang:
		// A response that never comes: the client's timeout or the server's
		// Close ends it.
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return true
	case f.Status != 0:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		writeJSON(w, f.Status, errorBody{Error: http.StatusText(f.Status), Description: "Injected by zendesktest"})
		return true
	}
	return false
}

// bufferedResponse captures a response so that a body fault can spoil it.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) WriteHeader(code int)        { b.status = code }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }

func (b *bufferedResponse) spoil(w http.ResponseWriter, f *Fault) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	body := b.body.Bytes()
	if f.Malformed {
		body = []byte("<html><body><h1>502 Bad Gateway</h1></body></html>\n")
		w.Header().Set("Content-Type", "text/html")
	} else {
		body = body[:len(body)/2]
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	status := b.status
	if f.Malformed {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

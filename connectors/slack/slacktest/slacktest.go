// Package slacktest is a local stand-in for Slack's incoming webhooks: an
// httptest server that checks each post's shape as Slack would (JSON,
// text present, known block types, Slack's limits), records the messages
// it accepts, and can be told to answer 429 with Retry-After, 5xx, or a
// permanent error. No traffic leaves the machine.
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Hook is the path of the one webhook the server serves; any other path
// answers 404 no_service, as Slack does for a revoked webhook.
const Hook = "/services/T0TEST/B0TEST/s3cr3tT0k3nF0rT3sts"

// Message is an accepted post, decoded.
type Message struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks"`
}

// Block is a decoded block.
type Block struct {
	Type     string  `json:"type"`
	Text     *Text   `json:"text"`
	Fields   []Text  `json:"fields"`
	Elements []Text  `json:"elements"`
	Extra    *string `json:"accessory"` // present only to be refused
}

// Text is a decoded text object.
type Text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Reply is one scripted answer.
type Reply struct {
	Status     int
	Body       string // Slack's error string, e.g. "rollup_error"
	RetryAfter int    // seconds; sent with 429
	// Accept records the message before answering, as a Slack that
	// posted and then failed would.
	Accept bool
}

// Server is the stand-in. It is safe for concurrent use.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	messages []Message
	script   []Reply
	refused  []string
	posts    int
	stall    chan struct{} // while not nil, posts wait for it to close
	watch    func(Post)
}

// Post is what became of one post that reached the webhook: the message
// accepted, or why it was refused as malformed. Scripted replies are not
// reported.
type Post struct {
	Message Message // the accepted message; zero when refused
	Refused string  // Slack's error code and why, e.g. "no_text: …"; "" when accepted
}

// Option configures a Server.
type Option func(*Server)

// WithWatch has f told of each post as it is accepted or refused, after
// it is recorded and outside the Server's lock, so f may call the Server.
func WithWatch(f func(Post)) Option {
	return func(s *Server) { s.watch = f }
}

// New starts a Server on a free loopback port; it is closed when the test
// ends.
func New(t interface{ Cleanup(func()) }, opts ...Option) *Server {
	s := newServer(opts)
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Listen starts a Server on addr (host:port), for a person to point a
// service at; close it when done. Its WebhookURL names the listener's
// address as it is, so a loopback one (127.0.0.1:8083) is what a
// configuration that takes plain http on loopback only accepts.
func Listen(addr string, opts ...Option) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("slacktest: listen on %s: %w", addr, err)
	}
	s := newServer(opts)
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	_ = s.Server.Listener.Close() // the free port httptest picked
	s.Server.Listener = l
	s.Start()
	return s, nil
}

func newServer(opts []Option) *Server {
	s := &Server{}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Close lets stalled posts through, since the server's Close waits for
// the requests under way, and stops the server.
func (s *Server) Close() {
	s.Unstall()
	s.Server.Close()
}

// WebhookURL is the webhook URL to configure: a secret, as a real one is.
func (s *Server) WebhookURL() string { return s.Server.URL + Hook }

// Then queues replies for the next posts, in order; after them, valid
// posts are accepted.
func (s *Server) Then(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, r...)
}

// Messages returns the accepted messages, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Refused returns why posts were refused as malformed, in order.
func (s *Server) Refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

// Posts counts every request that reached the webhook path.
func (s *Server) Posts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts
}

// Stall makes every post wait, unanswered, until Unstall or until the
// client gives up: a Slack that hangs.
func (s *Server) Stall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stall == nil {
		s.stall = make(chan struct{})
	}
}

// Unstall lets the stalled posts, and later ones, through.
func (s *Server) Unstall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stall != nil {
		close(s.stall)
		s.stall = nil
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	stall := s.stall
	s.mu.Unlock()
	if stall != nil {
		select {
		case <-stall:
		case <-r.Context().Done():
			return
		}
	}
	if r.URL.Path != Hook {
		http.Error(w, "no_service", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "invalid_payload", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	post, accepted := s.answer(w, r, body, err)
	if s.watch != nil && (accepted || post.Refused != "") {
		s.watch(post)
	}
}

// answer records one post to the webhook and answers it; accepted says
// whether the message was recorded.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, body []byte, err error) (post Post, accepted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts++
	if err != nil {
		return s.refuse(w, "invalid_payload", "read the body: "+err.Error()), false
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return s.refuse(w, "invalid_payload", "Content-Type "+strconv.Quote(r.Header.Get("Content-Type"))+" is not application/json"), false
	}
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		return s.refuse(w, "invalid_payload", "not JSON: "+err.Error()), false
	}
	if m.Text == "" {
		return s.refuse(w, "no_text", "no top-level text (required as the notification fallback)"), false
	}
	if problem := check(m); problem != "" {
		return s.refuse(w, "invalid_blocks", problem), false
	}
	if len(s.script) > 0 {
		reply := s.script[0]
		s.script = s.script[1:]
		if reply.Accept {
			s.messages = append(s.messages, m)
		}
		if reply.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(reply.RetryAfter))
		}
		w.WriteHeader(reply.Status)
		_, _ = io.WriteString(w, reply.Body)
		return Post{}, false
	}
	s.messages = append(s.messages, m)
	_, _ = io.WriteString(w, "ok")
	return Post{Message: m}, true
}

func (s *Server) refuse(w http.ResponseWriter, code, why string) Post {
	s.refused = append(s.refused, code+": "+why)
	http.Error(w, code, http.StatusBadRequest)
	return Post{Refused: code + ": " + why}
}

// check applies Slack's Block Kit rules for the block types notices use.
func check(m Message) string {
	if len(m.Blocks) > 50 {
		return fmt.Sprintf("%d blocks, more than 50", len(m.Blocks))
	}
	for i, b := range m.Blocks {
		if p := checkBlock(b); p != "" {
			return fmt.Sprintf("block %d (%s): %s", i, b.Type, p)
		}
	}
	return ""
}

func checkBlock(b Block) string {
	if b.Extra != nil {
		return "accessory not expected"
	}
	switch b.Type {
	case "header":
		if b.Text == nil || b.Text.Type != "plain_text" {
			return "a header's text must be plain_text"
		}
		return checkText(*b.Text, 150)
	case "section":
		if b.Text == nil && len(b.Fields) == 0 {
			return "a section needs text or fields"
		}
		if b.Text != nil {
			if p := checkText(*b.Text, 3000); p != "" {
				return p
			}
		}
		if len(b.Fields) > 10 {
			return "more than 10 fields"
		}
		for _, f := range b.Fields {
			if p := checkText(f, 2000); p != "" {
				return "field: " + p
			}
		}
	case "context":
		if len(b.Elements) == 0 || len(b.Elements) > 10 {
			return fmt.Sprintf("%d elements, want 1 to 10", len(b.Elements))
		}
		for _, e := range b.Elements {
			if p := checkText(e, 3000); p != "" {
				return "element: " + p
			}
		}
	case "divider":
		if b.Text != nil || len(b.Fields) > 0 || len(b.Elements) > 0 {
			return "a divider has no content"
		}
	default:
		return "unknown block type"
	}
	return ""
}

func checkText(t Text, max int) string {
	if t.Type != "plain_text" && t.Type != "mrkdwn" {
		return fmt.Sprintf("text type %q", t.Type)
	}
	if t.Text == "" {
		return "empty text"
	}
	if n := utf8.RuneCountInString(t.Text); n > max {
		return fmt.Sprintf("text of %d characters, more than %d", n, max)
	}
	return ""
}

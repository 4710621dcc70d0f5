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
}

// New starts a Server; it is closed when the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.Unstall() // Close waits for the requests under way
		s.Close()
	})
	return s
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
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts++
	if err != nil {
		s.refuse(w, "invalid_payload", "read the body: "+err.Error())
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		s.refuse(w, "invalid_payload", "Content-Type "+strconv.Quote(r.Header.Get("Content-Type"))+" is not application/json")
		return
	}
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		s.refuse(w, "invalid_payload", "not JSON: "+err.Error())
		return
	}
	if m.Text == "" {
		s.refuse(w, "no_text", "no top-level text (required as the notification fallback)")
		return
	}
	if problem := check(m); problem != "" {
		s.refuse(w, "invalid_blocks", problem)
		return
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
		return
	}
	s.messages = append(s.messages, m)
	_, _ = io.WriteString(w, "ok")
}

func (s *Server) refuse(w http.ResponseWriter, code, why string) {
	s.refused = append(s.refused, code+": "+why)
	http.Error(w, code, http.StatusBadRequest)
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

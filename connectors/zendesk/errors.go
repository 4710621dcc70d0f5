package zendesk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	zd "github.com/nukosuke/go-zendesk/zendesk"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Error is a failed Zendesk operation. It wraps engine.ErrNotFound (404),
// engine.ErrConflict (409) or engine.ErrPermanent (other 4xx, refused job
// items); an Error wrapping none of them (429, 5xx, transport failures,
// malformed bodies, failed jobs) is worth retrying.
type Error struct {
	Op         string        // what was attempted, naming the ticket(s), e.g. "update ticket 42"
	Status     int           // HTTP status; 0 when no response was read
	Code       string        // Zendesk's error code, e.g. "RecordInvalid"
	Message    string        // Zendesk's description (or the reason)
	RetryAfter time.Duration // from Retry-After, when Zendesk sent one

	kind  error
	cause error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("zendesk: ")
	b.WriteString(e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(e.cause.Error())
	}
	if e.kind != nil {
		b.WriteString(" (")
		b.WriteString(e.kind.Error())
		b.WriteString(")")
	}
	return b.String()
}

func (e *Error) Unwrap() []error {
	var out []error
	for _, err := range []error{e.kind, e.cause} {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// kindOf maps an HTTP status to the engine's sentinel errors.
func kindOf(status int) error {
	switch {
	case status == http.StatusNotFound:
		return engine.ErrNotFound
	case status == http.StatusConflict:
		return engine.ErrConflict
	case status == http.StatusTooManyRequests || status >= 500:
		return nil
	case status >= 400:
		return engine.ErrPermanent
	}
	return nil
}

// requestError turns what go-zendesk returned into an *Error naming op.
// Zendesk's error bodies never echo credentials; go-zendesk's own error
// text is not used, as it carries whole bodies.
func requestError(op string, err error) error {
	var zerr zd.Error
	if !errors.As(err, &zerr) {
		return &Error{Op: op, cause: err}
	}
	e := &Error{Op: op, Status: zerr.Status(), kind: kindOf(zerr.Status())}
	body, _ := io.ReadAll(io.LimitReader(zerr.Body(), 64<<10))
	e.Code, e.Message = parseErrorBody(body)
	if e.Message == "" && e.Code == "" {
		e.Message = http.StatusText(e.Status)
	}
	if secs, err := strconv.Atoi(zerr.Headers().Get("Retry-After")); err == nil && secs >= 0 {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	return e
}

// decodeError reports a response body that is not the JSON expected.
func decodeError(op string, body []byte, err error) error {
	return &Error{Op: op, Message: fmt.Sprintf("malformed response body (%d bytes: %s)",
		len(body), snippet(body, 80)), cause: err}
}

// parseErrorBody reads Zendesk's {"error","description","details"}; a body
// that is not JSON (some 429s are plain text) is quoted, shortened.
func parseErrorBody(body []byte) (code, message string) {
	var doc struct {
		Error       json.RawMessage `json:"error"`
		Description string          `json:"description"`
		Details     json.RawMessage `json:"details"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", snippet(body, 200)
	}
	// "error" is a code ("RecordInvalid") or, on 401, a sentence.
	var errText string
	_ = json.Unmarshal(doc.Error, &errText)
	message = doc.Description
	if d := detailsText(doc.Details); d != "" {
		if message != "" {
			message += ": "
		}
		message += d
	}
	if message == "" {
		return "", errText
	}
	return errText, message
}

// detailsText flattens "details": {"status":[{"description":"…"}]} or a
// plain string to "…; …".
func detailsText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var byField map[string][]struct {
		Description string `json:"description"`
	}
	if json.Unmarshal(raw, &byField) != nil {
		return snippet(raw, 200)
	}
	fields := make([]string, 0, len(byField))
	for f := range byField {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var msgs []string
	for _, f := range fields {
		for _, d := range byField[f] {
			if d.Description != "" {
				msgs = append(msgs, d.Description)
			}
		}
	}
	return strings.Join(msgs, "; ")
}

// snippet is the start of a body on one line, for messages.
func snippet(b []byte, n int) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

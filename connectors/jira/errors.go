package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Error is a refusal from Jira: what was attempted on which issue, the HTTP
// status, and Jira's errorMessages and field errors. It unwraps to
// engine.ErrNotFound (404), engine.ErrConflict (409) or engine.ErrPermanent (400,
// 401, 403, 410, 413, 422); 429 and 5xx unwrap to nothing and are retried.
type Error struct {
	Op       string // e.g. "edit issue"
	Issue    string // issue id or key, "" when none
	Status   int
	Messages []string
	Fields   map[string]string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("jira: ")
	b.WriteString(e.Op)
	if e.Issue != "" {
		b.WriteString(" ")
		b.WriteString(e.Issue)
	}
	fmt.Fprintf(&b, ": HTTP %d", e.Status)
	for _, m := range e.Messages {
		b.WriteString(": ")
		b.WriteString(m)
	}
	for _, k := range sortedKeys(e.Fields) {
		fmt.Fprintf(&b, ": %s: %s", k, e.Fields[k])
	}
	return b.String()
}

// Unwrap maps the status to the engine's sentinel errors.
func (e *Error) Unwrap() error {
	switch e.Status {
	case http.StatusNotFound:
		return engine.ErrNotFound
	case http.StatusConflict:
		return engine.ErrConflict
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusGone,
		http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return engine.ErrPermanent
	}
	return nil
}

// maxErrorBody bounds how much of an error body is read: Jira's error
// collections are small; an HTML error page is cut.
const maxErrorBody = 64 << 10

// newError reads Jira's ErrorCollection from a non-2xx response body. A
// body that is not one (a proxy's HTML page, plain text) becomes the single
// message, shortened.
func newError(op, issue string, status int, body []byte) *Error {
	e := &Error{Op: op, Issue: issue, Status: status}
	var coll struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	if json.Unmarshal(body, &coll) == nil && (len(coll.ErrorMessages) > 0 || len(coll.Errors) > 0) {
		e.Messages, e.Fields = coll.ErrorMessages, coll.Errors
		return e
	}
	if text := strings.TrimSpace(string(body)); text != "" {
		if len(text) > 200 {
			text = text[:200] + "…"
		}
		e.Messages = []string{text}
	}
	return e
}

// goJiraError converts what a go-jira service method returned. go-jira has
// read and closed the body into a *gojira.Error when it was JSON; the
// status comes from the response.
func goJiraError(op, issue string, resp *gojira.Response, err error) error {
	if resp == nil || resp.Response == nil {
		return fmt.Errorf("jira: %s %s: %w", op, issue, err)
	}
	e := &Error{Op: op, Issue: issue, Status: resp.StatusCode}
	var jerr *gojira.Error
	if errors.As(err, &jerr) {
		e.Messages, e.Fields = jerr.ErrorMessages, jerr.Errors
	} else if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// A 2xx whose body did not decode: a truncated or malformed response.
		return fmt.Errorf("jira: %s %s: read response (HTTP %d): %w", op, issue, resp.StatusCode, err)
	} else {
		e.Messages = []string{http.StatusText(resp.StatusCode)}
	}
	if resp.Body != nil {
		_ = resp.Body.Close()
	}
	return e
}

// call sends one request through go-jira and always drains and closes the
// response body (go-jira's Do leaves it open when v is nil or the status
// is not 2xx). A 2xx body is decoded into out when out is not nil.
func (c *Client) call(ctx context.Context, op, issue, method, path string, body, out any) (int, error) {
	req, err := c.jc.NewRequestWithContext(ctx, method, path, body)
	if err != nil {
		return 0, fmt.Errorf("jira: %s %s: build request: %w", op, issue, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.jc.Do(req, nil)
	if resp == nil || resp.Response == nil {
		return 0, fmt.Errorf("jira: %s %s: %w", op, issue, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return resp.StatusCode, newError(op, issue, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("jira: %s %s: decode response (HTTP %d): %w", op, issue, resp.StatusCode, err)
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	return resp.StatusCode, nil
}

// Package contract checks HTTP traffic against Atlassian's OpenAPI
// document for Jira Cloud: every request a client sends and every response
// the simulator returns is validated as it flows through a middleware.
//
// The document is the subset in jira-v3-subset.json, cut from Atlassian's
// published file by ./gen (go generate) so tests never read outside the
// repository. v2 paths are validated against their v3 operations; v2
// comment bodies are plain strings where v3 has Atlassian Document Format,
// so those are checked here by hand.
package contract

//go:generate go run ./gen -src ../../../../../shared/api/jira-cloud-platform.v3.openapi.json -out jira-v3-subset.json

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
)

//go:embed jira-v3-subset.json
var subset []byte

const jiraDateTime = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})$`

// Validator validates requests and responses against the subset.
type Validator struct {
	router routers.Router
	schema []openapi3.SchemaValidationOption
}

// The parsed document is immutable and costly to build, so every test
// in a process shares one.
var (
	loadOnce sync.Once
	shared   *Validator
	loadErr  error
)

// New returns the validator; the document is parsed once per process.
func New() (*Validator, error) {
	loadOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(subset)
		if err != nil {
			loadErr = fmt.Errorf("contract: load the OpenAPI subset: %w", err)
			return
		}
		// Jira writes timestamps as ISO 8601 with a basic offset
		// (2025-03-01T10:00:00.000+0000), which go-jira's parser requires;
		// the document calls them date-time, whose RFC 3339 form has a colon.
		doc.SetStringFormatValidator("date-time", openapi3.NewRegexpFormatValidator(jiraDateTime))
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			loadErr = fmt.Errorf("contract: route the OpenAPI subset: %w", err)
			return
		}
		shared = &Validator{router: router, schema: doc.GetSchemaValidationOptions()}
	})
	return shared, loadErr
}

// Check is the middleware for tests: every violation fails t.
func Check(t testing.TB) func(http.Handler) http.Handler {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return v.Middleware(func(err error) {
		t.Helper()
		t.Errorf("OpenAPI contract: %v", err)
	})
}

// Middleware validates each request before next sees it and each response
// as next writes it (the response passes through unchanged), reporting
// every violation.
func (v *Validator) Middleware(report func(error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			_ = r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(body))

			input, err := v.request(r.Context(), r, body)
			if err != nil {
				report(fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, err))
			}
			tee := &tee{ResponseWriter: w}
			next.ServeHTTP(tee, r)
			if input == nil || tee.Header().Get(jiratest.FaultHeader) != "" || tee.status == http.StatusUnauthorized {
				return
			}
			if err := v.response(r.Context(), input, tee, r); err != nil {
				report(fmt.Errorf("%s %s → %d: %w", r.Method, r.URL.Path, tee.status, err))
			}
		})
	}
}

// request validates r (with its body already read) and returns the input
// the response check needs.
func (v *Validator) request(ctx context.Context, r *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	version := "3"
	path := r.URL.Path
	if rest, ok := strings.CutPrefix(path, "/rest/api/2/"); ok {
		version, path = "2", "/rest/api/3/"+rest
	}
	probe := r.Clone(ctx)
	probe.URL.Path, probe.URL.RawPath = path, ""
	probe.URL.Scheme, probe.URL.Host = "http", r.Host
	probe.RequestURI = ""
	route, params, err := v.router.FindRoute(probe)
	if err != nil {
		return nil, fmt.Errorf("no operation in the OpenAPI subset: %w", err)
	}
	if version == "2" && route.Operation.OperationID == "addComment" {
		if err := v2CommentBody(body); err != nil {
			return nil, err
		}
		// The v3 schema has an ADF body; the string was checked above.
		body = []byte(`{}`)
	}
	probe.Body = io.NopCloser(bytes.NewReader(body))
	input := &openapi3filter.RequestValidationInput{
		Request: probe, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			RejectWhenRequestBodyNotSpecified: true, SchemaValidationOptions: v.schema},
	}
	if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
		return input, err
	}
	return input, nil
}

func (v *Validator) response(ctx context.Context, input *openapi3filter.RequestValidationInput, t *tee, r *http.Request) error {
	body := t.body.Bytes()
	if strings.HasPrefix(r.URL.Path, "/rest/api/2/") && strings.Contains(input.Route.Operation.OperationID, "omment") &&
		t.status >= 200 && t.status < 300 {
		var err error
		if body, err = v2CommentsAsADF(body); err != nil {
			return err
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input, Status: t.status, Header: t.Header(),
		Options: &openapi3filter.Options{MultiError: true, SchemaValidationOptions: v.schema},
	}
	out.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(ctx, out)
}

// v2CommentBody checks a v2 comment request: its body is plain text.
func v2CommentBody(raw []byte) error {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(raw, &req); err != nil {
		return fmt.Errorf("comment request is not a JSON object: %w", err)
	}
	var s string
	if err := json.Unmarshal(req["body"], &s); err != nil {
		return errors.New("a v2 comment body must be a JSON string")
	}
	return nil
}

// v2CommentsAsADF checks that the v2 comment bodies in a response are
// strings and replaces them with an empty ADF document for the v3 schema.
func v2CommentsAsADF(raw []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return raw, nil // the schema check reports it
	}
	check := func(c any) error {
		m, ok := c.(map[string]any)
		if !ok {
			return nil
		}
		if _, ok := m["body"].(string); !ok {
			return fmt.Errorf("a v2 comment body must be a string, got %T", m["body"])
		}
		m["body"] = map[string]any{"type": "doc", "version": 1, "content": []any{}}
		return nil
	}
	if list, ok := doc["comments"].([]any); ok {
		for _, c := range list {
			if err := check(c); err != nil {
				return nil, err
			}
		}
	} else if err := check(doc); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

// tee passes a response through while keeping a copy.
type tee struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (t *tee) WriteHeader(code int) {
	if t.status == 0 {
		t.status = code
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *tee) Write(b []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	t.body.Write(b)
	return t.ResponseWriter.Write(b)
}

func (t *tee) Unwrap() http.ResponseWriter { return t.ResponseWriter }

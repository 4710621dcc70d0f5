package contract

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serve runs one request through the middleware in front of a handler that
// answers status and body, and returns the reported violations.
func serve(t *testing.T, method, target, reqBody string, status int, body string) []error {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var got []error
	h := v.Middleware(func(err error) { got = append(got, err) })(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, _ := io.ReadAll(r.Body); string(b) != reqBody {
			t.Errorf("handler saw body %q, want %q", b, reqBody)
		}
		if body != "" {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	var rb io.Reader
	if reqBody != "" {
		rb = strings.NewReader(reqBody)
	}
	req := httptest.NewRequest(method, target, rb)
	if reqBody != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != status || rec.Body.String() != body {
		t.Errorf("the middleware changed the response: %d %q", rec.Code, rec.Body.String())
	}
	return got
}

func TestValidTrafficPasses(t *testing.T) {
	cases := []struct {
		name, method, target, reqBody string
		status                        int
		body                          string
	}{
		{"search", "GET", "/rest/api/2/search/jql?jql=project%3DP&fields=summary,status&maxResults=50", "", 200,
			`{"issues":[{"id":"1","key":"P-1","fields":{"summary":"s","resolution":null}}],"isLast":true}`},
		{"edit", "PUT", "/rest/api/2/issue/10001?notifyUsers=false", `{"fields":{"customfield_10042":3},"update":{"labels":[{"add":"x"}]}}`, 204, ""},
		{"v2 comment", "POST", "/rest/api/2/issue/10001/comment", `{"body":"plain text"}`, 201,
			`{"id":"1","body":"plain text","created":"2025-03-01T10:00:00.000+0000"}`},
		{"remote links", "GET", "/rest/api/2/issue/10001/remotelink", "", 200,
			`[{"id":1,"globalId":"g","object":{"url":"https://x","title":"t"}}]`},
		{"delete link", "DELETE", "/rest/api/3/issue/10001/remotelink?globalId=a%3Db", "", 204, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if errs := serve(t, c.method, c.target, c.reqBody, c.status, c.body); len(errs) > 0 {
				t.Fatalf("valid traffic reported: %v", errs)
			}
		})
	}
}

func TestViolationsAreReported(t *testing.T) {
	cases := []struct {
		name, method, target, reqBody string
		status                        int
		body, want                    string
	}{
		{"unknown endpoint", "GET", "/rest/api/2/issue/1/watchers", "", 200, `{}`, "no operation"},
		{"bad query type", "GET", "/rest/api/3/search/jql?jql=x&maxResults=many", "", 200, `{"issues":[],"isLast":true}`, "maxResults"},
		{"total in enhanced search", "GET", "/rest/api/3/search/jql?jql=x", "", 200, `{"issues":[],"isLast":true,"total":3}`, "total"},
		{"isLast not a bool", "POST", "/rest/api/3/search/jql", `{"jql":"x"}`, 200, `{"issues":[],"isLast":"yes"}`, "isLast"},
		{"unknown search body member", "POST", "/rest/api/3/search/jql", `{"jql":"x","startAt":5}`, 200, `{"issues":[],"isLast":true}`, "startAt"},
		{"v2 comment with ADF", "POST", "/rest/api/2/issue/1/comment", `{"body":{"type":"doc","version":1,"content":[]}}`, 201, `{"id":"1","body":"x"}`, "must be a JSON string"},
		{"v2 comment answered with ADF", "GET", "/rest/api/2/issue/1/comment", "", 200, `{"comments":[{"id":"1","body":{"type":"doc"}}],"total":1}`, "must be a string"},
		{"bad timestamp", "GET", "/rest/api/2/issue/1/comment", "", 200, `{"comments":[{"id":"1","body":"x","created":"yesterday"}],"total":1}`, "created"},
		{"remote link without object", "POST", "/rest/api/2/issue/1/remotelink", `{"globalId":"g"}`, 201, `{"id":1,"self":"http://x/1"}`, "object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := serve(t, c.method, c.target, c.reqBody, c.status, c.body)
			if len(errs) == 0 {
				t.Fatal("violation not reported")
			}
			if !strings.Contains(errs[0].Error(), c.want) {
				t.Fatalf("reported %v, want it to mention %q", errs, c.want)
			}
		})
	}
}

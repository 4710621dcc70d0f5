package connectors

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestRouteTemplate(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://acme.zendesk.com/api/v2/tickets/123.json?include=users", "/api/v2/tickets/{id}.json"},
		{"https://acme.zendesk.com/api/v2/tickets/123", "/api/v2/tickets/{id}"},
		{"https://acme.zendesk.com/api/v2/tickets/123/comments.json?page[size]=100", "/api/v2/tickets/{id}/comments.json"},
		{"https://acme.zendesk.com/api/v2/tickets/update_many.json", "/api/v2/tickets/update_many.json"},
		{"https://acme.zendesk.com/api/v2/tickets/show_many.json?ids=1,2,3", "/api/v2/tickets/show_many.json"},
		{"https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTU3NjYx", "/api/v2/incremental/tickets/cursor.json"},
		{"https://acme.zendesk.com/api/v2/job_statuses/8b726e606741012ffc2d782bcb7848fe.json", "/api/v2/job_statuses/{id}.json"},
		{"https://acme.zendesk.com/api/v2/organizations/1,2,3.json", "/api/v2/organizations/{ids}.json"},
		{"https://acme.atlassian.net/rest/api/2/issue/ABC-12/remotelink", "/rest/api/2/issue/{key}/remotelink"},
		{"https://acme.atlassian.net/rest/api/3/issue/MY_PROJ2-9/comment?startAt=50", "/rest/api/3/issue/{key}/comment"},
		{"https://acme.atlassian.net/rest/api/2/issue/10001?notifyUsers=false", "/rest/api/2/issue/{id}"},
		{"https://acme.atlassian.net/rest/api/2/issue/10001/remotelink/10000", "/rest/api/2/issue/{id}/remotelink/{id}"},
		{"https://acme.atlassian.net/rest/api/2/search/jql?jql=project%3DABC", "/rest/api/2/search/jql"},
		{"https://jira.acme.internal/jira/rest/api/2/search", "/jira/rest/api/2/search"},
		{"https://acme.atlassian.net/rest/agile/1.0/board/7", "/rest/agile/1.0/board/{id}"},
		{"https://acme.atlassian.net/rest/api/latest/myself", "/rest/api/latest/myself"},
		{"https://acme.atlassian.net/rest/api/2/webhook/0b7e9a4c-63b2-4f6e-9f0e-1b2c3d4e5f60", "/rest/api/2/webhook/{id}"},
		{"https://acme.atlassian.net/rest/api/2/statuscategory", "/rest/api/2/statuscategory"},
		{"https://acme.atlassian.net/rest/api/2/project/ABC", "/rest/api/2/project/ABC"},
		{"https://acme.atlassian.net/rest/api/2/issue/createmeta-2", "/rest/api/2/issue/{key}"},
		{"https://acme.atlassian.net/rest/api/2/issue/-2", "/rest/api/2/issue/-2"},
		{"https://acme.atlassian.net/rest/api/2/issue/", "/rest/api/2/issue/"},
		{"https://acme.zendesk.com/deadbeefdeadbeefdeadbeef", "/deadbeefdeadbeefdeadbeef"}, // no digit: a word
		{"https://acme.zendesk.com", "/"},
		{"https://acme.zendesk.com/", "/"},
	}
	for _, tc := range tests {
		req, err := http.NewRequest("GET", tc.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := RouteTemplate(req); got != tc.want {
			t.Errorf("RouteTemplate(%s) = %q, want %q", tc.url, got, tc.want)
		}
	}
	if got := RouteTemplate(nil); got != "/" {
		t.Errorf("RouteTemplate(nil) = %q", got)
	}
}

// numberSegment is a path segment that is a number, with or without a
// file-type suffix: it must never survive in a route.
var numberSegment = regexp.MustCompile(`^[0-9]+(\.[a-z]{1,5})?$`)

// FuzzRouteTemplate checks, for any path, that the template is a path, that
// it holds no query and no number outside an API version, and that
// templating a template changes nothing (labels are stable).
func FuzzRouteTemplate(f *testing.F) {
	for _, s := range []string{"/api/v2/tickets/123.json", "/rest/api/2/issue/ABC-1/remotelink", "/", "", "//x//9/",
		"/api/v2/job_statuses/8b726e606741012ffc2d782bcb7848fe", "/a/1,2,,3", "/x/ABC-", "/x/.json", "/api/7/8.json"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		got := routeOf(path)
		if !strings.HasPrefix(got, "/") {
			t.Fatalf("routeOf(%q) = %q: not a path", path, got)
		}
		if routeOf(got) != got {
			t.Fatalf("routeOf(%q) = %q, but routeOf(%q) = %q", path, got, got, routeOf(got))
		}
		segs := strings.Split(got, "/")
		for i, seg := range segs {
			if numberSegment.MatchString(seg) && (i == 0 || segs[i-1] != "api") {
				t.Fatalf("routeOf(%q) = %q keeps the number %q", path, got, seg)
			}
		}
		u := &url.URL{Scheme: "https", Host: "vendor.test", Path: path, RawQuery: "token=s3cr3t"}
		if r := RouteTemplate(&http.Request{URL: u}); strings.Contains(r, "s3cr3t") && !strings.Contains(path, "s3cr3t") {
			t.Fatalf("route %q carries the query", r)
		}
	})
}

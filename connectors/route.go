package connectors

import (
	"net/http"
	"strings"
)

// RouteTemplate names the endpoint of r with its identifiers replaced, so
// that metrics and logs have a bounded set of labels and carry no ticket
// numbers or query strings:
//
//	/api/v2/tickets/123.json?include=users → /api/v2/tickets/{id}.json
//	/rest/api/2/issue/ABC-12/remotelink    → /rest/api/2/issue/{key}/remotelink
//	/api/v2/job_statuses/8b726e6067…       → /api/v2/job_statuses/{id}
//
// Numbers become {id}, Jira issue keys {key}, comma-separated numbers {ids}
// and long hexadecimal or UUID tokens {id}. The version after an "api"
// segment (/rest/api/2, /api/v2) is kept.
func RouteTemplate(r *http.Request) string {
	if r == nil || r.URL == nil {
		return "/"
	}
	return routeOf(r.URL.Path)
}

func routeOf(path string) string {
	if path == "" || path == "/" {
		return "/"
	}
	var b strings.Builder
	b.Grow(len(path) + 8)
	prev := ""
	rest := strings.TrimPrefix(path, "/")
	for {
		seg, tail, more := strings.Cut(rest, "/")
		b.WriteByte('/')
		b.WriteString(templateSegment(seg, prev))
		if !more {
			break
		}
		prev, rest = seg, tail
	}
	return b.String()
}

func templateSegment(seg, prev string) string {
	name, ext := seg, ""
	if i := strings.LastIndexByte(seg, '.'); i > 0 && isExt(seg[i+1:]) {
		name, ext = seg[:i], seg[i:]
	}
	switch {
	case name == "":
		return seg
	case isDigits(name):
		if prev == "api" {
			return seg
		}
		return "{id}" + ext
	case isIDList(name):
		return "{ids}" + ext
	case isIssueKey(name):
		return "{key}" + ext
	case isOpaqueToken(name):
		return "{id}" + ext
	}
	return seg
}

// isExt reports whether s is a file-type suffix such as "json"; a version
// such as the "0" of /rest/agile/1.0 is not one.
func isExt(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isIDList(s string) bool {
	if !strings.Contains(s, ",") {
		return false
	}
	for part := range strings.SplitSeq(s, ",") {
		if !isDigits(part) {
			return false
		}
	}
	return true
}

// isIssueKey matches a Jira issue key, PROJECT-123: a letter, then letters,
// digits or underscores, a dash and a number.
func isIssueKey(s string) bool {
	project, num, ok := strings.Cut(s, "-")
	if !ok || project == "" || !isDigits(num) || !isLetter(project[0]) {
		return false
	}
	for i := 1; i < len(project); i++ {
		if c := project[i]; !isLetter(c) && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// isOpaqueToken matches generated identifiers such as Zendesk job status ids
// (32 hex digits) and UUIDs: 16 or more hex digits and dashes, with at least
// one digit so that long words are not taken for ids.
func isOpaqueToken(s string) bool {
	if len(s) < 16 {
		return false
	}
	digit := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '-':
		default:
			return false
		}
	}
	return digit
}

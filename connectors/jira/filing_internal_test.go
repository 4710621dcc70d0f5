package jira

import (
	"regexp"
	"strings"
	"testing"
)

// safeTextJQL is the only shape a text search may have: the synced
// projects, quoted, and one JQL string of letters, digits and single
// spaces (in lower case, checked apart).
var safeTextJQL = regexp.MustCompile(`^project in \("PROJ", "OPS"\) AND text ~ "([\p{L}\p{N}]+(?: [\p{L}\p{N}]+)*)" ORDER BY updated DESC$`)

func TestTextSearchJQLShape(t *testing.T) {
	cases := map[string]string{
		"Checkout crashes":          "checkout crashes",
		`") OR project = SECRET`:    "or project secret",
		`a\" OR key = X-1 --`:       "a or key x 1",
		"crash* AND login~ +pay -x": "crash and login pay x",
		"Größe ändern 日本":           "größe ändern 日本",
	}
	for in, words := range cases {
		jql, ok := textSearchJQL([]string{"PROJ", "OPS"}, in)
		m := safeTextJQL.FindStringSubmatch(jql)
		if !ok || m == nil || m[1] != words || m[1] != strings.ToLower(m[1]) {
			t.Errorf("%q → %q, want the safe shape with %q", in, jql, words)
		}
	}
	for _, in := range []string{"", "  ", `"*?~()\`, "-- ;"} {
		if jql, ok := textSearchJQL([]string{"PROJ", "OPS"}, in); ok {
			t.Errorf("%q → %q, want no search", in, jql)
		}
	}
}

func FuzzTextSearchJQL(f *testing.F) {
	for _, s := range []string{`") OR project = SECRET`, "crash", `\"`, "ǅ ᾈ Ⅻ ²", strings.Repeat("w ", 50)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		jql, ok := textSearchJQL([]string{"PROJ", "OPS"}, text)
		if !ok {
			if len(searchWords(text)) != 0 {
				t.Fatalf("%q has words but no search", text)
			}
			return
		}
		m := safeTextJQL.FindStringSubmatch(jql)
		if m == nil {
			t.Fatalf("%q → unsafe JQL %q", text, jql)
		}
		if m[1] != strings.ToLower(m[1]) {
			t.Fatalf("%q → words not in lower case: %q", text, m[1])
		}
		if n := len(strings.Fields(m[1])); n > maxSearchWords {
			t.Fatalf("%q → %d words", text, n)
		}
	})
}

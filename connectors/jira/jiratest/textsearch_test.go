package jiratest

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func textSeeded(t *testing.T) *Site {
	t.Helper()
	s := NewHandler(WithClock(func() time.Time { return time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC) }))
	s.AddProject("PROJ", "Project")
	for _, n := range []NewIssue{
		{Project: "PROJ", Summary: "Checkout crashes on Safari", Description: "The payment page\nfreezes, then the tab crashes."},
		{Project: "PROJ", Summary: "Login is slow", Description: "Password reset emails arrive late."},
		{Project: "PROJ", Summary: "Export to CSV drops rows"},
	} {
		s.MustCreateIssue(n)
	}
	if _, err := s.AddComment("PROJ-3", Engineer, "Seen by the ACME customer with 10k rows"); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTextSearch(t *testing.T) {
	s := textSeeded(t)
	cases := []struct {
		jql  string
		want []string
	}{
		{`summary ~ crash`, nil}, // words, not stems: "crashes" is another word
		{`summary ~ "crashes"`, []string{"PROJ-1"}},
		{`summary ~ "CHECKOUT safari"`, []string{"PROJ-1"}},
		{`summary ~ "checkout login"`, nil}, // every term must occur
		{`summary ~ "crash*"`, []string{"PROJ-1"}},
		{`summary ~ "the login"`, []string{"PROJ-2"}}, // stop words are dropped
		{`description ~ "password reset"`, []string{"PROJ-2"}},
		{`description ~ "\"reset password\""`, nil}, // a phrase keeps its order
		{`description ~ "\"password reset\""`, []string{"PROJ-2"}},
		{`description ~ "\"page freezes\""`, []string{"PROJ-1"}}, // a newline is only a space
		{`comment ~ acme`, []string{"PROJ-3"}},
		{`text ~ "acme csv"`, []string{"PROJ-3"}}, // summary and comment together
		{`text ~ "\"rows seen\""`, nil},           // a phrase does not span fields
		{`summary !~ crashes`, []string{"PROJ-2", "PROJ-3"}},
		{`summary ~ "the"`, nil}, // only stop words: nothing
		{`project = PROJ AND (summary ~ login OR description ~ "tab")`, []string{"PROJ-1", "PROJ-2"}},
	}
	for _, c := range cases {
		t.Run(c.jql, func(t *testing.T) {
			got, err := keysOf(t, s, c.jql)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func FuzzTextQuery(f *testing.F) {
	for _, seed := range []string{`crash`, `"password reset" login*`, `the`, `*x`, `a"b`, `AND`, `-x`, "é\u00a0ü*", `"`, `x**`} {
		f.Add(seed)
	}
	s := textSeeded(&testing.T{})
	f.Fuzz(func(t *testing.T, query string) {
		terms, err := parseTextQuery("text", query)
		if err != nil {
			if _, ok := err.(*jqlError); !ok {
				t.Fatalf("error %T is not a Jira error body", err)
			}
			return
		}
		for _, term := range terms {
			if len(term.words) == 0 || term.prefix && len(term.words) != 1 {
				t.Fatalf("malformed term %+v from %q", term, query)
			}
			for _, w := range term.words {
				if w == "" || w != strings.ToLower(w) || len(words(w)) != 1 || stopWords[w] && !term.prefix {
					t.Fatalf("word %q of %q is not one lower-case, non-stop word", w, query)
				}
			}
		}
		for _, is := range s.data.issues {
			matchText(terms, textOf("text", is))
		}
		// The words of a summary, as one query, find that issue.
		for _, is := range s.data.issues {
			ws := words(is.summary)
			if t2, err := parseTextQuery("summary", strings.Join(ws, " ")); err != nil || !matchText(t2, textOf("summary", is)) {
				t.Fatalf("summary words of %s do not find it: %v", is.key, err)
			}
		}
	})
}

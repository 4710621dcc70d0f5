package jiratest

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Text search (the ~ and !~ operators on summary, description, comment and
// the text pseudo-field) as Jira's Lucene index answers it, in a subset:
// the query is split into words (runs of letters and digits, compared
// without case), English stop words are dropped, and every remaining term
// must occur (Jira Cloud's AND semantics). A term is a word, a word with a
// trailing * (any word starting so), or a "quoted phrase" (the words in
// sequence). Lucene operators inside the text (AND, OR, NOT, +word, -word,
// wildcards other than a trailing *) are outside the subset and refused;
// stemming and fuzzy matching are not simulated.

// textTerm is one term of a text query.
type textTerm struct {
	words  []string // one word, or a phrase's words in order
	prefix bool     // the single word is a prefix (trailing *)
}

// stopWords is Lucene's default English stop set, which Jira's index uses.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "but": true,
	"by": true, "for": true, "if": true, "in": true, "into": true, "is": true, "it": true, "no": true,
	"not": true, "of": true, "on": true, "or": true, "such": true, "that": true, "the": true,
	"their": true, "then": true, "there": true, "these": true, "they": true, "this": true, "to": true,
	"was": true, "will": true, "with": true,
}

// words splits text into lower-case words, stop words included.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func withoutStopWords(ws []string) []string {
	return slices.DeleteFunc(ws, func(w string) bool { return stopWords[w] })
}

// parseTextQuery reads the text operand of field ~ query. A query with no
// term left after stop words yields no terms and matches nothing.
func parseTextQuery(field, query string) ([]textTerm, error) {
	if strings.TrimSpace(query) == "" {
		return nil, &jqlError{messages: []string{fmt.Sprintf("The field '%s' does not support searching for an empty string.", field)}}
	}
	outside := func(what string) error {
		return &jqlError{messages: []string{fmt.Sprintf("jiratest: %s in the text query '%s' for field '%s' is outside the simulated JQL subset.", what, query, field)}}
	}
	var terms []textTerm
	rest := query
	for rest != "" {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" {
			break
		}
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, &jqlError{messages: []string{fmt.Sprintf("The text query '%s' for field '%s' is invalid: a phrase is not closed.", query, field)}}
			}
			if ws := withoutStopWords(words(rest[1 : end+1])); len(ws) > 0 {
				terms = append(terms, textTerm{words: ws})
			}
			rest = rest[end+2:]
			continue
		}
		chunk := rest
		if i := strings.IndexFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || r == '"' }); i >= 0 {
			chunk, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		switch {
		case chunk == "AND" || chunk == "OR" || chunk == "NOT" || chunk == "&&" || chunk == "||":
			return nil, outside("the operator " + chunk)
		case strings.HasPrefix(chunk, "*") || strings.HasPrefix(chunk, "?"):
			return nil, &jqlError{messages: []string{fmt.Sprintf("The text query '%s' for field '%s' is not allowed to start with a wildcard.", query, field)}}
		case strings.ContainsAny(chunk[:1], "+-!"):
			return nil, outside("the prefix " + chunk[:1])
		}
		prefix := strings.HasSuffix(chunk, "*")
		body := strings.TrimSuffix(chunk, "*")
		if strings.ContainsAny(body, "*?~^") {
			return nil, outside("the wildcard or modifier in " + chunk)
		}
		ws := words(body)
		if prefix && len(ws) > 0 {
			last := ws[len(ws)-1]
			for _, w := range withoutStopWords(ws[:len(ws)-1]) {
				terms = append(terms, textTerm{words: []string{w}})
			}
			terms = append(terms, textTerm{words: []string{last}, prefix: true})
			continue
		}
		for _, w := range withoutStopWords(ws) {
			terms = append(terms, textTerm{words: []string{w}})
		}
	}
	return terms, nil
}

// matchText reports whether every term occurs in the document's words.
func matchText(terms []textTerm, doc []string) bool {
	if len(terms) == 0 {
		return false
	}
	doc = withoutStopWords(slices.Clone(doc))
	for _, t := range terms {
		if !termIn(t, doc) {
			return false
		}
	}
	return true
}

func termIn(t textTerm, doc []string) bool {
	if t.prefix {
		return slices.ContainsFunc(doc, func(w string) bool { return strings.HasPrefix(w, t.words[0]) })
	}
	for i := 0; i+len(t.words) <= len(doc); i++ {
		if slices.Equal(doc[i:i+len(t.words)], t.words) {
			return true
		}
	}
	return false
}

// textOf returns the words a text field of the issue holds; the text
// pseudo-field is summary, description and comments together.
func textOf(field string, is *issue) []string {
	var parts []string
	if field == "summary" || field == "text" {
		parts = append(parts, is.summary)
	}
	if field == "description" || field == "text" {
		parts = append(parts, is.description)
	}
	if field == "comment" || field == "text" {
		for _, c := range is.comments {
			parts = append(parts, c.body)
		}
	}
	// A newline between parts keeps a phrase from spanning two of them.
	var out []string
	for _, p := range parts {
		out = append(out, words(p)...)
		out = append(out, "\n")
	}
	return out
}

// text compiles field ~ "query" and field !~ "query".
func (c *compiler) text(cl clause) match {
	if cl.op != "~" && cl.op != "!~" {
		return c.fail("The operator '%s' is not supported by the '%s' field.", cl.op, cl.field)
	}
	v := cl.values[0]
	if v.empty {
		return c.fail("The operator '%s' is not supported with EMPTY for the '%s' field.", cl.op, cl.field)
	}
	terms, err := parseTextQuery(cl.field, v.text)
	if err != nil {
		c.errs = append(c.errs, err.(*jqlError).messages...)
		return func(*issue) bool { return false }
	}
	field, negate := cl.field, cl.op == "!~"
	return func(is *issue) bool { return matchText(terms, textOf(field, is)) != negate }
}

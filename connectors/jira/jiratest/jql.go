package jiratest

import (
	"fmt"
	"strings"
	"unicode"
)

// The JQL subset the simulator understands: clauses on project, key/issuekey,
// id, updated/created, status, statusCategory, labels and priority with
// = != IN NOT IN > >= < <= and IS [NOT] EMPTY; text search with ~ and !~ on
// summary, description, comment and text (see textsearch.go); AND, OR,
// parentheses;
// ORDER BY up to seven fields. Anything else is a 400 with Jira's error body
// naming the problem, never a silently wrong answer.

// jqlError is a query Jira would refuse; its messages go to errorMessages.
type jqlError struct{ messages []string }

func (e *jqlError) Error() string { return strings.Join(e.messages, "; ") }

func syntaxError(format string, args ...any) *jqlError {
	return &jqlError{messages: []string{"Error in the JQL Query: " + fmt.Sprintf(format, args...)}}
}

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokWord
	tokString // quoted
	tokOp     // = != > >= < <= ~ !~
	tokLParen
	tokRParen
	tokComma
)

type token struct {
	kind tokenKind
	text string
	pos  int
}

// lex splits a JQL string into tokens.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")", i})
			i++
		case c == ',':
			toks = append(toks, token{tokComma, ",", i})
			i++
		case c == '"' || c == '\'':
			start := i
			i++
			var b strings.Builder
			closed := false
			for i < len(src) {
				if src[i] == '\\' && i+1 < len(src) {
					b.WriteByte(src[i+1])
					i += 2
					continue
				}
				if src[i] == c {
					closed = true
					i++
					break
				}
				b.WriteByte(src[i])
				i++
			}
			if !closed {
				return nil, syntaxError("The quoted string '%s' has not been completed. (line 1, character %d)", src[start:], start+1)
			}
			toks = append(toks, token{tokString, b.String(), start})
		case c == '=' || c == '~':
			toks = append(toks, token{tokOp, string(c), i})
			i++
		case c == '!' || c == '<' || c == '>':
			if i+1 < len(src) && (src[i+1] == '=' || (c == '!' && src[i+1] == '~')) {
				toks = append(toks, token{tokOp, src[i : i+2], i})
				i += 2
				continue
			}
			if c == '!' {
				return nil, syntaxError("Expecting operator but got '!'. (line 1, character %d)", i+1)
			}
			toks = append(toks, token{tokOp, string(c), i})
			i++
		default:
			start := i
			for i < len(src) && isWordByte(src[i]) {
				i++
			}
			if i == start {
				return nil, syntaxError("The character '%c' is a reserved JQL character. You must enclose it in a string or use the escape '\\u%04x' instead. (line 1, character %d)", rune(c), c, i+1)
			}
			toks = append(toks, token{tokWord, src[start:i], start})
		}
	}
	return append(toks, token{tokEOF, "", len(src)}), nil
}

func isWordByte(c byte) bool {
	return c >= 0x80 || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)) || strings.IndexByte("_-.:@/*+", c) >= 0
}

// value is one operand: literal text, whether it was quoted (an unquoted
// number is an epoch-millisecond date), and whether it is EMPTY.
type value struct {
	text   string
	quoted bool
	empty  bool
}

type node interface{ isNode() }

type andNode struct{ kids []node }
type orNode struct{ kids []node }
type clause struct {
	field  string // lower case
	op     string // upper case: = != > >= < <= IN NOT IN IS IS NOT
	values []value
	list   bool
	pos    int
}

func (andNode) isNode() {}
func (orNode) isNode()  {}
func (clause) isNode()  {}

type sortTerm struct {
	field string
	desc  bool
}

type query struct {
	where node // nil: no restriction
	order []sortTerm
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) keyword(words ...string) bool {
	for k, w := range words {
		t := p.toks[min(p.i+k, len(p.toks)-1)]
		if t.kind != tokWord || !strings.EqualFold(t.text, w) {
			return false
		}
	}
	return true
}

// parseJQL parses the subset described above.
func parseJQL(src string) (query, error) {
	toks, err := lex(src)
	if err != nil {
		return query{}, err
	}
	p := &parser{toks: toks}
	var q query
	if !p.keyword("ORDER", "BY") && p.peek().kind != tokEOF {
		if q.where, err = p.or(); err != nil {
			return query{}, err
		}
	}
	if p.keyword("ORDER", "BY") {
		p.i += 2
		for {
			t := p.next()
			if t.kind != tokWord && t.kind != tokString {
				return query{}, syntaxError("Expecting a field name but got '%s'. (line 1, character %d)", t.text, t.pos+1)
			}
			term := sortTerm{field: strings.ToLower(t.text)}
			if p.keyword("ASC") {
				p.i++
			} else if p.keyword("DESC") {
				p.i++
				term.desc = true
			}
			q.order = append(q.order, term)
			if p.peek().kind != tokComma {
				break
			}
			p.i++
		}
		if len(q.order) > 7 {
			return query{}, &jqlError{messages: []string{"The ORDER BY clause can contain a maximum of 7 fields."}}
		}
	}
	if t := p.peek(); t.kind != tokEOF {
		return query{}, syntaxError("Expecting either 'OR' or 'AND' but got '%s'. (line 1, character %d)", t.text, t.pos+1)
	}
	return q, nil
}

func (p *parser) or() (node, error) {
	first, err := p.and()
	if err != nil {
		return nil, err
	}
	kids := []node{first}
	for p.keyword("OR") {
		p.i++
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return orNode{kids}, nil
}

func (p *parser) and() (node, error) {
	first, err := p.unary()
	if err != nil {
		return nil, err
	}
	kids := []node{first}
	for p.keyword("AND") {
		p.i++
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return andNode{kids}, nil
}

func (p *parser) unary() (node, error) {
	if p.keyword("NOT") {
		t := p.peek()
		return nil, &jqlError{messages: []string{fmt.Sprintf("jiratest: the NOT operator (line 1, character %d) is outside the simulated JQL subset.", t.pos+1)}}
	}
	if p.peek().kind == tokLParen {
		p.i++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != tokRParen {
			return nil, syntaxError("Expecting ')' but got '%s'. (line 1, character %d)", t.text, t.pos+1)
		}
		return n, nil
	}
	return p.clause()
}

func (p *parser) clause() (node, error) {
	f := p.next()
	if f.kind != tokWord && f.kind != tokString {
		if f.kind == tokEOF {
			return nil, syntaxError("Expecting a field name at the end of the query.")
		}
		return nil, syntaxError("Expecting a field name but got '%s'. (line 1, character %d)", f.text, f.pos+1)
	}
	c := clause{field: strings.ToLower(f.text), pos: f.pos}
	switch t := p.peek(); {
	case t.kind == tokOp:
		p.i++
		c.op = t.text
	case p.keyword("NOT", "IN"):
		p.i += 2
		c.op = "NOT IN"
	case p.keyword("IN"):
		p.i++
		c.op = "IN"
	case p.keyword("IS", "NOT"):
		p.i += 2
		c.op = "IS NOT"
	case p.keyword("IS"):
		p.i++
		c.op = "IS"
	default:
		if t.kind == tokEOF {
			return nil, syntaxError("Expecting operator before the end of the query. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.")
		}
		return nil, syntaxError("Expecting operator but got '%s'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character %d)", t.text, t.pos+1)
	}
	if c.op == "IN" || c.op == "NOT IN" {
		if t := p.next(); t.kind != tokLParen {
			return nil, syntaxError("Expecting '(' but got '%s'. (line 1, character %d)", t.text, t.pos+1)
		}
		c.list = true
		for {
			v, err := p.operand()
			if err != nil {
				return nil, err
			}
			c.values = append(c.values, v)
			t := p.next()
			if t.kind == tokRParen {
				break
			}
			if t.kind != tokComma {
				return nil, syntaxError("Expecting ')' but got '%s'. (line 1, character %d)", t.text, t.pos+1)
			}
		}
		return c, nil
	}
	v, err := p.operand()
	if err != nil {
		return nil, err
	}
	if (c.op == "IS" || c.op == "IS NOT") && !v.empty {
		return nil, &jqlError{messages: []string{fmt.Sprintf("The operator '%s' can only be used with EMPTY or NULL.", c.op)}}
	}
	c.values = []value{v}
	return c, nil
}

func (p *parser) operand() (value, error) {
	t := p.next()
	switch t.kind {
	case tokString:
		return value{text: t.text, quoted: true}, nil
	case tokWord:
		if p.peek().kind == tokLParen {
			return value{}, &jqlError{messages: []string{fmt.Sprintf("jiratest: the JQL function '%s' is outside the simulated JQL subset.", t.text)}}
		}
		if strings.EqualFold(t.text, "EMPTY") || strings.EqualFold(t.text, "NULL") {
			return value{empty: true}, nil
		}
		if isReserved(t.text) {
			return value{}, syntaxError("Expecting either a value, list or function but got '%s'. (line 1, character %d)", t.text, t.pos+1)
		}
		return value{text: t.text}, nil
	case tokEOF:
		return value{}, syntaxError("Expecting either a value, list or function before the end of the query.")
	}
	return value{}, syntaxError("Expecting either a value, list or function but got '%s'. (line 1, character %d)", t.text, t.pos+1)
}

func isReserved(w string) bool {
	switch strings.ToUpper(w) {
	case "AND", "OR", "NOT", "IN", "IS", "ORDER", "BY", "ASC", "DESC":
		return true
	}
	return false
}

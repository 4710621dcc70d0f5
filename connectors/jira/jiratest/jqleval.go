package jiratest

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// match reports whether an issue satisfies a compiled condition.
type match func(is *issue) bool

// compiled is a query bound to the site's data: a predicate and an order.
type compiled struct {
	where match
	order []sortTerm
}

// compiler binds a parsed query to the data. Like Jira it validates every
// value (projects, statuses, issue keys and ids) and reports all problems at
// once.
type compiler struct {
	st   *store
	loc  *time.Location
	now  time.Time
	errs []string
}

var (
	keyShape     = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_]*)-([0-9]+)$`)
	relativeDate = regexp.MustCompile(`^([-+]?)(\d+)([wdhm]?)$`)
)

func compile(q query, st *store, loc *time.Location, now time.Time) (compiled, error) {
	c := &compiler{st: st, loc: loc, now: now}
	out := compiled{where: func(*issue) bool { return true }}
	if q.where != nil {
		out.where = c.node(q.where)
	}
	for _, t := range q.order {
		switch t.field {
		case "updated", "updateddate", "created", "createddate", "key", "issuekey", "id", "priority":
			out.order = append(out.order, t)
		case "summary", "status", "labels", "project", "statuscategory", "resolution", "fixversion":
			c.errs = append(c.errs, fmt.Sprintf("Not able to sort using field '%s'.", t.field))
		default:
			c.errs = append(c.errs, fmt.Sprintf("Field '%s' does not exist or you do not have permission to view it.", t.field))
		}
	}
	if len(c.errs) > 0 {
		return compiled{}, &jqlError{messages: c.errs}
	}
	return out, nil
}

func (c *compiler) node(n node) match {
	switch n := n.(type) {
	case andNode:
		kids := c.nodes(n.kids)
		return func(is *issue) bool {
			for _, k := range kids {
				if !k(is) {
					return false
				}
			}
			return true
		}
	case orNode:
		kids := c.nodes(n.kids)
		return func(is *issue) bool {
			for _, k := range kids {
				if k(is) {
					return true
				}
			}
			return false
		}
	case clause:
		return c.clause(n)
	}
	panic(fmt.Sprintf("jiratest: unknown JQL node %T", n))
}

func (c *compiler) nodes(ns []node) []match {
	out := make([]match, len(ns))
	for i, n := range ns {
		out[i] = c.node(n)
	}
	return out
}

func (c *compiler) fail(format string, args ...any) match {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
	return func(*issue) bool { return false }
}

func (c *compiler) clause(cl clause) match {
	switch cl.field {
	case "project":
		return c.equality(cl, func(v value) (func(*issue) bool, bool) {
			for _, p := range c.st.projects {
				if strings.EqualFold(p.key, v.text) || p.name == v.text || strconv.FormatInt(p.id, 10) == v.text {
					return func(is *issue) bool { return is.project == p }, true
				}
			}
			c.errs = append(c.errs, fmt.Sprintf("The value '%s' does not exist for the field 'project'.", v.text))
			return nil, false
		})
	case "key", "issuekey", "issue", "id":
		if cl.op != "=" && cl.op != "!=" && cl.op != "IN" && cl.op != "NOT IN" {
			return c.fail("jiratest: the operator '%s' on field '%s' is outside the simulated JQL subset.", cl.op, cl.field)
		}
		return c.equality(cl, func(v value) (func(*issue) bool, bool) { return c.issueRef(cl.field, v) })
	case "status":
		return c.equality(cl, func(v value) (func(*issue) bool, bool) {
			for _, s := range c.st.statuses {
				if strings.EqualFold(s.Name, v.text) || s.ID == v.text {
					return func(is *issue) bool { return is.status.ID == s.ID }, true
				}
			}
			c.errs = append(c.errs, fmt.Sprintf("The value '%s' does not exist for the field 'status'.", v.text))
			return nil, false
		})
	case "statuscategory":
		return c.equality(cl, func(v value) (func(*issue) bool, bool) {
			for _, sc := range statusCategories {
				if strings.EqualFold(sc.Key, v.text) || strings.EqualFold(sc.Name, v.text) || strconv.Itoa(sc.ID) == v.text {
					return func(is *issue) bool { return is.status.Category == sc.Key }, true
				}
			}
			c.errs = append(c.errs, fmt.Sprintf("The value '%s' does not exist for the field 'statusCategory'.", v.text))
			return nil, false
		})
	case "priority":
		return c.equality(cl, func(v value) (func(*issue) bool, bool) {
			for _, p := range c.st.priorities {
				if strings.EqualFold(p.Name, v.text) || p.ID == v.text {
					return func(is *issue) bool { return is.priority != nil && is.priority.ID == p.ID }, true
				}
			}
			c.errs = append(c.errs, fmt.Sprintf("The value '%s' does not exist for the field 'priority'.", v.text))
			return nil, false
		})
	case "labels":
		return c.labels(cl)
	case "updated", "updateddate", "created", "createddate":
		return c.date(cl)
	case "summary", "description", "comment", "text":
		return c.text(cl)
	}
	if cl.op == "~" || cl.op == "!~" {
		return c.fail("The operator '%s' is not supported by the '%s' field.", cl.op, cl.field)
	}
	if _, ok := c.st.field(cl.field); ok {
		return c.fail("jiratest: the field '%s' is outside the simulated JQL subset.", cl.field)
	}
	return c.fail("Field '%s' does not exist or you do not have permission to view it.", cl.field)
}

// equality compiles = != IN NOT IN over values resolved by one.
func (c *compiler) equality(cl clause, one func(value) (func(*issue) bool, bool)) match {
	if cl.op != "=" && cl.op != "!=" && cl.op != "IN" && cl.op != "NOT IN" {
		return c.fail("The operator '%s' is not supported by the '%s' field.", cl.op, cl.field)
	}
	var preds []func(*issue) bool
	for _, v := range cl.values {
		if v.empty {
			return c.fail("jiratest: EMPTY on field '%s' is outside the simulated JQL subset.", cl.field)
		}
		if p, ok := one(v); ok {
			preds = append(preds, p)
		}
	}
	negate := cl.op == "!=" || cl.op == "NOT IN"
	return func(is *issue) bool {
		hit := slices.ContainsFunc(preds, func(p func(*issue) bool) bool { return p(is) })
		return hit != negate
	}
}

// issueRef resolves a key or id the way Jira's issue-key validator does:
// malformed keys are invalid, unknown ones "do not exist", old keys of moved
// issues resolve to them. Jira refuses the whole query with 400 and one
// message per bad value, e.g. {"errorMessages":["An issue with key
// 'DELETED-1' does not exist for field 'key'."],"errors":{}}
// (atlassian-api/atlassian-python-api#752; only the legacy search's
// validateQuery=warn turns these into warnings, and /search/jql has no such
// parameter) and "The issue key '0.0' for field 'key' is invalid."
// (hygieia/hygieia#1376). A key of a project that does not exist is a key
// that resolves to no issue: the same "does not exist" message (inferred,
// not observed).
func (c *compiler) issueRef(field string, v value) (func(*issue) bool, bool) {
	name := field
	if name == "issuekey" || name == "issue" {
		name = "key"
	}
	text := strings.TrimSpace(v.text)
	if id, err := strconv.ParseInt(text, 10, 64); err == nil {
		if is := c.st.issues[id]; is != nil {
			return func(x *issue) bool { return x == is }, true
		}
		c.errs = append(c.errs, fmt.Sprintf("An issue with key '%s' does not exist for field '%s'.", text, name))
		return nil, false
	}
	if !keyShape.MatchString(text) {
		c.errs = append(c.errs, fmt.Sprintf("The issue key '%s' for field '%s' is invalid.", text, name))
		return nil, false
	}
	if is := c.st.byKey[strings.ToUpper(text)]; is != nil {
		return func(x *issue) bool { return x == is }, true
	}
	c.errs = append(c.errs, fmt.Sprintf("An issue with key '%s' does not exist for field '%s'.", text, name))
	return nil, false
}

func (c *compiler) labels(cl clause) match {
	switch cl.op {
	case "IS", "IS NOT":
		empty := cl.op == "IS"
		return func(is *issue) bool { return (len(is.labels) == 0) == empty }
	case "=", "IN", "!=", "NOT IN":
	default:
		return c.fail("The operator '%s' is not supported by the 'labels' field.", cl.op)
	}
	var want []string
	for _, v := range cl.values {
		if v.empty {
			return c.fail("jiratest: EMPTY in a labels list is outside the simulated JQL subset.")
		}
		want = append(want, v.text)
	}
	negate := cl.op == "!=" || cl.op == "NOT IN"
	return func(is *issue) bool {
		hit := slices.ContainsFunc(is.labels, func(l string) bool { return slices.Contains(want, l) })
		if negate {
			// Like SQL, Jira leaves issues without labels out of != and NOT IN.
			return len(is.labels) > 0 && !hit
		}
		return hit
	}
}

const dateFormats = "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."

// date compiles a comparison on updated or created. Unquoted integers are
// milliseconds since the epoch ("if you omit the quote-marks, the number you
// supply will be interpreted as milliseconds after epoch", Atlassian's JQL
// date-time formats page); date strings are read in the searching user's
// profile time zone with the precision they carry (a day or a minute).
func (c *compiler) date(cl clause) match {
	field := strings.TrimSuffix(cl.field, "date")
	if cl.op == "~" || cl.op == "!~" {
		return c.fail("The operator '%s' is not supported by the '%s' field.", cl.op, field)
	}
	if cl.list || cl.op == "IS" || cl.op == "IS NOT" {
		return c.fail("jiratest: the operator '%s' on field '%s' is outside the simulated JQL subset.", cl.op, field)
	}
	from, until, ok := c.instant(cl.values[0])
	if !ok {
		return c.fail("Date value '%s' for field '%s' is invalid. %s", cl.values[0].text, field, dateFormats)
	}
	get := func(is *issue) time.Time { return is.updated }
	if field == "created" {
		get = func(is *issue) time.Time { return is.created }
	}
	switch cl.op {
	case ">=":
		return func(is *issue) bool { return !get(is).Before(from) }
	case ">":
		return func(is *issue) bool { return get(is).After(from) }
	case "<":
		return func(is *issue) bool { return get(is).Before(from) }
	case "<=":
		return func(is *issue) bool { return !get(is).After(from) }
	case "=":
		return func(is *issue) bool { t := get(is); return !t.Before(from) && t.Before(until) }
	case "!=":
		return func(is *issue) bool { t := get(is); return t.Before(from) || !t.Before(until) }
	}
	return c.fail("The operator '%s' is not supported by the '%s' field.", cl.op, field)
}

// instant reads a date operand as the start of the period it names and the
// end of that period (exclusive), for "=".
func (c *compiler) instant(v value) (from, until time.Time, ok bool) {
	if !v.quoted {
		if ms, err := strconv.ParseInt(v.text, 10, 64); err == nil {
			t := time.UnixMilli(ms)
			return t, t.Add(time.Millisecond), true
		}
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006/01/02 15:04"} {
		if t, err := time.ParseInLocation(layout, v.text, c.loc); err == nil {
			return t, t.Add(time.Minute), true
		}
	}
	for _, layout := range []string{"2006-01-02", "2006/01/02"} {
		if t, err := time.ParseInLocation(layout, v.text, c.loc); err == nil {
			return t, t.AddDate(0, 0, 1), true
		}
	}
	if m := relativeDate.FindStringSubmatch(v.text); m != nil {
		n, _ := strconv.Atoi(m[2])
		unit := map[string]time.Duration{"w": 7 * 24 * time.Hour, "d": 24 * time.Hour, "h": time.Hour, "m": time.Minute, "": time.Minute}[m[3]]
		d := time.Duration(n) * unit
		if m[1] == "-" {
			d = -d
		}
		t := c.now.Add(d).Truncate(time.Minute)
		return t, t.Add(time.Minute), true
	}
	return time.Time{}, time.Time{}, false
}

// sortKey is one issue's position under an ORDER BY; it is also what a
// nextPageToken remembers, so paging resumes after the last issue returned
// even when issues change in between (search-after, not offsets).
type sortKey []sortVal

type sortVal struct {
	S string `json:"s,omitempty"`
	I int64  `json:"i,omitempty"`
}

func (c compiled) key(st *store, is *issue) sortKey {
	k := make(sortKey, 0, len(c.order)+1)
	for _, t := range c.order {
		var v sortVal
		switch t.field {
		case "updated", "updateddate":
			v.I = is.updated.UnixMilli()
		case "created", "createddate":
			v.I = is.created.UnixMilli()
		case "key", "issuekey":
			v.S = is.project.key
			n, _ := strconv.ParseInt(is.key[strings.LastIndexByte(is.key, '-')+1:], 10, 64)
			v.I = n
		case "id":
			v.I = is.id
		case "priority":
			v.I = int64(len(st.priorities))
			if is.priority != nil {
				v.I = int64(slices.IndexFunc(st.priorities, func(p Priority) bool { return p.ID == is.priority.ID }))
			}
		}
		k = append(k, v)
	}
	return append(k, sortVal{I: is.id})
}

// compare orders two sort keys under the query's directions; the trailing
// id (descending, as Jira's default) makes the order total.
func (c compiled) compare(a, b sortKey) int {
	for i := range a {
		r := cmp.Or(cmp.Compare(a[i].S, b[i].S), cmp.Compare(a[i].I, b[i].I))
		if i == len(c.order) || c.order[i].desc {
			r = -r
		}
		if r != 0 {
			return r
		}
	}
	return 0
}

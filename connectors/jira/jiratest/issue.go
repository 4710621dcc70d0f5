package jiratest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

func (s *Site) getIssue(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.data.lookup(r.PathValue("issueIdOrKey"))
	if is == nil {
		writeNoIssue(w)
		return
	}
	q := r.URL.Query()
	writeJSON(w, http.StatusOK, s.view(r).issue(s.data, is, parseFields(q["fields"], "*all"), splitList(q.Get("expand"))))
}

// editBody is IssueUpdateDetails.
type editBody struct {
	Fields          map[string]json.RawMessage   `json:"fields"`
	Update          map[string][]json.RawMessage `json:"update"`
	HistoryMetadata json.RawMessage              `json:"historyMetadata"`
	Properties      json.RawMessage              `json:"properties"`
	Transition      json.RawMessage              `json:"transition"`
}

// readBody decodes a JSON request body, answering Jira's 400 for an empty
// or unparsable one (then ok is false).
func readBody[T any](w http.ResponseWriter, r *http.Request) (body T, ok bool) {
	raw, err := io.ReadAll(r.Body)
	if err != nil || len(bytes.TrimSpace(raw)) == 0 {
		writeError(w, http.StatusBadRequest, []string{"No content to map due to end-of-input"}, nil)
		return body, false
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		writeError(w, http.StatusBadRequest, []string{"Unexpected character in the request body: " + err.Error()}, nil)
		return body, false
	}
	return body, true
}

// editIssue is PUT /issue/{issueIdOrKey}: fields (set) and update (verbs),
// validated as Jira does, applied atomically with one changelog history.
func (s *Site) editIssue(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody[editBody](w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	is := s.data.lookup(r.PathValue("issueIdOrKey"))
	if is == nil {
		s.mu.Unlock()
		writeNoIssue(w)
		return
	}
	e := &editor{st: s.data, next: cloneEditable(is), errs: map[string]string{}}
	for _, id := range sortedKeys(body.Fields) {
		if _, both := body.Update[id]; both {
			e.errs[id] = fmt.Sprintf("Field '%s' cannot be set in 'fields' and 'update' of the same request.", id)
			continue
		}
		e.set(id, body.Fields[id])
	}
	for _, id := range sortedKeys(body.Update) {
		if _, both := body.Fields[id]; both {
			continue
		}
		e.update(id, body.Update[id])
	}
	if len(e.errs) > 0 {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, nil, e.errs)
		return
	}
	caller := s.caller(r)
	items := diff(s.data, is, e.next)
	applyEditable(is, e.next)
	var ev *event
	if len(items) > 0 {
		h := s.data.touch(is, caller.AccountID, s.now(), items)
		// notifyUsers=false is honoured only for administrators; Jira
		// ignores it (and notifies) for everyone else.
		if q.Get("notifyUsers") != "false" || !caller.Admin {
			is.notified++
		}
		ev = s.issueEvent(eventUpdated, is, caller.AccountID, h, nil)
	}
	var out map[string]any
	if q.Get("returnIssue") == "true" {
		out = s.view(r).issue(s.data, is, parseFields(nil, "*all"), splitList(q.Get("expand")))
	}
	s.mu.Unlock()
	s.webhooks.send(ev)
	if out != nil {
		writeJSON(w, http.StatusOK, out)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// editable is the part of an issue the edit endpoint can change.
type editable struct {
	summary  string
	priority *Priority
	labels   []string
	custom   map[string]any
}

func cloneEditable(is *issue) editable {
	e := editable{summary: is.summary, priority: is.priority, labels: slices.Clone(is.labels), custom: map[string]any{}}
	for k, v := range is.custom {
		e.custom[k] = v
	}
	return e
}

func applyEditable(is *issue, e editable) {
	is.summary, is.priority, is.labels, is.custom = e.summary, e.priority, e.labels, e.custom
}

func diff(st *store, is *issue, next editable) []changeItem {
	var items []changeItem
	if is.summary != next.summary {
		items = append(items, change("summary", "jira", is.summary, next.summary))
	}
	if (is.priority == nil) != (next.priority == nil) || is.priority != nil && is.priority.ID != next.priority.ID {
		from, to := "", ""
		if is.priority != nil {
			from = is.priority.Name
		}
		if next.priority != nil {
			to = next.priority.Name
		}
		c := change("priority", "jira", from, to)
		if is.priority != nil {
			c.From = strp(is.priority.ID)
		}
		if next.priority != nil {
			c.To = strp(next.priority.ID)
		}
		items = append(items, c)
	}
	items = append(items, labelChange(is.labels, next.labels)...)
	for _, f := range st.fields {
		if !f.Custom {
			continue
		}
		a, b := numberString(is.custom[f.ID]), numberString(next.custom[f.ID])
		if a != b {
			items = append(items, changeItem{Field: f.Name, FieldType: "custom", FieldID: f.ID,
				From: nilIfEmpty(a), FromString: nilIfEmpty(a), To: nilIfEmpty(b), ToString: nilIfEmpty(b)})
		}
	}
	return items
}

// editor validates and stages one edit request.
type editor struct {
	st   *store
	next editable
	errs map[string]string
}

func notOnScreen(id string) string {
	return fmt.Sprintf("Field '%s' cannot be set. It is not on the appropriate screen, or unknown.", id)
}

func (e *editor) set(id string, raw json.RawMessage) {
	switch id {
	case "summary":
		var v string
		if json.Unmarshal(raw, &v) != nil || strings.TrimSpace(v) == "" {
			e.errs[id] = "You must specify a summary of the issue."
			return
		}
		if msg := summaryError(v); msg != "" {
			e.errs[id] = msg
			return
		}
		e.next.summary = v
	case "priority":
		e.setPriority(raw)
	case "labels":
		var v []string
		if json.Unmarshal(raw, &v) != nil {
			e.errs[id] = "data was not an array"
			return
		}
		if e.validLabels(v) {
			e.next.labels = nonNil(v)
		}
	default:
		f, ok := e.st.field(id)
		if !ok || !f.Custom {
			e.errs[id] = notOnScreen(id)
			return
		}
		e.setNumber(f, raw)
	}
}

func (e *editor) setPriority(raw json.RawMessage) {
	var ref struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &ref) != nil {
		e.errs["priority"] = "Could not find valid 'id' or 'name' in priority object."
		return
	}
	p, ok := e.st.priority(ref.ID, ref.Name)
	if !ok {
		e.errs["priority"] = "Specify a valid 'id' or 'name' for Priority"
		return
	}
	e.next.priority = &p
}

func (e *editor) setNumber(f Field, raw json.RawMessage) {
	if string(bytes.TrimSpace(raw)) == "null" {
		e.next.custom[f.ID] = nil
		return
	}
	var n float64
	if json.Unmarshal(raw, &n) != nil {
		e.errs[f.ID] = "Operation value must be a number"
		return
	}
	e.next.custom[f.ID] = n
}

func (e *editor) validLabels(ls []string) bool {
	for _, l := range ls {
		if strings.ContainsAny(l, " \t\n") || l == "" {
			e.errs["labels"] = fmt.Sprintf("The label '%s' contains spaces which is invalid.", l)
			return false
		}
		if len(l) > 255 {
			e.errs["labels"] = "The label must not exceed 255 characters."
			return false
		}
	}
	return true
}

// update applies FieldUpdateOperation verbs in order.
func (e *editor) update(id string, ops []json.RawMessage) {
	for _, raw := range ops {
		var op map[string]json.RawMessage
		if json.Unmarshal(raw, &op) != nil || len(op) != 1 {
			e.errs[id] = "Each update operation must have exactly one verb."
			return
		}
		for verb, arg := range op {
			e.verb(id, verb, arg)
		}
	}
}

func (e *editor) verb(id, verb string, arg json.RawMessage) {
	switch {
	case id == "labels" && (verb == "add" || verb == "remove"):
		var l string
		if json.Unmarshal(arg, &l) != nil || !e.validLabels([]string{l}) {
			if e.errs[id] == "" {
				e.errs[id] = "Label operations take a string."
			}
			return
		}
		if verb == "add" && !slices.Contains(e.next.labels, l) {
			e.next.labels = append(e.next.labels, l)
		}
		if verb == "remove" {
			e.next.labels = slices.DeleteFunc(e.next.labels, func(x string) bool { return x == l })
		}
	case verb == "set":
		e.set(id, arg)
	case id == "labels" || id == "priority" || id == "summary":
		e.errs[id] = fmt.Sprintf("The operation '%s' is not supported for field '%s'.", verb, id)
	default:
		if f, ok := e.st.field(id); ok && f.Custom {
			e.errs[id] = fmt.Sprintf("The operation '%s' is not supported for field '%s'.", verb, id)
			return
		}
		e.errs[id] = notOnScreen(id)
	}
}

// getChangelog is GET /issue/{issueIdOrKey}/changelog: PageBeanChangelog,
// oldest first, 100 per page by default.
func (s *Site) getChangelog(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.data.lookup(r.PathValue("issueIdOrKey"))
	if is == nil {
		writeNoIssue(w)
		return
	}
	start, limit, ok := paging(w, r, 100, 100)
	if !ok {
		return
	}
	v := s.view(r)
	end := min(start+limit, len(is.histories))
	values := []any{}
	for _, h := range is.histories[min(start, end):end] {
		values = append(values, v.history(s.data, h))
	}
	self := v.api("/issue/" + is.key + "/changelog")
	out := map[string]any{"self": self + "?startAt=" + strconv.Itoa(start) + "&maxResults=" + strconv.Itoa(limit),
		"startAt": start, "maxResults": limit, "total": len(is.histories), "isLast": end >= len(is.histories), "values": values}
	if end < len(is.histories) {
		out["nextPage"] = self + "?startAt=" + strconv.Itoa(end) + "&maxResults=" + strconv.Itoa(limit)
	}
	writeJSON(w, http.StatusOK, out)
}

// paging reads startAt and maxResults (default def, capped at max).
func paging(w http.ResponseWriter, r *http.Request, def, max int) (start, limit int, ok bool) {
	q := r.URL.Query()
	limit = def
	for name, dst := range map[string]*int{"startAt": &start, "maxResults": &limit} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				writeError(w, http.StatusBadRequest, []string{fmt.Sprintf("The '%s' parameter must be a non-negative integer.", name)}, nil)
				return 0, 0, false
			}
			*dst = n
		}
	}
	if limit == 0 || limit > max {
		limit = max
	}
	return start, limit, true
}

package jiratest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"
)

// maxSummary is Jira's limit on a summary, in characters.
const maxSummary = 255

// createIssue is POST /issue: IssueUpdateDetails with fields.project and
// fields.issuetype (by id or key/name), a summary, optionally a
// description (a string in v2, an ADF document in v3), labels,
// components of the project (by name or id), priority and custom number
// fields. Refusals are Jira's 400 ErrorCollection with
// one entry per field at fault; the caller is reporter and creator.
func (s *Site) createIssue(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody[editBody](w, r)
	if !ok {
		return
	}
	version := r.PathValue("v")
	caller := s.caller(r)
	s.mu.Lock()
	st := s.data
	errs := map[string]string{}
	p := st.projectFromRef(body.Fields["project"])
	if p == nil {
		errs["project"] = "Specify a valid project ID or key"
	}
	if !validIssueType(body.Fields["issuetype"]) {
		errs["issuetype"] = "Specify a valid issue type"
	}
	e := &editor{st: st, next: editable{custom: map[string]any{}}, errs: errs}
	if _, ok := body.Fields["summary"]; !ok {
		errs["summary"] = "You must specify a summary of the issue."
	}
	var description string
	var components []string
	for _, id := range sortedKeys(body.Fields) {
		switch id {
		case "project", "issuetype":
		case "components":
			components = projectComponents(p, body.Fields[id], errs)
		case "description":
			text, ok := descriptionText(version, body.Fields[id])
			if !ok {
				errs[id] = descriptionError(version)
			}
			description = text
		default:
			e.set(id, body.Fields[id])
		}
	}
	for _, id := range sortedKeys(body.Update) {
		e.update(id, body.Update[id])
	}
	if len(errs) > 0 {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, nil, errs)
		return
	}
	now := s.now()
	st.nextID++
	is := &issue{id: st.nextID, key: fmt.Sprintf("%s-%d", p.key, p.next), project: p, issueType: "Bug",
		description: description, reporter: caller.AccountID, creator: caller.AccountID,
		components: components, created: now, updated: now}
	p.next++
	is.status, _ = st.statusByName("To Do")
	if e.next.priority == nil {
		pr, _ := st.priority("3", "")
		e.next.priority = &pr
	}
	applyEditable(is, e.next)
	st.issues[is.id], st.byKey[is.key] = is, is
	ev := s.issueEvent(eventCreated, is, caller.AccountID, nil, nil)
	id := strconv.FormatInt(is.id, 10)
	out := map[string]any{"id": id, "key": is.key, "self": s.view(r).api("/issue/" + id)}
	s.mu.Unlock()
	s.webhooks.send(ev)
	writeJSON(w, http.StatusCreated, out)
}

// projectComponents resolves fields.components, [{"name":…} or {"id":…}],
// against the project's components, refusing an unknown one as Jira does.
// A component's id is its position in the project, from 1.
func projectComponents(p *project, raw json.RawMessage, errs map[string]string) []string {
	var refs []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &refs) != nil {
		errs["components"] = "data was not an array"
		return nil
	}
	if p == nil {
		return nil
	}
	var out []string
	for _, ref := range refs {
		if ref.ID != "" {
			n, err := strconv.Atoi(ref.ID)
			if err != nil || n < 1 || n > len(p.components) {
				errs["components"] = fmt.Sprintf("Component with id '%s' does not exist.", ref.ID)
				return nil
			}
			out = append(out, p.components[n-1])
			continue
		}
		if !slices.Contains(p.components, ref.Name) {
			errs["components"] = fmt.Sprintf("Component name '%s' is not valid", ref.Name)
			return nil
		}
		out = append(out, ref.Name)
	}
	return out
}

// projectFromRef resolves fields.project: {"key":…} or {"id":…}.
func (st *store) projectFromRef(raw json.RawMessage) *project {
	var ref struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if raw == nil || json.Unmarshal(raw, &ref) != nil {
		return nil
	}
	if ref.Key != "" {
		return st.projects[ref.Key]
	}
	if ref.ID != "" {
		return st.projectRef(ref.ID)
	}
	return nil
}

// validIssueType accepts the one issue type the simulator has, Bug, by
// id or name.
func validIssueType(raw json.RawMessage) bool {
	var ref struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if raw == nil || json.Unmarshal(raw, &ref) != nil {
		return false
	}
	return ref.ID == "10004" || (ref.ID == "" && ref.Name == "Bug")
}

// descriptionText reads a description: a string in v2, an ADF document in
// v3 (its text, paragraphs joined by newlines); null is no description.
func descriptionText(version string, raw json.RawMessage) (string, bool) {
	if string(bytes.TrimSpace(raw)) == "null" {
		return "", true
	}
	return commentText(version, raw)
}

func descriptionError(version string) string {
	if version == "2" {
		return "Operation value must be a string"
	}
	return "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
}

// summaryError is the refusal of a summary Jira would not store, "" when
// the summary is fine.
func summaryError(summary string) string {
	if utf8.RuneCountInString(summary) > maxSummary {
		return fmt.Sprintf("Summary must be less than %d characters.", maxSummary)
	}
	return ""
}

package jiratest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// getComments is GET /issue/{issueIdOrKey}/comment: PageOfComments.
func (s *Site) getComments(w http.ResponseWriter, r *http.Request) {
	order := r.URL.Query().Get("orderBy")
	if order != "" && order != "created" && order != "+created" && order != "-created" {
		writeError(w, http.StatusBadRequest, []string{"orderBy must be 'created', '+created' or '-created'."}, nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.data.lookup(r.PathValue("issueIdOrKey"))
	if is == nil {
		writeNoIssue(w)
		return
	}
	start, limit, ok := paging(w, r, 100, 5000)
	if !ok {
		return
	}
	all := slices.Clone(is.comments)
	if order == "-created" {
		slices.Reverse(all)
	}
	end := min(start+limit, len(all))
	v := s.view(r)
	comments := []any{}
	for _, c := range all[min(start, end):end] {
		comments = append(comments, v.comment(s.data, is, c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"comments": comments, "startAt": start, "maxResults": limit, "total": len(all)})
}

// addComment is POST /issue/{issueIdOrKey}/comment: a plain-text body in
// v2, an Atlassian Document Format body in v3.
func (s *Site) addComment(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Body       json.RawMessage `json:"body"`
		Visibility json.RawMessage `json:"visibility"`
		Properties json.RawMessage `json:"properties"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, []string{"Unexpected character in the request body: " + err.Error()}, nil)
		return
	}
	version := r.PathValue("v")
	text, ok := commentText(version, req.Body)
	if !ok {
		writeError(w, http.StatusBadRequest, nil, map[string]string{"comment": "Comment body is not valid!"})
		return
	}
	if strings.TrimSpace(text) == "" {
		writeError(w, http.StatusBadRequest, nil, map[string]string{"comment": "Comment body can not be empty!"})
		return
	}
	s.mu.Lock()
	is := s.data.lookup(r.PathValue("issueIdOrKey"))
	if is == nil {
		s.mu.Unlock()
		writeNoIssue(w)
		return
	}
	caller := s.caller(r)
	c := s.data.addComment(is, caller.AccountID, text, s.now())
	out := s.view(r).comment(s.data, is, c)
	ev := s.issueEvent(eventComment, is, caller.AccountID, nil, c)
	s.mu.Unlock()
	s.webhooks.send(ev)
	writeJSON(w, http.StatusCreated, out)
}

// commentText extracts the text of a comment body: a JSON string in v2, the
// text nodes of an ADF document (paragraphs joined by newlines) in v3.
func commentText(version string, raw json.RawMessage) (string, bool) {
	if version == "2" {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	}
	var doc adfNode
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Type != "doc" || doc.Version != 1 {
		return "", false
	}
	var paras []string
	for _, n := range doc.Content {
		paras = append(paras, n.text())
	}
	return strings.Join(paras, "\n"), true
}

type adfNode struct {
	Type    string    `json:"type"`
	Version int       `json:"version"`
	Text    string    `json:"text"`
	Content []adfNode `json:"content"`
}

func (n adfNode) text() string {
	var b strings.Builder
	b.WriteString(n.Text)
	for _, c := range n.Content {
		b.WriteString(c.text())
	}
	return b.String()
}

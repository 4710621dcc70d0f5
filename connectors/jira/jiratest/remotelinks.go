package jiratest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
)

type remoteLink struct {
	id           int64
	globalID     string
	application  json.RawMessage
	relationship string
	object       json.RawMessage
}

// RemoteLink is a remote issue link as tests read it back; Object is the
// decoded "object" member (url, title, summary, icon, status).
type RemoteLink struct {
	ID           int64
	GlobalID     string
	Application  map[string]any
	Relationship string
	Object       map[string]any
}

// RemoteLinks returns the issue's remote links in creation order.
func (s *Site) RemoteLinks(idOrKey string) []RemoteLink {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.data.lookup(idOrKey)
	if is == nil {
		return nil
	}
	out := make([]RemoteLink, len(is.links))
	for i, l := range is.links {
		out[i] = RemoteLink{ID: l.id, GlobalID: l.globalID, Relationship: l.relationship}
		_ = json.Unmarshal(l.application, &out[i].Application)
		_ = json.Unmarshal(l.object, &out[i].Object)
	}
	return out
}

func (v view) remoteLink(is *issue, l *remoteLink) map[string]any {
	out := map[string]any{"id": l.id, "self": v.api("/issue/" + is.key + "/remotelink/" + strconv.FormatInt(l.id, 10))}
	if l.globalID != "" {
		out["globalId"] = l.globalID
	}
	if l.application != nil {
		out["application"] = l.application
	}
	if l.relationship != "" {
		out["relationship"] = l.relationship
	}
	out["object"] = l.object
	return out
}

func (s *Site) getRemoteLinks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.data.lookup(r.PathValue("issueIdOrKey"))
	if is == nil {
		writeNoIssue(w)
		return
	}
	v := s.view(r)
	if gid := r.URL.Query().Get("globalId"); gid != "" {
		i := slices.IndexFunc(is.links, func(l *remoteLink) bool { return l.globalID == gid })
		if i < 0 {
			writeError(w, http.StatusNotFound, []string{"No remote link with the given global ID exists."}, nil)
			return
		}
		writeJSON(w, http.StatusOK, v.remoteLink(is, is.links[i]))
		return
	}
	out := []any{}
	for _, l := range is.links {
		out = append(out, v.remoteLink(is, l))
	}
	writeJSON(w, http.StatusOK, out)
}

// upsertRemoteLink is POST /issue/{issueIdOrKey}/remotelink: a link with the
// same globalId is replaced whole (members left out become null), otherwise
// a new link is created.
func (s *Site) upsertRemoteLink(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GlobalID     string          `json:"globalId"`
		Application  json.RawMessage `json:"application"`
		Relationship string          `json:"relationship"`
		Object       json.RawMessage `json:"object"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, []string{"Unexpected character in the request body: " + err.Error()}, nil)
		return
	}
	var obj struct {
		URL   string `json:"url"`
		Title string `json:"title"`
	}
	errs := map[string]string{}
	if len(req.GlobalID) > 255 {
		errs["globalId"] = "The global ID must be at most 255 characters."
	}
	if req.Object == nil || json.Unmarshal(req.Object, &obj) != nil {
		errs["object"] = "'object' is required."
	} else {
		if obj.URL == "" {
			errs["url"] = "'url' is required."
		}
		if obj.Title == "" {
			errs["title"] = "'title' is required."
		}
	}
	if len(errs) > 0 {
		writeError(w, http.StatusBadRequest, nil, errs)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.data.lookup(r.PathValue("issueIdOrKey"))
	if is == nil {
		writeNoIssue(w)
		return
	}
	status := http.StatusCreated
	var l *remoteLink
	if req.GlobalID != "" {
		if i := slices.IndexFunc(is.links, func(l *remoteLink) bool { return l.globalID == req.GlobalID }); i >= 0 {
			l, status = is.links[i], http.StatusOK
		}
	}
	if l == nil {
		l = &remoteLink{id: s.data.objID()}
		is.links = append(is.links, l)
	}
	l.globalID, l.application, l.relationship, l.object = req.GlobalID, req.Application, req.Relationship, req.Object
	v := s.view(r)
	writeJSON(w, status, map[string]any{"id": l.id, "self": v.api("/issue/" + is.key + "/remotelink/" + strconv.FormatInt(l.id, 10))})
}

// deleteRemoteLink is DELETE /issue/{issueIdOrKey}/remotelink?globalId=….
func (s *Site) deleteRemoteLink(w http.ResponseWriter, r *http.Request) {
	gid := r.URL.Query().Get("globalId")
	if gid == "" {
		writeError(w, http.StatusBadRequest, []string{"The global ID of the remote link must be provided."}, nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.data.lookup(r.PathValue("issueIdOrKey"))
	if is == nil {
		writeNoIssue(w)
		return
	}
	i := slices.IndexFunc(is.links, func(l *remoteLink) bool { return l.globalID == gid })
	if i < 0 {
		writeError(w, http.StatusNotFound, []string{"No remote link with the given global ID exists."}, nil)
		return
	}
	is.links = slices.Delete(is.links, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}

package jiratest

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
)

// routes registers every endpoint for both API versions, so the request log
// names the version a client really used.
func (s *Site) routes() http.Handler {
	mux := http.NewServeMux()
	for _, v := range []string{"2", "3"} {
		api := "/rest/api/" + v
		handle := func(pattern string, h http.HandlerFunc) {
			method, path, _ := strings.Cut(pattern, " ")
			mux.HandleFunc(method+" "+api+path, func(w http.ResponseWriter, r *http.Request) {
				r.SetPathValue("v", v)
				h(w, r)
			})
		}
		handle("GET /search/jql", s.searchJQL)
		handle("POST /search/jql", s.searchJQL)
		handle("GET /search", s.searchLegacy)
		handle("POST /search", s.searchLegacy)
		handle("POST /issue", s.createIssue)
		handle("GET /issue/{issueIdOrKey}", s.getIssue)
		handle("PUT /issue/{issueIdOrKey}", s.editIssue)
		handle("GET /issue/{issueIdOrKey}/changelog", s.getChangelog)
		handle("GET /issue/{issueIdOrKey}/comment", s.getComments)
		handle("POST /issue/{issueIdOrKey}/comment", s.addComment)
		handle("GET /issue/{issueIdOrKey}/remotelink", s.getRemoteLinks)
		handle("POST /issue/{issueIdOrKey}/remotelink", s.upsertRemoteLink)
		handle("DELETE /issue/{issueIdOrKey}/remotelink", s.deleteRemoteLink)
		handle("GET /myself", s.myself)
		handle("GET /priority", s.priorities)
		handle("GET /field", s.fieldList)
		handle("GET /project/{projectIdOrKey}", s.getProject)
		handle("GET /project/{projectIdOrKey}/versions", s.getProjectVersions)
		handle("GET /project/{projectIdOrKey}/version", s.getProjectVersionsPaged)
		handle("GET /version/{id}", s.getVersion)
		handle("PUT /version/{id}", s.updateVersion)
		handle("POST /version", s.createVersion)
		handle("GET /statuscategory", s.statusCategoryList)
		handle("GET /serverInfo", s.serverInfo)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, []string{"null for uri: " + r.URL.String()}, nil)
	})
	s.mux = mux
	return s.authLayer(mux)
}

type ctxKey struct{}

// caller returns the authenticated user of a request.
func (s *Site) caller(r *http.Request) *User {
	u, _ := r.Context().Value(ctxKey{}).(*User)
	return u
}

// authLayer authenticates as Jira does: Cloud accepts basic auth with the
// account's email and an API token; Data Center a bearer personal access
// token. Anything else is a 401 with the body Jira sends.
func (s *Site) authLayer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := s.authenticate(r)
		if u == nil {
			w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
			w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
			if s.cfg.deployment == Cloud {
				w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
			}
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("Client must be authenticated to access this resource."))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, u)))
	})
}

func (s *Site) authenticate(r *http.Request) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.data.users[ServiceAccount]
	if s.cfg.deployment == DataCenter {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok && subtle.ConstantTimeCompare([]byte(token), []byte(ServicePAT)) == 1 {
			return svc
		}
		return nil
	}
	email, token, ok := r.BasicAuth()
	if ok && email == svc.Email && subtle.ConstantTimeCompare([]byte(token), []byte(ServiceToken)) == 1 {
		return svc
	}
	return nil
}

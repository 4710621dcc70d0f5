package jiratest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash/fnv"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// searchRequest is the union of the GET query and the POST body of both
// search APIs.
type searchRequest struct {
	JQL           string   `json:"jql"`
	NextPageToken string   `json:"nextPageToken"`
	MaxResults    *int     `json:"maxResults"`
	StartAt       int      `json:"startAt"`
	Fields        []string `json:"fields"`
	Expand        string   `json:"expand"`
	Properties    []string `json:"properties"`
	FieldsByKeys  bool     `json:"fieldsByKeys"`
	FailFast      bool     `json:"failFast"`
	Reconcile     []int64  `json:"reconcileIssues"`
	ValidateQuery string   `json:"validateQuery"`
}

func readSearch(r *http.Request, legacy bool) (searchRequest, error) {
	var req searchRequest
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return req, err
		}
		if legacy {
			// Data Center takes expand as a list in the POST body.
			var aux struct {
				searchRequest
				Expand []string `json:"expand"`
			}
			if err := json.Unmarshal(body, &aux); err != nil {
				return req, err
			}
			aux.searchRequest.Expand = strings.Join(aux.Expand, ",")
			return aux.searchRequest, nil
		}
		// SearchAndReconcileRequestBean has additionalProperties: false.
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err = dec.Decode(&req)
		return req, err
	}
	q := r.URL.Query()
	req.JQL = q.Get("jql")
	req.NextPageToken = q.Get("nextPageToken")
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return req, errors.New("maxResults must be an integer")
		}
		req.MaxResults = &n
	}
	if v := q.Get("startAt"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return req, errors.New("startAt must be an integer")
		}
		req.StartAt = n
	}
	req.Fields = q["fields"]
	req.Properties = q["properties"]
	req.Expand = q.Get("expand")
	req.ValidateQuery = q.Get("validateQuery")
	return req, nil
}

// run parses, compiles and evaluates a query as the calling user, whose
// profile time zone interprets date literals.
func (s *Site) run(r *http.Request, jql string, after sortKey) ([]*issue, compiled, error) {
	q, err := parseJQL(jql)
	if err != nil {
		return nil, compiled{}, err
	}
	loc := time.UTC
	if u := s.caller(r); u != nil && u.TimeZone != "" {
		if l, err := time.LoadLocation(u.TimeZone); err == nil {
			loc = l
		}
	}
	c, err := compile(q, s.data, loc, s.now())
	if err != nil {
		return nil, compiled{}, err
	}
	if q.where == nil && s.cfg.deployment == Cloud && r.URL.Path != "" && strings.HasSuffix(r.URL.Path, "/search/jql") {
		return nil, compiled{}, &jqlError{messages: []string{"Unbounded JQL queries are not allowed here. Please add a search restriction to your query."}}
	}
	// Only the hits past the page token are sorted: a search read page by
	// page would otherwise sort every hit again for every page.
	type hit struct {
		is  *issue
		key sortKey
	}
	var found []hit
	for _, is := range s.data.issues {
		if old, ok := s.stale[is.id]; ok {
			is = old // what the lagging index still holds
		}
		if !c.where(is) {
			continue
		}
		k := c.key(s.data, is)
		if after == nil || c.compare(k, after) > 0 {
			found = append(found, hit{is, k})
		}
	}
	slices.SortFunc(found, func(a, b hit) int { return c.compare(a.key, b.key) })
	hits := make([]*issue, len(found))
	for i, h := range found {
		hits[i] = h.is
	}
	return hits, c, nil
}

type pageToken struct {
	Query uint64  `json:"q"`
	After sortKey `json:"a"`
}

func queryHash(jql string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(jql))
	return h.Sum64()
}

// searchJQL is the enhanced search of Jira Cloud: token paging, isLast, no
// total, fields default to id only.
func (s *Site) searchJQL(w http.ResponseWriter, r *http.Request) {
	req, err := readSearch(r, false)
	if err != nil {
		writeError(w, http.StatusBadRequest, []string{"Invalid request payload. Refer to the REST API documentation and try again."}, nil)
		return
	}
	if len(req.Properties) > 0 {
		writeError(w, http.StatusBadRequest, []string{"jiratest: issue properties are outside the simulated search."}, nil)
		return
	}
	if len(req.Reconcile) > 50 {
		writeError(w, http.StatusBadRequest, []string{"reconcileIssues accepts at most 50 issue ids."}, nil)
		return
	}
	var after sortKey
	if req.NextPageToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(req.NextPageToken)
		var tok pageToken
		if err != nil || json.Unmarshal(raw, &tok) != nil || tok.Query != queryHash(req.JQL) {
			writeError(w, http.StatusBadRequest, []string{"The provided next page token is invalid or expired."}, nil)
			return
		}
		after = tok.After
	}
	fs := parseFields(req.Fields, "id")
	limit := 50
	if req.MaxResults != nil && *req.MaxResults > 0 {
		limit = *req.MaxResults
	}
	// Atlassian: at most 5000 per page for id/key-only requests, fewer when
	// fields are requested.
	if fs.idOnly || slices.Equal(fs.include, []string{"key"}) {
		limit = min(limit, 5000)
	} else {
		limit = min(limit, 100)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	hits, c, err := s.run(r, req.JQL, after)
	if err != nil {
		s.writeJQLError(w, err)
		return
	}
	page := hits[:min(limit, len(hits))]
	v := s.view(r)
	expand := splitList(req.Expand)
	issues := make([]any, len(page))
	for i, is := range page {
		issues[i] = v.issue(s.data, is, fs, expand)
	}
	out := map[string]any{"issues": issues, "isLast": len(page) == len(hits)}
	if len(page) < len(hits) {
		raw, _ := json.Marshal(pageToken{Query: queryHash(req.JQL), After: c.key(s.data, page[len(page)-1])})
		out["nextPageToken"] = base64.RawURLEncoding.EncodeToString(raw)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Site) writeJQLError(w http.ResponseWriter, err error) {
	var je *jqlError
	if errors.As(err, &je) {
		writeError(w, http.StatusBadRequest, je.messages, nil)
		return
	}
	writeError(w, http.StatusInternalServerError, []string{"Internal server error"}, nil)
}

// searchLegacy is /rest/api/{2,3}/search: removed from Jira Cloud (410 with
// the body Atlassian sends), the offset-paged search of Data Center.
func (s *Site) searchLegacy(w http.ResponseWriter, r *http.Request) {
	if s.cfg.deployment == Cloud {
		writeJSON(w, http.StatusGone, map[string]any{"errorMessages": []string{
			"The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046",
		}})
		return
	}
	req, err := readSearch(r, true)
	if err != nil {
		writeError(w, http.StatusBadRequest, []string{err.Error()}, nil)
		return
	}
	if req.StartAt < 0 {
		writeError(w, http.StatusBadRequest, []string{"startAt must be ≥ 0"}, nil)
		return
	}
	limit := 50
	if req.MaxResults != nil && *req.MaxResults >= 0 {
		limit = min(*req.MaxResults, 1000) // jira.search.views.default.max
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	hits, _, err := s.run(r, req.JQL, nil)
	if err != nil {
		s.writeJQLError(w, err)
		return
	}
	start := min(req.StartAt, len(hits))
	page := hits[start:min(start+limit, len(hits))]
	v := s.view(r)
	fs := parseFields(req.Fields, "*navigable")
	expand := splitList(req.Expand)
	issues := make([]any, len(page))
	for i, is := range page {
		issues[i] = v.issue(s.data, is, fs, expand)
	}
	writeJSON(w, http.StatusOK, map[string]any{"expand": "names,schema", "startAt": req.StartAt, "maxResults": limit,
		"total": len(hits), "issues": issues})
}

package zendesktest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// routes maps Zendesk's paths. Every path answers with and without the
// ".json" suffix, as Zendesk's do; a trailing {id} segment carries the
// suffix inside the wildcard and pathID strips it.
func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	both := func(pattern string, h http.HandlerFunc) {
		m.HandleFunc(pattern, h)
		if !strings.HasSuffix(pattern, "}") {
			m.HandleFunc(pattern+".json", h)
		}
	}
	both("GET /api/v2/incremental/tickets/cursor", s.exportTickets)
	both("GET /api/v2/incremental/organizations", s.exportOrganizations)
	both("GET /api/v2/tickets/show_many", s.showManyTickets)
	both("PUT /api/v2/tickets/update_many", s.updateMany)
	both("GET /api/v2/tickets/{id}", s.showTicket)
	both("PUT /api/v2/tickets/{id}", s.updateTicket)
	both("GET /api/v2/tickets/{id}/comments", s.listComments)
	both("GET /api/v2/job_statuses/show_many", s.showManyJobs)
	both("GET /api/v2/job_statuses/{id}", s.showJob)
	both("GET /api/v2/users/show_many", s.showManyUsers)
	both("GET /api/v2/users/{id}", s.showUser)
	both("GET /api/v2/organizations/show_many", s.showManyOrganizations)
	both("GET /api/v2/organizations/{id}", s.showOrganization)
	both("GET /api/v2/ticket_fields", s.listTicketFields)
	both("GET /api/v2/ticket_fields/{id}", s.showTicketField)
	both("GET /api/v2/organization_fields", s.listOrganizationFields)
	both("GET /api/v2/apps/{id}/public_key", s.appPublicKey)
	m.HandleFunc("GET /api/v2/apps/{id}/public_key.pem", s.appPublicKey)
	m.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody{Error: "InvalidEndpoint", Description: "Not found"})
	})
	return m
}

// routeOf turns a mux pattern ("GET /api/v2/tickets/{id}") into the route
// recorded in the request log ("/api/v2/tickets/{id}"), without ".json".
func routeOf(pattern string) string {
	_, path, ok := strings.Cut(pattern, " ")
	if !ok || path == "/" {
		return ""
	}
	return strings.TrimSuffix(path, ".json")
}

// pathID is the numeric {id} of the request path, 0 when it is not one.
func pathID(r *http.Request) int64 {
	id, err := strconv.ParseInt(strings.TrimSuffix(r.PathValue("id"), ".json"), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// queryIDs parses a comma-separated id list ("ids=1,2,3") of at most max
// entries, as the show_many and update_many endpoints take.
func queryIDs(r *http.Request, key string, max int) ([]int64, *apiError) {
	raw := r.URL.Query().Get(key)
	if raw == "" {
		return nil, badRequest("InvalidValue", key+" is required")
	}
	var ids []int64
	for part := range strings.SplitSeq(raw, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
		if err != nil {
			return nil, badRequest("InvalidValue", key+" must be a comma-separated list of ids")
		}
		ids = append(ids, id)
	}
	if len(ids) > max {
		return nil, badRequest("TooManyValues", key+" accepts at most "+strconv.Itoa(max)+" values")
	}
	return ids, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeError(w http.ResponseWriter, e *apiError) { writeJSON(w, e.status, e.body) }

// decodeBody reads a JSON request body; numbers stay json.Number so custom
// field values keep their exact form.
func decodeBody(r *http.Request, v any) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 10<<20))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return badRequest("InvalidJSON", "The request body is not valid JSON: "+err.Error())
	}
	return nil
}

package zendesktest

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// orgExportPage is ExportIncrementalOrganizationsResponse [ZD-OAS], in
// the order of its schema.
type orgExportPage struct {
	Count         int                `json:"count"`
	EndOfStream   bool               `json:"end_of_stream"`
	EndTime       int64              `json:"end_time"`
	NextPage      *string            `json:"next_page"`
	Organizations []organizationJSON `json:"organizations"`
}

// exportOrganizations answers GET /api/v2/incremental/organizations, the
// time-based organization export [ZD-OAS IncrementalOrganizationExport]:
//   - start_time (Unix seconds), required, "at least one minute in the
//     past" as on every incremental export (422 otherwise);
//   - organizations whose updated_at is at or after start_time, oldest
//     first (ties by id), up to per_page (1000 and the default, as the
//     ticket export's); changes younger than the lag are held back;
//   - end_time is the updated_at of the page's last organization
//     (start_time when there is none), and next_page the same request
//     from end_time: the next page starts with the organizations of
//     end_time's second again, so a client sees some twice and none
//     missed; end_of_stream once the page holds the rest;
//   - Admins only (403 for agents).
//
// An organization edited in the simulator (SetOrganizationField) moves to
// its new updated_at, as an edit does on Zendesk.
func (s *Server) exportOrganizations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	perPage, ok := s.exportPage(w, r)
	if !ok {
		return
	}
	if q.Get("start_time") == "" {
		writeError(w, badRequest("InvalidValue", "start_time is required"))
		return
	}
	start, err := strconv.ParseInt(q.Get("start_time"), 10, 64)
	if err != nil || start < 0 {
		writeError(w, badRequest("InvalidValue", "start_time must be a Unix time in seconds"))
		return
	}
	cutoff := s.now().Add(-s.lag).Unix()
	if start > cutoff {
		writeError(w, &apiError{http.StatusUnprocessableEntity, errorBody{
			Error: "InvalidValue", Description: "Too recent start_time. Use a start_time older than 1 minute"}})
		return
	}
	var changed []*Organization
	for _, o := range s.orgs {
		if at := o.UpdatedAt.Unix(); at >= start && at <= cutoff {
			changed = append(changed, o)
		}
	}
	slices.SortFunc(changed, func(a, b *Organization) int {
		return cmp.Or(a.UpdatedAt.Compare(b.UpdatedAt), cmp.Compare(a.ID, b.ID))
	})
	out := orgExportPage{EndOfStream: len(changed) <= perPage, EndTime: start, Organizations: []organizationJSON{}}
	if len(changed) > perPage {
		changed = changed[:perPage]
	}
	base := baseURL(r)
	for _, o := range changed {
		out.Organizations = append(out.Organizations, renderOrganization(base, o, s.ofields))
		out.EndTime = o.UpdatedAt.Unix()
	}
	out.Count = len(out.Organizations)
	next := fmt.Sprintf("%s/api/v2/incremental/organizations.json?start_time=%d", base, out.EndTime)
	if v := q.Get("per_page"); v != "" {
		next += "&per_page=" + strconv.Itoa(perPage)
	}
	out.NextPage = &next
	writeJSON(w, http.StatusOK, out)
}

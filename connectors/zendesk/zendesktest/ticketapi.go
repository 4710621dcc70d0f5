package zendesktest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ticketIn is a ticket object in a request body: PUT /tickets/{id}, an entry
// of a batch update_many, or the ticket of a bulk update_many.
type ticketIn struct {
	ID             int64     `json:"id"`
	Subject        *string   `json:"subject"`
	Status         *string   `json:"status"`
	Priority       *string   `json:"priority"`
	Type           *string   `json:"type"`
	Tags           *[]string `json:"tags"`
	AssigneeID     idIn      `json:"assignee_id"`
	GroupID        idIn      `json:"group_id"`
	AdditionalTags []string  `json:"additional_tags"`
	RemoveTags     []string  `json:"remove_tags"`
	CustomFields   []struct {
		ID    int64 `json:"id"`
		Value any   `json:"value"`
	} `json:"custom_fields"`
	Comment *struct {
		Body     string `json:"body"`
		HTMLBody string `json:"html_body"`
		Public   *bool  `json:"public"`
		AuthorID int64  `json:"author_id"`
	} `json:"comment"`
	// safe_update is documented as a boolean and shown as the string "true"
	// in Zendesk's tags example [ZD-OAS PutTagsTicket]; both are accepted.
	SafeUpdate   any     `json:"safe_update"`
	UpdatedStamp *string `json:"updated_stamp"`
}

// idIn is an id in a request body: absent leaves the field, null (or 0)
// clears it.
type idIn struct {
	set bool
	id  int64
}

func (i *idIn) UnmarshalJSON(b []byte) error {
	i.set = true
	if string(b) == "null" {
		i.id = 0
		return nil
	}
	return json.Unmarshal(b, &i.id)
}

func (i idIn) ptr() *int64 {
	if !i.set {
		return nil
	}
	return &i.id
}

func (in ticketIn) patch() (patch, *apiError) {
	p := patch{Subject: in.Subject, Status: in.Status, Priority: in.Priority, Type: in.Type,
		AssigneeID: in.AssigneeID.ptr(), GroupID: in.GroupID.ptr(),
		Tags: in.Tags, AddTags: in.AdditionalTags, RemoveTags: in.RemoveTags}
	for _, f := range in.CustomFields {
		p.CustomFields = append(p.CustomFields, CustomField{ID: f.ID, Value: f.Value})
	}
	if c := in.Comment; c != nil {
		public := c.Public == nil || *c.Public
		p.Comment = &Comment{Body: c.Body, HTMLBody: c.HTMLBody, Public: public, AuthorID: c.AuthorID}
	}
	switch v := in.SafeUpdate.(type) {
	case bool:
		p.SafeUpdate = v
	case string:
		p.SafeUpdate = v == "true"
	}
	if in.UpdatedStamp != nil {
		t, err := time.Parse(time.RFC3339, *in.UpdatedStamp)
		if err != nil {
			return patch{}, badRequest("InvalidValue", "updated_stamp must be an ISO 8601 time")
		}
		p.UpdatedStamp = &t
	}
	return p, nil
}

func (s *Server) showTicket(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[pathID(r)]
	if !ok || rec.Status == "deleted" {
		writeError(w, notFound())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ticket": renderTicket(baseURL(r), rec)})
}

// showManyTickets answers GET /tickets/show_many?ids= ("up to 100 tickets"
// [ZD-OAS TicketsShowMany]); ids that don't exist are left out;
// include=users sideloads the tickets' users, as the ticket endpoints do
// (developer.zendesk.com/documentation/ticketing/using-the-zendesk-api/side_loading).
func (s *Server) showManyTickets(w http.ResponseWriter, r *http.Request) {
	ids, apiErr := queryIDs(r, "ids", 100)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	base := baseURL(r)
	var page []*ticketRec
	out := []ticketJSON{}
	for _, id := range ids {
		if rec, ok := s.tickets[id]; ok && rec.Status != "deleted" {
			page = append(page, rec)
			out = append(out, renderTicket(base, rec))
		}
	}
	body := listPage("tickets", out)
	if slices.Contains(strings.Split(r.URL.Query().Get("include"), ","), "users") {
		body["users"] = s.sideloadUsersLocked(base, page)
	}
	writeJSON(w, http.StatusOK, body)
}

// updateTicket answers PUT /tickets/{id}: 200 {"ticket","audit"}
// [ZD-OAS TicketUpdateResponse], 404 unknown, 409 stale safe_update,
// 422 closed ticket or invalid value.
func (s *Server) updateTicket(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Ticket *ticketIn `json:"ticket"`
	}
	if apiErr := decodeBody(r, &body); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if body.Ticket == nil {
		writeError(w, badRequest("InvalidValue", "ticket is required"))
		return
	}
	p, apiErr := body.Ticket.patch()
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, a, apiErr := s.applyPatch(pathID(r), p, userFrom(r.Context()))
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ticket": renderTicket(baseURL(r), &rec), "audit": renderAudit(a)})
}

// listComments answers GET /tickets/{id}/comments with either pagination
// Zendesk offers there: cursor (page[size], page[after]; "meta" and
// "links") or offset (page, per_page; next_page/previous_page/count); at
// most 100 per page.
func (s *Server) listComments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	rec, ok := s.tickets[pathID(r)]
	if !ok || rec.Status == "deleted" {
		s.mu.Unlock()
		writeError(w, notFound())
		return
	}
	comments := slices.Clone(rec.comments)
	s.mu.Unlock()

	if q.Get("sort") == "-created_at" || q.Get("sort_order") == "desc" {
		slices.Reverse(comments)
	}
	size := func(key string) (int, *apiError) {
		v := q.Get(key)
		if v == "" {
			return 100, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, badRequest("InvalidPaginationParameter", key+" must be a positive integer")
		}
		return min(n, 100), nil
	}
	self := baseURL(r) + r.URL.Path

	if q.Has("page[size]") || q.Has("page[after]") || q.Has("page[before]") {
		n, apiErr := size("page[size]")
		if apiErr != nil {
			writeError(w, apiErr)
			return
		}
		start := 0
		if after := q.Get("page[after]"); after != "" {
			pos, err := decodeCommentCursor(after)
			if err != nil {
				writeError(w, badRequest("InvalidPaginationParameter", "page[after] is not a valid cursor"))
				return
			}
			start = pos
		}
		start = min(start, len(comments))
		end := min(start+n, len(comments))
		page := renderComments(comments[start:end])
		meta := map[string]any{"has_more": end < len(comments), "after_cursor": nil, "before_cursor": nil}
		links := map[string]any{"prev": nil, "next": nil}
		if end > start {
			meta["after_cursor"], meta["before_cursor"] = commentCursor(end), commentCursor(start)
			next := url.Values{"page[size]": {strconv.Itoa(n)}, "page[after]": {commentCursor(end)}}
			links["next"] = self + "?" + next.Encode()
		}
		writeJSON(w, http.StatusOK, map[string]any{"comments": page, "meta": meta, "links": links})
		return
	}

	n, apiErr := size("per_page")
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	pageNo := 1
	if v := q.Get("page"); v != "" {
		if pageNo, _ = strconv.Atoi(v); pageNo < 1 {
			writeError(w, badRequest("InvalidPaginationParameter", "page must be a positive integer"))
			return
		}
	}
	start := min((pageNo-1)*n, len(comments))
	end := min(start+n, len(comments))
	resp := map[string]any{"comments": renderComments(comments[start:end]), "next_page": nil,
		"previous_page": nil, "count": len(comments)}
	if end < len(comments) {
		resp["next_page"] = fmt.Sprintf("%s?page=%d&per_page=%d", self, pageNo+1, n)
	}
	if pageNo > 1 {
		resp["previous_page"] = fmt.Sprintf("%s?page=%d&per_page=%d", self, pageNo-1, n)
	}
	writeJSON(w, http.StatusOK, resp)
}

func renderComments(cs []Comment) []commentJSON {
	out := make([]commentJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, renderComment(c))
	}
	return out
}

// Comment cursors are opaque to clients, as Zendesk's are; inside they
// are the offset of the next comment.
func commentCursor(pos int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c" + strconv.Itoa(pos)))
}

func decodeCommentCursor(c string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, err
	}
	rest, ok := strings.CutPrefix(string(raw), "c")
	if !ok {
		return 0, fmt.Errorf("not a comment cursor")
	}
	return strconv.Atoi(rest)
}

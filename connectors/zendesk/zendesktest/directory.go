package zendesktest

import (
	"maps"
	"net/http"
	"slices"
	"time"
)

// AddUser stores u (id assigned when 0; role end-user and locale
// DefaultLocale when empty) and returns it.
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == 0 {
		u.ID = s.newUserIDLocked()
	}
	if u.Role == "" {
		u.Role = "end-user"
	}
	if u.Locale == "" {
		u.Locale = DefaultLocale
	}
	now := s.now().Truncate(time.Second)
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	u.UpdatedAt = now
	s.users[u.ID] = &u
	return u
}

func (s *Server) newUserIDLocked() int64 {
	id := DefaultUserID + 1
	for _, ok := s.users[id]; ok; _, ok = s.users[id] {
		id++
	}
	return id
}

// AddOrganization stores o (id assigned when 0) and returns it.
func (s *Server) AddOrganization(o Organization) Organization {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.ID == 0 {
		o.ID = int64(len(s.orgs)) + 1
		for _, ok := s.orgs[o.ID]; ok; _, ok = s.orgs[o.ID] {
			o.ID++
		}
	}
	now := s.now().Truncate(time.Second)
	if o.CreatedAt.IsZero() {
		o.CreatedAt = now
	}
	o.UpdatedAt = now
	o.Fields = maps.Clone(o.Fields)
	s.orgs[o.ID] = &o
	return o
}

// SetUserLocale sets the locale of user id, as the user or an admin would
// in their profile. Like on Zendesk, the user's tickets do not change: the
// export carries the new locale with the next change of a ticket.
func (s *Server) SetUserLocale(id int64, locale string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return false
	}
	u.Locale = locale
	u.UpdatedAt = s.now().Truncate(time.Second)
	return true
}

// SetOrganizationField sets organization field key of organization id, as an
// admin would.
func (s *Server) SetOrganizationField(id int64, key string, value any) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[id]
	if !ok {
		return false
	}
	if o.Fields == nil {
		o.Fields = map[string]any{}
	}
	o.Fields[key] = value
	o.UpdatedAt = s.now().Truncate(time.Second)
	return true
}

// AddTicketField defines a ticket field (id assigned when 0).
func (s *Server) AddTicketField(f TicketField) TicketField {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.ID == 0 {
		f.ID = s.newID()
	}
	f.Options = slices.Clone(f.Options)
	s.tfields = append(s.tfields, &f)
	return f
}

// AddOrganizationField defines an organization field (id assigned when 0).
func (s *Server) AddOrganizationField(f OrganizationField) OrganizationField {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.ID == 0 {
		f.ID = s.newID()
	}
	f.Options = slices.Clone(f.Options)
	s.ofields = append(s.ofields, &f)
	return f
}

func (s *Server) showUser(w http.ResponseWriter, r *http.Request) {
	var id int64
	if r.PathValue("id") == "me" || r.PathValue("id") == "me.json" {
		id = userFrom(r.Context())
	} else if id = pathID(r); id == 0 {
		writeError(w, notFound())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		writeError(w, notFound())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": renderUser(baseURL(r), u)})
}

func (s *Server) showManyUsers(w http.ResponseWriter, r *http.Request) {
	ids, apiErr := queryIDs(r, "ids", 100)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []userJSON{}
	for _, id := range ids {
		if u, ok := s.users[id]; ok {
			out = append(out, renderUser(baseURL(r), u))
		}
	}
	writeJSON(w, http.StatusOK, listPage("users", out))
}

func (s *Server) showOrganization(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[pathID(r)]
	if !ok {
		writeError(w, notFound())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"organization": renderOrganization(baseURL(r), o, s.ofields)})
}

func (s *Server) showManyOrganizations(w http.ResponseWriter, r *http.Request) {
	ids, apiErr := queryIDs(r, "ids", 100)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []organizationJSON{}
	for _, id := range ids {
		if o, ok := s.orgs[id]; ok {
			out = append(out, renderOrganization(baseURL(r), o, s.ofields))
		}
	}
	writeJSON(w, http.StatusOK, listPage("organizations", out))
}

func (s *Server) listTicketFields(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []ticketFieldJSON{}
	for i, f := range s.tfields {
		out = append(out, renderTicketField(baseURL(r), f, i, s.created))
	}
	writeJSON(w, http.StatusOK, listPage("ticket_fields", out))
}

func (s *Server) showTicketField(w http.ResponseWriter, r *http.Request) {
	id := pathID(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.tfields {
		if f.ID == id {
			writeJSON(w, http.StatusOK, map[string]any{
				"ticket_field": renderTicketField(baseURL(r), f, i, s.created)})
			return
		}
	}
	writeError(w, notFound())
}

func (s *Server) listOrganizationFields(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []organizationFieldJSON{}
	for i, f := range s.ofields {
		out = append(out, renderOrganizationField(baseURL(r), f, i, s.created))
	}
	writeJSON(w, http.StatusOK, listPage("organization_fields", out))
}

// listPage is Zendesk's offset-paged list envelope for a single page.
func listPage[T any](key string, items []T) map[string]any {
	return map[string]any{key: items, "next_page": nil, "previous_page": nil, "count": len(items)}
}

package jiratest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

func writeNoProject(w http.ResponseWriter, ref string) {
	writeError(w, http.StatusNotFound, []string{"No project could be found with key '" + ref + "'."}, nil)
}

func writeNoVersion(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, []string{"Could not find version for id '" + id + "'"}, nil)
}

// getProjectVersions is GET /project/{projectIdOrKey}/versions: every
// version of the project, unpaged, in sequence order.
func (s *Site) getProjectVersions(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := r.PathValue("projectIdOrKey")
	p := s.data.projectRef(ref)
	if p == nil {
		writeNoProject(w, ref)
		return
	}
	v, now := s.view(r), s.now()
	out := []any{}
	for _, vr := range s.data.projectVersions(p) {
		out = append(out, v.versionBean(vr, now))
	}
	writeJSON(w, http.StatusOK, out)
}

// getProjectVersionsPaged is GET /project/{projectIdOrKey}/version:
// PageBeanVersion, 50 per page by default, filtered by status (released,
// unreleased, archived) and query (a case-insensitive part of the name or
// description), ordered by orderBy ([+-]sequence, name, releaseDate,
// startDate, description).
func (s *Site) getProjectVersionsPaged(w http.ResponseWriter, r *http.Request) {
	start, limit, ok := paging(w, r, 50, 50)
	if !ok {
		return
	}
	q := r.URL.Query()
	less, ok := versionOrder(q.Get("orderBy"))
	if !ok {
		writeError(w, http.StatusBadRequest, []string{fmt.Sprintf("Invalid orderBy field '%s'.", q.Get("orderBy"))}, nil)
		return
	}
	statuses := splitList(q.Get("status"))
	for _, st := range statuses {
		if st != "released" && st != "unreleased" && st != "archived" {
			writeError(w, http.StatusBadRequest, []string{fmt.Sprintf("Invalid status '%s'.", st)}, nil)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := r.PathValue("projectIdOrKey")
	p := s.data.projectRef(ref)
	if p == nil {
		writeNoProject(w, ref)
		return
	}
	text := strings.ToLower(q.Get("query"))
	var all []*version
	for _, vr := range s.data.projectVersions(p) {
		if len(statuses) > 0 && !slices.Contains(statuses, versionStatus(vr)) {
			continue
		}
		if text != "" && !strings.Contains(strings.ToLower(vr.name), text) && !strings.Contains(strings.ToLower(vr.description), text) {
			continue
		}
		all = append(all, vr)
	}
	slices.SortStableFunc(all, less)
	v, now := s.view(r), s.now()
	end := min(start+limit, len(all))
	values := []any{}
	for _, vr := range all[min(start, end):end] {
		values = append(values, v.versionBean(vr, now))
	}
	self := v.api("/project/" + p.key + "/version")
	page := func(at int) string {
		u := self + "?startAt=" + strconv.Itoa(at) + "&maxResults=" + strconv.Itoa(limit)
		if ob := q.Get("orderBy"); ob != "" {
			u += "&orderBy=" + ob
		}
		return u
	}
	out := map[string]any{"self": page(start), "startAt": start, "maxResults": limit, "total": len(all),
		"isLast": end >= len(all), "values": values}
	if end < len(all) {
		out["nextPage"] = page(end)
	}
	writeJSON(w, http.StatusOK, out)
}

// versionStatus is the status filter a version matches; archived wins.
func versionStatus(vr *version) string {
	switch {
	case vr.archived:
		return "archived"
	case vr.released:
		return "released"
	}
	return "unreleased"
}

func versionOrder(orderBy string) (func(a, b *version) int, bool) {
	desc := strings.HasPrefix(orderBy, "-")
	key := strings.TrimLeft(orderBy, "+-")
	var cmp func(a, b *version) int
	switch key {
	case "", "sequence":
		cmp = func(a, b *version) int { return int(a.id - b.id) }
	case "name":
		cmp = func(a, b *version) int { return strings.Compare(a.name, b.name) }
	case "description":
		cmp = func(a, b *version) int { return strings.Compare(a.description, b.description) }
	case "releaseDate":
		cmp = func(a, b *version) int { return a.releaseDate.Compare(b.releaseDate) }
	case "startDate":
		cmp = func(a, b *version) int { return a.startDate.Compare(b.startDate) }
	default:
		return nil, false
	}
	if desc {
		return func(a, b *version) int { return cmp(b, a) }, true
	}
	return cmp, true
}

func (s *Site) getVersion(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	vr := s.data.versionRef(id)
	if vr == nil {
		writeNoVersion(w, id)
		return
	}
	writeJSON(w, http.StatusOK, s.view(r).versionBean(vr, s.now()))
}

func (st *store) versionRef(id string) *version {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil
	}
	return st.versions[n]
}

// versionBody is the Version bean as clients send it; pointers tell an
// absent member from a zero one.
type versionBody struct {
	Name                *string `json:"name"`
	Description         *string `json:"description"`
	Project             *string `json:"project"`
	ProjectID           *int64  `json:"projectId"`
	Archived            *bool   `json:"archived"`
	Released            *bool   `json:"released"`
	ReleaseDate         *string `json:"releaseDate"`
	StartDate           *string `json:"startDate"`
	MoveUnfixedIssuesTo *string `json:"moveUnfixedIssuesTo"`
}

// createVersion is POST /version.
func (s *Site) createVersion(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody[versionBody](w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	var p *project
	switch {
	case body.Project != nil:
		p = s.data.projectRef(*body.Project)
	case body.ProjectID != nil:
		p = s.data.projectRef(strconv.FormatInt(*body.ProjectID, 10))
	default:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, nil, map[string]string{"project": "Project must be specified to create a version."})
		return
	}
	if p == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, []string{"Project does not exist or you do not have permission to see it."}, nil)
		return
	}
	if body.Name == nil || strings.TrimSpace(*body.Name) == "" {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, nil, map[string]string{"name": "You must specify a valid version name"})
		return
	}
	if s.data.findVersion(p, *body.Name) != nil {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, nil, map[string]string{"name": "A version with this name already exists in this project."})
		return
	}
	next := version{project: p, name: *body.Name}
	if errs := s.stageVersion(&next, body); len(errs) > 0 {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, nil, errs)
		return
	}
	vr := s.data.addVersion(p, next.name)
	next.id = vr.id
	*vr = next
	out := s.view(r).versionBean(vr, s.now())
	out["project"] = p.key
	ev := s.versionEvent("jira:version_created", vr)
	s.mu.Unlock()
	s.webhooks.send(ev)
	writeJSON(w, http.StatusCreated, out)
}

// stageVersion applies the optional members of body to next.
func (s *Site) stageVersion(next *version, body versionBody) map[string]string {
	errs := map[string]string{}
	date := func(field string, raw *string, dst *time.Time) {
		if raw == nil {
			return
		}
		if *raw == "" {
			*dst = time.Time{}
			return
		}
		t, err := time.Parse(jiraDate, *raw)
		if err != nil {
			errs[field] = "Invalid date format. Please enter the date in the format yyyy-MM-dd."
			return
		}
		*dst = t
	}
	date("releaseDate", body.ReleaseDate, &next.releaseDate)
	date("startDate", body.StartDate, &next.startDate)
	if body.Description != nil {
		next.description = *body.Description
	}
	if body.Archived != nil {
		next.archived = *body.Archived
	}
	if body.Released != nil {
		next.released = *body.Released
		// Jira's release stamps today when no date was chosen.
		if next.released && next.releaseDate.IsZero() {
			next.releaseDate = day(s.now())
		}
	}
	return errs
}

// updateVersion is PUT /version/{id}: rename, describe, release or
// unrelease, archive. When it releases the version, moveUnfixedIssuesTo
// (the self URL of another version of the project) moves the version's
// unresolved issues there, as Jira's release dialog does; releasing edits
// no issue otherwise.
func (s *Site) updateVersion(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody[versionBody](w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	id := r.PathValue("id")
	vr := s.data.versionRef(id)
	if vr == nil {
		s.mu.Unlock()
		writeNoVersion(w, id)
		return
	}
	next := *vr
	errs := s.stageVersion(&next, body)
	if body.Name != nil {
		if other := s.data.findVersion(vr.project, *body.Name); strings.TrimSpace(*body.Name) == "" {
			errs["name"] = "You must specify a valid version name"
		} else if other != nil && other != vr {
			errs["name"] = "A version with this name already exists in this project."
		}
		next.name = *body.Name
	}
	releasing := next.released && !vr.released
	var target *version
	if body.MoveUnfixedIssuesTo != nil && releasing {
		_, tid, _ := strings.Cut(*body.MoveUnfixedIssuesTo, "/version/")
		target = s.data.versionRef(tid)
		if target == nil || target.project != vr.project || target == vr {
			errs["moveUnfixedIssuesTo"] = "The version to move unfixed issues to must be another version of the same project."
		}
	}
	if len(errs) > 0 {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, nil, errs)
		return
	}
	wasReleased, oldName := vr.released, vr.name
	*vr = next
	var evs []*event
	if target != nil {
		evs = s.moveUnfixed(vr, oldName, target, s.caller(r).AccountID)
	}
	name := "jira:version_updated"
	switch {
	case vr.released && !wasReleased:
		name = "jira:version_released"
	case !vr.released && wasReleased:
		name = "jira:version_unreleased"
	}
	if oldName != vr.name {
		s.renameFixVersion(vr.project, oldName, vr.name)
	}
	evs = append(evs, s.versionEvent(name, vr))
	out := s.view(r).versionBean(vr, s.now())
	s.mu.Unlock()
	for _, ev := range evs {
		s.webhooks.send(ev)
	}
	writeJSON(w, http.StatusOK, out)
}

// moveUnfixed replaces the version (by its name before this request) with
// target on every unresolved issue of the project that names it.
func (s *Site) moveUnfixed(vr *version, name string, target *version, by string) []*event {
	var evs []*event
	for _, is := range s.issuesInOrder() {
		if is.project != vr.project || is.resolution != "" || !slices.Contains(is.fixVersions, name) {
			continue
		}
		is.fixVersions = slices.DeleteFunc(is.fixVersions, func(n string) bool { return n == name })
		if !slices.Contains(is.fixVersions, target.name) {
			is.fixVersions = append(is.fixVersions, target.name)
		}
		c := change("Fix Version", "jira", name, target.name)
		c.From, c.To = strp(strconv.FormatInt(vr.id, 10)), strp(strconv.FormatInt(target.id, 10))
		h := s.data.touch(is, by, s.now(), []changeItem{c})
		evs = append(evs, s.issueEvent(eventUpdated, is, by, h, nil))
	}
	return evs
}

// renameFixVersion keeps the issues' fix versions pointing at a renamed
// version; issues store fix versions by name.
func (s *Site) renameFixVersion(p *project, from, to string) {
	for _, is := range s.data.issues {
		if is.project != p {
			continue
		}
		for i, n := range is.fixVersions {
			if n == from {
				is.fixVersions[i] = to
			}
		}
	}
}

// issuesInOrder lists the issues by id, so edits spanning many issues
// happen (and send their webhooks) in a stable order.
func (s *Site) issuesInOrder() []*issue {
	out := make([]*issue, 0, len(s.data.issues))
	for _, is := range s.data.issues {
		out = append(out, is)
	}
	slices.SortFunc(out, func(a, b *issue) int { return int(a.id - b.id) })
	return out
}

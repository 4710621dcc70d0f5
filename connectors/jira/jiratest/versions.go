package jiratest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// jiraDate is the format of a version's releaseDate and startDate.
const jiraDate = "2006-01-02"

// version is a project version (a release). Dates are calendar days with
// no time of day, as Jira keeps them; the zero time means unset.
type version struct {
	id          int64
	project     *project
	name        string
	description string
	archived    bool
	released    bool
	releaseDate time.Time
	startDate   time.Time
}

// Version is a project version as tests read it back.
type Version struct {
	ID          string
	Project     string
	Name        string
	Description string
	Archived    bool
	Released    bool
	ReleaseDate time.Time // midnight UTC of the day; zero when unset
}

func (vr *version) snapshot() Version {
	return Version{ID: strconv.FormatInt(vr.id, 10), Project: vr.project.key, Name: vr.name,
		Description: vr.description, Archived: vr.archived, Released: vr.released, ReleaseDate: vr.releaseDate}
}

// projectVersions lists a project's versions in sequence (creation) order.
func (st *store) projectVersions(p *project) []*version {
	var out []*version
	for _, vr := range st.versions {
		if vr.project == p {
			out = append(out, vr)
		}
	}
	slices.SortFunc(out, func(a, b *version) int { return int(a.id - b.id) })
	return out
}

// findVersion returns the project's version with that name (names are
// unique per project, case-insensitively, as in Jira), or nil.
func (st *store) findVersion(p *project, name string) *version {
	for _, vr := range st.versions {
		if vr.project == p && strings.EqualFold(vr.name, name) {
			return vr
		}
	}
	return nil
}

// addVersion creates a version; ids come from their own sequence so that
// they never collide with issue ids.
func (st *store) addVersion(p *project, name string) *version {
	vr := &version{id: 10100 + int64(len(st.versions)), project: p, name: name}
	st.versions[vr.id] = vr
	return vr
}

// versionNamed returns the project's version with that name, creating it
// when an issue names one the project does not have yet (Resolve does,
// as an engineer typing a new fix version in Jira would).
func (st *store) versionNamed(p *project, name string) *version {
	if vr := st.findVersion(p, name); vr != nil {
		return vr
	}
	return st.addVersion(p, name)
}

// projectRef resolves a project id or key.
func (st *store) projectRef(ref string) *project {
	if p, ok := st.projects[ref]; ok {
		return p
	}
	for _, p := range st.projects {
		if strconv.FormatInt(p.id, 10) == ref {
			return p
		}
	}
	return nil
}

// day truncates t to its calendar day in UTC.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// AddVersion creates an unreleased version in a project.
func (s *Site) AddVersion(projectKey, name string) (Version, error) {
	s.mu.Lock()
	p := s.data.projects[projectKey]
	if p == nil {
		s.mu.Unlock()
		return Version{}, fmt.Errorf("jiratest: no project %q", projectKey)
	}
	if s.data.findVersion(p, name) != nil {
		s.mu.Unlock()
		return Version{}, fmt.Errorf("jiratest: project %s already has a version %q", projectKey, name)
	}
	vr := s.data.addVersion(p, name)
	ev := s.versionEvent("jira:version_created", vr)
	s.mu.Unlock()
	s.webhooks.send(ev)
	return vr.snapshot(), nil
}

// ReleaseVersion releases a project's version on the given day (zero: the
// site's today), as a release manager would. Like Jira, releasing changes
// the version only: the issues that name it are not edited.
func (s *Site) ReleaseVersion(projectKey, name string, on time.Time) error {
	s.mu.Lock()
	p := s.data.projects[projectKey]
	var vr *version
	if p != nil {
		vr = s.data.findVersion(p, name)
	}
	if vr == nil {
		s.mu.Unlock()
		return fmt.Errorf("jiratest: no version %q in project %q", name, projectKey)
	}
	if on.IsZero() {
		on = s.now()
	}
	vr.released, vr.releaseDate = true, day(on)
	ev := s.versionEvent("jira:version_released", vr)
	s.mu.Unlock()
	s.webhooks.send(ev)
	return nil
}

// Versions returns a project's versions in sequence order.
func (s *Site) Versions(projectKey string) []Version {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.data.projects[projectKey]
	if p == nil {
		return nil
	}
	var out []Version
	for _, vr := range s.data.projectVersions(p) {
		out = append(out, vr.snapshot())
	}
	return out
}

// versionBean renders a Version bean; overdue and userReleaseDate are derived
// from the release date as Jira derives them.
func (v view) versionBean(vr *version, now time.Time) map[string]any {
	id := strconv.FormatInt(vr.id, 10)
	out := map[string]any{"self": v.api("/version/" + id), "id": id, "name": vr.name,
		"archived": vr.archived, "released": vr.released, "projectId": vr.project.id}
	if vr.description != "" {
		out["description"] = vr.description
	}
	if !vr.releaseDate.IsZero() {
		out["releaseDate"] = vr.releaseDate.Format(jiraDate)
		out["userReleaseDate"] = vr.releaseDate.Format("2/Jan/2006")
		out["overdue"] = !vr.released && vr.releaseDate.Before(day(now))
	}
	if !vr.startDate.IsZero() {
		out["startDate"] = vr.startDate.Format(jiraDate)
		out["userStartDate"] = vr.startDate.Format("2/Jan/2006")
	}
	return out
}

// versionEvent renders a version webhook (jira:version_created, _released,
// _unreleased, _updated); nil when no webhook is registered.
func (s *Site) versionEvent(name string, vr *version) *event {
	if !s.webhooks.enabled() {
		return nil
	}
	v := s.webhookView()
	body, _ := json.Marshal(map[string]any{"timestamp": s.now().UnixMilli(), "webhookEvent": name,
		"version": v.versionBean(vr, s.now())})
	return &event{payloads: []payload{{name, body}}}
}

package jiratest

import (
	"net/http"
	"strconv"
	"strings"
)

func (s *Site) myself(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.view(r).user(s.caller(r))
	out["locale"] = "en_US"
	writeJSON(w, http.StatusOK, out)
}

// priorities is GET /priority, shaped like go-jira's all_priorities.json.
func (s *Site) priorities(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.view(r)
	colors := []string{"#d04437", "#f15C75", "#f79232", "#707070", "#999999"}
	out := []any{}
	for i, p := range s.data.priorities {
		m := v.priority(p)
		m["statusColor"] = colors[i%len(colors)]
		m["description"] = p.Name + " priority"
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, out)
}

// fieldList is GET /field, shaped like go-jira's all_fields.json.
func (s *Site) fieldList(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, f := range s.data.fields {
		schema := map[string]any{"type": f.Type}
		clause := []string{f.ID}
		if f.Custom {
			n, _ := strconv.Atoi(strings.TrimPrefix(f.ID, "customfield_"))
			schema["custom"] = "com.atlassian.jira.plugin.system.customfieldtypes:float"
			schema["customId"] = n
			clause = []string{"cf[" + strconv.Itoa(n) + "]", f.Name}
		} else {
			schema["system"] = f.ID
		}
		m := map[string]any{"id": f.ID, "key": f.ID, "name": f.Name, "custom": f.Custom, "orderable": true,
			"navigable": true, "searchable": true, "clauseNames": clause, "schema": schema}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Site) getProject(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := r.PathValue("projectIdOrKey")
	for _, p := range s.data.projects {
		if p.key == ref || strconv.FormatInt(p.id, 10) == ref {
			v := s.view(r)
			out := v.project(p)
			out["issueTypes"] = []any{v.issueType()}
			out["lead"] = v.user(s.data.users[Engineer])
			out["assigneeType"] = "UNASSIGNED"
			out["description"] = ""
			writeJSON(w, http.StatusOK, out)
			return
		}
	}
	writeError(w, http.StatusNotFound, []string{"No project could be found with key '" + ref + "'."}, nil)
}

func (s *Site) statusCategoryList(w http.ResponseWriter, r *http.Request) {
	v := s.view(r)
	out := []any{}
	for _, c := range statusCategories {
		out = append(out, v.statusCategory(c.Key))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Site) serverInfo(w http.ResponseWriter, r *http.Request) {
	v := s.view(r)
	out := map[string]any{
		"baseUrl": v.base, "buildDate": "2025-09-01T00:00:00.000+0000", "buildNumber": 100300,
		"scmInfo": "0000000000000000000000000000000000000000", "serverTime": s.now().Format(jiraTime),
		"serverTitle": "Jira (jiratest)", "serverTimeZone": "UTC",
	}
	if s.cfg.deployment == DataCenter {
		out["version"], out["versionNumbers"], out["deploymentType"] = "9.12.0", []int{9, 12, 0}, "Server"
	} else {
		out["version"], out["versionNumbers"], out["deploymentType"] = "1001.0.0-SNAPSHOT", []int{1001, 0, 0}, "Cloud"
	}
	writeJSON(w, http.StatusOK, out)
}

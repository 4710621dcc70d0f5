package jiratest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// jiraTime is Jira's timestamp format in REST responses.
const jiraTime = "2006-01-02T15:04:05.000-0700"

// view carries what rendering needs from the request: the base URL for self
// links and the API version (2: plain text, 3: ADF rich text).
type view struct {
	base    string
	version string
	dc      bool
}

func (s *Site) view(r *http.Request) view {
	base := s.cfg.baseURL
	if base == "" {
		base = "http://" + r.Host
	}
	v := r.PathValue("v")
	if v == "" {
		v = "2"
	}
	return view{base: strings.TrimSuffix(base, "/"), version: v, dc: s.cfg.deployment == DataCenter}
}

func (v view) api(path string) string { return v.base + "/rest/api/" + v.version + path }

func jsonTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(jiraTime)
}

func (v view) user(u *User) map[string]any {
	if u == nil {
		return nil
	}
	avatars := map[string]string{}
	for _, size := range []string{"48x48", "24x24", "16x16", "32x32"} {
		avatars[size] = v.base + "/secure/useravatar?size=" + size
	}
	out := map[string]any{
		"displayName": u.DisplayName, "active": true, "timeZone": u.TimeZone, "avatarUrls": avatars,
	}
	out["emailAddress"] = u.Email
	if v.dc {
		out["self"] = v.api("/user?username=" + u.Name)
		out["name"], out["key"] = u.Name, u.Key
	} else {
		out["self"] = v.api("/user?accountId=" + u.AccountID)
		out["accountId"], out["accountType"] = u.AccountID, "atlassian"
	}
	return out
}

func (v view) statusCategory(key string) map[string]any {
	for _, c := range statusCategories {
		if c.Key == key {
			return map[string]any{"self": v.api("/statuscategory/" + strconv.Itoa(c.ID)), "id": c.ID,
				"key": c.Key, "colorName": c.ColorName, "name": c.Name}
		}
	}
	return nil
}

func (v view) status(s Status) map[string]any {
	return map[string]any{
		"self": v.api("/status/" + s.ID), "description": "", "iconUrl": v.base + "/images/icons/statuses/generic.png",
		"name": s.Name, "id": s.ID, "statusCategory": v.statusCategory(s.Category),
	}
}

func (v view) priority(p Priority) map[string]any {
	return map[string]any{
		"self": v.api("/priority/" + p.ID), "iconUrl": v.base + "/images/icons/priorities/" + strings.ToLower(p.Name) + ".svg",
		"name": p.Name, "id": p.ID,
	}
}

func (v view) project(p *project) map[string]any {
	id := strconv.FormatInt(p.id, 10)
	return map[string]any{
		"self": v.api("/project/" + id), "id": id, "key": p.key, "name": p.name,
		"projectTypeKey": "software", "simplified": false,
		"avatarUrls": map[string]string{"48x48": v.base + "/secure/projectavatar?pid=" + id},
	}
}

func (v view) issueType() map[string]any {
	return map[string]any{
		"self": v.api("/issuetype/10004"), "id": "10004", "description": "A problem or error.",
		"iconUrl": v.base + "/images/icons/issuetypes/bug.svg", "name": "Bug", "subtask": false, "hierarchyLevel": 0,
	}
}

// richText renders a plain-text body: a string in v2, an ADF document in v3.
func (v view) richText(text string) any {
	if v.version == "2" {
		return text
	}
	var paras []any
	for _, p := range strings.Split(text, "\n") {
		content := []any{}
		if p != "" {
			content = append(content, map[string]any{"type": "text", "text": p})
		}
		paras = append(paras, map[string]any{"type": "paragraph", "content": content})
	}
	return map[string]any{"type": "doc", "version": 1, "content": paras}
}

func (v view) comment(st *store, is *issue, c *comment) map[string]any {
	id := strconv.FormatInt(c.id, 10)
	author := v.user(st.users[c.author])
	out := map[string]any{
		"self": v.api("/issue/" + strconv.FormatInt(is.id, 10) + "/comment/" + id), "id": id,
		"author": author, "updateAuthor": author, "body": v.richText(c.body),
		"created": jsonTime(c.created), "updated": jsonTime(c.updated),
	}
	if !v.dc {
		out["jsdPublic"] = true
	}
	return out
}

func (v view) history(st *store, h *history) map[string]any {
	items := make([]any, len(h.items))
	for i, it := range h.items {
		// Jira sends null for an absent side; Atlassian's document types
		// them as plain strings, so absent sides are left out (decoders see
		// the same zero value either way).
		m := map[string]any{"field": it.Field, "fieldtype": it.FieldType, "fieldId": it.FieldID}
		for k, v := range map[string]*string{"from": it.From, "fromString": it.FromString, "to": it.To, "toString": it.ToString} {
			if v != nil {
				m[k] = *v
			}
		}
		items[i] = m
	}
	return map[string]any{"id": strconv.FormatInt(h.id, 10), "author": v.user(st.users[h.author]),
		"created": jsonTime(h.created), "items": items}
}

// fieldValue renders one issue field; ok is false for fields the issue
// does not have.
func (v view) fieldValue(st *store, is *issue, id string) (any, bool) {
	switch id {
	case "summary":
		return is.summary, true
	case "status":
		return v.status(is.status), true
	case "priority":
		if is.priority == nil {
			return nil, true
		}
		return v.priority(*is.priority), true
	case "labels":
		return nonNil(is.labels), true
	case "updated":
		return jsonTime(is.updated), true
	case "created":
		return jsonTime(is.created), true
	case "resolution":
		if is.resolution == "" {
			return nil, true
		}
		idx := slices.Index(defaultResolutions, is.resolution) + 10000
		return map[string]any{"self": v.api("/resolution/" + strconv.Itoa(idx)), "id": strconv.Itoa(idx),
			"description": "", "name": is.resolution}, true
	case "resolutiondate":
		return jsonTime(is.resolvedAt), true
	case "fixVersions":
		out := []any{}
		for _, name := range is.fixVersions {
			out = append(out, v.versionBean(st.versionNamed(is.project, name), st.cfg.clock()))
		}
		return out, true
	case "issuetype":
		return v.issueType(), true
	case "project":
		return v.project(is.project), true
	case "reporter":
		return v.user(st.users[is.reporter]), true
	case "creator":
		creator := is.creator
		if creator == "" {
			creator = is.reporter
		}
		return v.user(st.users[creator]), true
	case "description":
		if is.description == "" {
			return nil, true
		}
		return v.richText(is.description), true
	case "comment":
		comments := make([]any, len(is.comments))
		for i, c := range is.comments {
			comments[i] = v.comment(st, is, c)
		}
		return map[string]any{"comments": comments, "self": v.api("/issue/" + strconv.FormatInt(is.id, 10) + "/comment"),
			"maxResults": len(comments), "total": len(comments), "startAt": 0}, true
	}
	if f, ok := st.field(id); ok && f.Custom {
		val, set := is.custom[id]
		if !set {
			return nil, true
		}
		return val, true
	}
	return nil, false
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// fieldSet is a parsed "fields" parameter.
type fieldSet struct {
	all     bool
	include []string
	exclude []string
	idOnly  bool
}

// parseFields reads Jira's fields parameter: a list (repeated and/or comma
// separated) of ids, "*all", "*navigable", "-id" exclusions. def applies
// when the parameter is absent: "id" for enhanced search, "*all" for GET
// issue.
func parseFields(values []string, def string) fieldSet {
	var parts []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
	}
	if len(parts) == 0 {
		parts = []string{def}
	}
	var fs fieldSet
	onlyID := true
	for _, p := range parts {
		switch {
		case p == "*all" || p == "*navigable":
			fs.all, onlyID = true, false
		case strings.HasPrefix(p, "-"):
			fs.exclude = append(fs.exclude, p[1:])
			fs.all, onlyID = true, false
		case p == "id":
		default:
			fs.include, onlyID = append(fs.include, p), false
		}
	}
	fs.idOnly = onlyID
	return fs
}

func (fs fieldSet) ids(st *store) []string {
	var ids []string
	if fs.all {
		for _, f := range st.fields {
			ids = append(ids, f.ID)
		}
	}
	for _, id := range fs.include {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(fs.exclude, id) })
}

// issue renders an issue bean with the selected fields and expansions.
func (v view) issue(st *store, is *issue, fs fieldSet, expand []string) map[string]any {
	id := strconv.FormatInt(is.id, 10)
	if fs.idOnly && len(expand) == 0 {
		return map[string]any{"id": id}
	}
	out := map[string]any{
		"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
		"id":     id, "self": v.api("/issue/" + id), "key": is.key,
	}
	if !fs.idOnly {
		fields := map[string]any{}
		for _, f := range fs.ids(st) {
			if val, ok := v.fieldValue(st, is, f); ok {
				fields[f] = val
			}
		}
		out["fields"] = fields
	}
	if slices.Contains(expand, "changelog") {
		hs := is.histories
		if len(hs) > 100 {
			hs = hs[len(hs)-100:]
		}
		items := make([]any, len(hs))
		for i, h := range hs {
			items[i] = v.history(st, h)
		}
		out["changelog"] = map[string]any{"startAt": 0, "maxResults": len(items), "total": len(is.histories), "histories": items}
	}
	if slices.Contains(expand, "names") {
		names := map[string]string{}
		for _, f := range fs.ids(st) {
			if fd, ok := st.field(f); ok {
				names[f] = fd.Name
			}
		}
		out["names"] = names
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// writeJSON writes v with Jira's content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// Like Jira: a Content-Length and no trailing newline, so a decoder that
	// stops at the end of the value has read the whole body.
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError writes Jira's ErrorCollection body.
func writeError(w http.ResponseWriter, status int, messages []string, errs map[string]string) {
	if messages == nil {
		messages = []string{}
	}
	if errs == nil {
		errs = map[string]string{}
	}
	writeJSON(w, status, map[string]any{"errorMessages": messages, "errors": errs})
}

func writeNoIssue(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, []string{"Issue does not exist or you do not have permission to see it."}, nil)
}

package jiratest

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// NewIssue describes an issue to seed. Zero fields take defaults: status
// "To Do", type "Bug", reporter Engineer, created/updated now.
type NewIssue struct {
	Project     string
	Summary     string
	Description string
	Status      string
	Priority    string
	Labels      []string
	Custom      map[string]float64
	Reporter    string
	Created     time.Time
	Updated     time.Time
}

// Issue is a snapshot of an issue as tests read it back.
type Issue struct {
	ID             string
	Key            string
	OldKeys        []string
	Project        string
	Summary        string
	Description    string
	Creator        string // accountId of who created the issue
	Status         Status
	Priority       string
	Labels         []string
	Components     []string // names
	Resolution     string
	FixVersions    []string
	Custom         map[string]*float64
	Created        time.Time
	Updated        time.Time
	ResolutionDate time.Time
	// Notified counts the edits that sent watcher notifications.
	Notified int
}

// Comment is a comment as tests read it back.
type Comment struct {
	ID      string
	Author  string
	Body    string
	Created time.Time
}

// History is one changelog entry as tests read it back.
type History struct {
	ID      string
	Author  string
	Created time.Time
	Fields  []string
}

// AddProject creates a project; keys follow Jira's rules (upper case).
func (s *Site) AddProject(key, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.data.projects[key]; ok {
		return
	}
	s.data.projects[key] = &project{id: 10000 + int64(len(s.data.projects)), key: key, name: name, next: 1}
}

// AddComponent adds a component to a project, as a project admin would;
// issues may then be created in it.
func (s *Site) AddComponent(projectKey, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.data.projects[projectKey]
	if p == nil {
		return fmt.Errorf("jiratest: no project %q", projectKey)
	}
	if !slices.Contains(p.components, name) {
		p.components = append(p.components, name)
	}
	return nil
}

// AddUser adds a user to the site.
func (s *Site) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data.users[u.AccountID] = &u
}

// SetAdmin grants or revokes Administer Jira for a user (the service
// account starts as admin).
func (s *Site) SetAdmin(accountID string, admin bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.data.users[accountID]
	if !ok {
		return fmt.Errorf("jiratest: no user %q", accountID)
	}
	u.Admin = admin
	return nil
}

// CreateIssue seeds an issue and returns its snapshot.
func (s *Site) CreateIssue(n NewIssue) (Issue, error) {
	s.mu.Lock()
	st := s.data
	p, ok := st.projects[n.Project]
	if !ok {
		s.mu.Unlock()
		return Issue{}, fmt.Errorf("jiratest: no project %q", n.Project)
	}
	now := s.now()
	status := "To Do"
	if n.Status != "" {
		status = n.Status
	}
	stt, ok := st.statusByName(status)
	if !ok {
		s.mu.Unlock()
		return Issue{}, fmt.Errorf("jiratest: no status %q", status)
	}
	st.nextID++
	is := &issue{
		id: st.nextID, key: fmt.Sprintf("%s-%d", p.key, p.next), project: p, summary: n.Summary,
		issueType: "Bug", status: stt, labels: slices.Clone(n.Labels), reporter: n.Reporter, description: n.Description,
		created: now, updated: now, custom: map[string]any{},
	}
	p.next++
	if is.reporter == "" {
		is.reporter = Engineer
	}
	is.creator = is.reporter
	if !n.Created.IsZero() {
		is.created = n.Created
	}
	if !n.Updated.IsZero() {
		is.updated = n.Updated
	}
	if n.Priority != "" {
		pr, ok := st.priority("", n.Priority)
		if !ok {
			s.mu.Unlock()
			return Issue{}, fmt.Errorf("jiratest: no priority %q", n.Priority)
		}
		is.priority = &pr
	} else {
		pr, _ := st.priority("3", "")
		is.priority = &pr
	}
	for id, v := range n.Custom {
		is.custom[id] = v
	}
	if stt.Category == "done" {
		is.resolution, is.resolvedAt = "Done", is.updated
	}
	st.issues[is.id] = is
	st.byKey[is.key] = is
	ev := s.issueEvent(eventCreated, is, is.reporter, nil, nil)
	snap := snapshot(is)
	s.mu.Unlock()
	s.webhooks.send(ev)
	return snap, nil
}

// MustCreateIssue is CreateIssue for test setup; it panics on error.
func (s *Site) MustCreateIssue(n NewIssue) Issue {
	is, err := s.CreateIssue(n)
	if err != nil {
		panic(err)
	}
	return is
}

// HoldIndex makes searches lag on the issue, as Jira's index does now and
// then: until ReleaseIndex, every JQL search matches and returns the issue
// as it is now, whatever later edits change (GET issue shows them).
func (s *Site) HoldIndex(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.data.lookup(key)
	if is == nil {
		return
	}
	old := *is
	old.labels, old.fixVersions, old.oldKeys = slices.Clone(is.labels), slices.Clone(is.fixVersions), slices.Clone(is.oldKeys)
	old.custom = maps.Clone(is.custom)
	old.comments, old.links, old.histories = slices.Clone(is.comments), slices.Clone(is.links), slices.Clone(is.histories)
	if s.stale == nil {
		s.stale = map[int64]*issue{}
	}
	s.stale[is.id] = &old
}

// ReleaseIndex lets searches see the issue as it is again.
func (s *Site) ReleaseIndex(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.data.lookup(key); is != nil {
		delete(s.stale, is.id)
	}
}

// edit runs fn on the issue under the lock, records a changelog history of
// the items fn returns, stamps updated and sends the webhook.
func (s *Site) edit(idOrKey, by string, fn func(st *store, is *issue) ([]changeItem, error)) error {
	s.mu.Lock()
	is := s.data.lookup(idOrKey)
	if is == nil {
		s.mu.Unlock()
		return errNoIssue(idOrKey)
	}
	items, err := fn(s.data, is)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	h := s.data.touch(is, by, s.now(), items)
	ev := s.issueEvent(eventUpdated, is, by, h, nil)
	s.mu.Unlock()
	s.webhooks.send(ev)
	return nil
}

// Transition moves the issue to a status, as an engineer would; leaving a
// done status clears the resolution.
func (s *Site) Transition(key, status, by string) error {
	return s.edit(key, by, func(st *store, is *issue) ([]changeItem, error) {
		stt, ok := st.statusByName(status)
		if !ok {
			return nil, fmt.Errorf("jiratest: no status %q", status)
		}
		items := []changeItem{statusChange(is.status, stt)}
		is.status = stt
		if stt.Category != "done" && is.resolution != "" {
			items = append(items, change("resolution", "jira", is.resolution, ""))
			is.resolution, is.resolvedAt = "", time.Time{}
		}
		return items, nil
	})
}

func statusChange(from, to Status) changeItem {
	return changeItem{Field: "status", FieldType: "jira", FieldID: "status",
		From: strp(from.ID), FromString: strp(from.Name), To: strp(to.ID), ToString: strp(to.Name)}
}

// Resolve transitions the issue to Done with a resolution and, when
// fixVersion is not "", a fix version.
func (s *Site) Resolve(key, resolution, fixVersion, by string) error {
	return s.edit(key, by, func(st *store, is *issue) ([]changeItem, error) {
		if !slices.Contains(defaultResolutions, resolution) {
			return nil, fmt.Errorf("jiratest: no resolution %q", resolution)
		}
		done, _ := st.statusByName("Done")
		items := []changeItem{statusChange(is.status, done), change("resolution", "jira", is.resolution, resolution)}
		is.status, is.resolution, is.resolvedAt = done, resolution, s.now()
		if fixVersion != "" && !slices.Contains(is.fixVersions, fixVersion) {
			is.fixVersions = append(is.fixVersions, fixVersion)
			items = append(items, change("Fix Version", "jira", "", fixVersion))
			st.versionNamed(is.project, fixVersion)
		}
		return items, nil
	})
}

// SetPriority changes the priority by hand.
func (s *Site) SetPriority(key, name, by string) error {
	return s.edit(key, by, func(st *store, is *issue) ([]changeItem, error) {
		p, ok := st.priority("", name)
		if !ok {
			return nil, fmt.Errorf("jiratest: no priority %q", name)
		}
		from := ""
		if is.priority != nil {
			from = is.priority.Name
		}
		is.priority = &p
		return []changeItem{change("priority", "jira", from, name)}, nil
	})
}

// AddLabels adds labels by hand.
func (s *Site) AddLabels(key, by string, labels ...string) error {
	return s.edit(key, by, func(_ *store, is *issue) ([]changeItem, error) {
		before := slices.Clone(is.labels)
		for _, l := range labels {
			if !slices.Contains(is.labels, l) {
				is.labels = append(is.labels, l)
			}
		}
		return labelChange(before, is.labels), nil
	})
}

// RemoveLabels removes labels by hand.
func (s *Site) RemoveLabels(key, by string, labels ...string) error {
	return s.edit(key, by, func(_ *store, is *issue) ([]changeItem, error) {
		before := slices.Clone(is.labels)
		is.labels = slices.DeleteFunc(is.labels, func(l string) bool { return slices.Contains(labels, l) })
		return labelChange(before, is.labels), nil
	})
}

func labelChange(before, after []string) []changeItem {
	if slices.Equal(before, after) {
		return nil
	}
	return []changeItem{change("labels", "jira", strings.Join(before, " "), strings.Join(after, " "))}
}

// SetNumber sets (or, with nil, clears) a number custom field by hand.
func (s *Site) SetNumber(key, fieldID string, v *float64, by string) error {
	return s.edit(key, by, func(st *store, is *issue) ([]changeItem, error) {
		f, ok := st.field(fieldID)
		if !ok || f.Type != "number" {
			return nil, fmt.Errorf("jiratest: no number field %q", fieldID)
		}
		from := numberString(is.custom[fieldID])
		if v == nil {
			is.custom[fieldID] = nil
		} else {
			is.custom[fieldID] = *v
		}
		return []changeItem{{Field: f.Name, FieldType: "custom", FieldID: fieldID, From: nilIfEmpty(from), FromString: nilIfEmpty(from),
			To: nilIfEmpty(numberString(is.custom[fieldID])), ToString: nilIfEmpty(numberString(is.custom[fieldID]))}}, nil
	})
}

func numberString(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return ""
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// AddComment comments on the issue as the given user (no changelog entry;
// the issue's updated time moves, as in Jira).
func (s *Site) AddComment(key, by, body string) (Comment, error) {
	s.mu.Lock()
	is := s.data.lookup(key)
	if is == nil {
		s.mu.Unlock()
		return Comment{}, errNoIssue(key)
	}
	c := s.data.addComment(is, by, body, s.now())
	ev := s.issueEvent(eventComment, is, by, nil, c)
	s.mu.Unlock()
	s.webhooks.send(ev)
	return Comment{ID: strconv.FormatInt(c.id, 10), Author: c.author, Body: c.body, Created: c.created}, nil
}

func (st *store) addComment(is *issue, by, body string, at time.Time) *comment {
	c := &comment{id: st.objID(), author: by, body: body, created: at, updated: at}
	is.comments = append(is.comments, c)
	is.updated = at
	return c
}

// Move moves the issue to another project: it gets the next key there and
// its old key keeps resolving to it (GET /issue/{old}, JQL key = OLD).
func (s *Site) Move(key, toProject, by string) (newKey string, err error) {
	err = s.edit(key, by, func(st *store, is *issue) ([]changeItem, error) {
		p, ok := st.projects[toProject]
		if !ok {
			return nil, fmt.Errorf("jiratest: no project %q", toProject)
		}
		old := is.key
		is.oldKeys = append(is.oldKeys, old)
		is.key = fmt.Sprintf("%s-%d", p.key, p.next)
		p.next++
		fromProject := is.project
		is.project = p
		st.byKey[is.key] = is
		newKey = is.key
		return []changeItem{change("Key", "jira", old, is.key), change("project", "jira", fromProject.name, p.name)}, nil
	})
	return newKey, err
}

// Delete deletes the issue: its id and keys stop resolving.
func (s *Site) Delete(key, by string) error {
	s.mu.Lock()
	is := s.data.lookup(key)
	if is == nil {
		s.mu.Unlock()
		return errNoIssue(key)
	}
	delete(s.data.issues, is.id)
	for _, k := range append([]string{is.key}, is.oldKeys...) {
		delete(s.data.byKey, k)
	}
	ev := s.issueEvent(eventDeleted, is, by, nil, nil)
	s.mu.Unlock()
	s.webhooks.send(ev)
	return nil
}

// Issue returns the snapshot of an issue by id or key.
func (s *Site) Issue(idOrKey string) (Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.data.lookup(idOrKey)
	if is == nil {
		return Issue{}, false
	}
	return snapshot(is), true
}

func snapshot(is *issue) Issue {
	out := Issue{
		ID: strconv.FormatInt(is.id, 10), Key: is.key, OldKeys: slices.Clone(is.oldKeys), Project: is.project.key,
		Summary: is.summary, Description: is.description, Creator: is.creator, Status: is.status, Labels: slices.Clone(is.labels), Components: slices.Clone(is.components), Resolution: is.resolution,
		FixVersions: slices.Clone(is.fixVersions), Custom: map[string]*float64{}, Created: is.created,
		Updated: is.updated, ResolutionDate: is.resolvedAt, Notified: is.notified,
	}
	if is.priority != nil {
		out.Priority = is.priority.Name
	}
	for id, v := range is.custom {
		if f, ok := v.(float64); ok {
			out.Custom[id] = &f
		} else {
			out.Custom[id] = nil
		}
	}
	return out
}

// Comments returns the issue's comments, oldest first.
func (s *Site) Comments(idOrKey string) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.data.lookup(idOrKey)
	if is == nil {
		return nil
	}
	out := make([]Comment, len(is.comments))
	for i, c := range is.comments {
		out[i] = Comment{ID: strconv.FormatInt(c.id, 10), Author: c.author, Body: c.body, Created: c.created}
	}
	return out
}

// Histories returns the issue's changelog, oldest first.
func (s *Site) Histories(idOrKey string) []History {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.data.lookup(idOrKey)
	if is == nil {
		return nil
	}
	out := make([]History, len(is.histories))
	for i, h := range is.histories {
		var fields []string
		for _, it := range h.items {
			fields = append(fields, it.Field)
		}
		out[i] = History{ID: strconv.FormatInt(h.id, 10), Author: h.author, Created: h.created, Fields: fields}
	}
	return out
}

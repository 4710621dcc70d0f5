package jiratest

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// User is a Jira user. Cloud identifies users by AccountID; Data Center by
// Name (username) and Key.
type User struct {
	AccountID   string
	Name        string
	Key         string
	Email       string
	DisplayName string
	TimeZone    string
	// Admin grants Administer Jira: needed for notifyUsers=false to be honoured.
	Admin bool
}

// Field is an issue field as listed by GET /field.
type Field struct {
	ID     string
	Name   string
	Type   string // JSON schema type: "number", "string", "array", …
	Custom bool
}

// Status is a workflow status with its category key (new, indeterminate, done).
type Status struct {
	ID       string
	Name     string
	Category string
}

// Priority is one entry of the priority scheme.
type Priority struct {
	ID   string
	Name string
}

type statusCategory struct {
	ID        int
	Key       string
	Name      string
	ColorName string
}

// The default status categories, as go-jira's all_statuscategories.json mock
// and every Jira site has them.
var statusCategories = []statusCategory{
	{1, "undefined", "No Category", "medium-gray"},
	{2, "new", "To Do", "blue-gray"},
	{4, "indeterminate", "In Progress", "yellow"},
	{3, "done", "Done", "green"},
}

// The default Jira Cloud priority scheme (Highest…Lowest with their ids).
var defaultPriorities = []Priority{
	{"1", "Highest"}, {"2", "High"}, {"3", "Medium"}, {"4", "Low"}, {"5", "Lowest"},
}

var defaultStatuses = []Status{
	{"10000", "To Do", "new"},
	{"3", "In Progress", "indeterminate"},
	{"10001", "In Review", "indeterminate"},
	{"10002", "Done", "done"},
	{"6", "Closed", "done"},
}

var defaultResolutions = []string{"Done", "Won't Do", "Duplicate", "Cannot Reproduce"}

type project struct {
	id         int64
	key        string
	name       string
	next       int      // next issue number
	components []string // names, in the order added
}

type comment struct {
	id      int64
	author  string // accountId
	body    string
	created time.Time
	updated time.Time
}

type changeItem struct {
	Field, FieldType, FieldID string
	From, FromString          *string
	To, ToString              *string
}

type history struct {
	id      int64
	author  string
	created time.Time
	items   []changeItem
}

type issue struct {
	id          int64
	key         string
	project     *project
	oldKeys     []string
	summary     string
	description string // plain text; ADF in v3 is rendered from it
	issueType   string
	status      Status
	priority    *Priority
	labels      []string
	components  []string // names
	resolution  string
	resolvedAt  time.Time
	fixVersions []string
	reporter    string
	creator     string // accountId
	created     time.Time
	updated     time.Time
	custom      map[string]any // field id → float64 or nil
	comments    []*comment
	links       []*remoteLink
	histories   []*history
	notified    int // edits that sent watcher notifications
}

// store holds the site's data; Site.mu guards it.
type store struct {
	cfg        *config
	projects   map[string]*project // by key
	issues     map[int64]*issue
	byKey      map[string]*issue // current and old keys
	users      map[string]*User  // by accountId
	fields     []Field
	statuses   []Status
	priorities []Priority
	nextID     int64
	nextObj    int64              // comment, history, link ids
	versions   map[int64]*version // by id
}

func newStore(cfg *config) *store {
	st := &store{
		cfg:        cfg,
		projects:   map[string]*project{},
		issues:     map[int64]*issue{},
		byKey:      map[string]*issue{},
		users:      map[string]*User{},
		statuses:   slices.Clone(defaultStatuses),
		priorities: slices.Clone(defaultPriorities),
		nextID:     10000,
		nextObj:    10000,
		versions:   map[int64]*version{},
	}
	st.fields = []Field{
		{ID: "summary", Name: "Summary", Type: "string"},
		{ID: "status", Name: "Status", Type: "status"},
		{ID: "priority", Name: "Priority", Type: "priority"},
		{ID: "labels", Name: "Labels", Type: "array"},
		{ID: "updated", Name: "Updated", Type: "datetime"},
		{ID: "created", Name: "Created", Type: "datetime"},
		{ID: "resolution", Name: "Resolution", Type: "resolution"},
		{ID: "resolutiondate", Name: "Resolved", Type: "datetime"},
		{ID: "fixVersions", Name: "Fix versions", Type: "array"},
		{ID: "issuetype", Name: "Issue Type", Type: "issuetype"},
		{ID: "project", Name: "Project", Type: "project"},
		{ID: "reporter", Name: "Reporter", Type: "user"},
		{ID: "creator", Name: "Creator", Type: "user"},
		{ID: "description", Name: "Description", Type: "string"},
		{ID: "comment", Name: "Comment", Type: "comments-page"},
		{ID: CustomerCountField, Name: "Customers", Type: "number", Custom: true},
	}
	st.fields = append(st.fields, cfg.fields...)
	svc := User{AccountID: ServiceAccount, Name: "helpdesk-sync", Key: "JIRAUSER10100", Email: ServiceEmail,
		DisplayName: "helpdesk-sync", TimeZone: cfg.timeZone, Admin: true}
	eng := User{AccountID: Engineer, Name: "ada", Key: "JIRAUSER10101", Email: "ada@example.com",
		DisplayName: "Ada Engineer", TimeZone: "Europe/Berlin"}
	for _, u := range append([]User{svc, eng}, cfg.users...) {
		st.users[u.AccountID] = &u
	}
	return st
}

func (st *store) objID() int64 { st.nextObj++; return st.nextObj }

func (st *store) field(id string) (Field, bool) {
	for _, f := range st.fields {
		if f.ID == id {
			return f, true
		}
	}
	return Field{}, false
}

func (st *store) statusByName(name string) (Status, bool) {
	for _, s := range st.statuses {
		if s.Name == name {
			return s, true
		}
	}
	return Status{}, false
}

func (st *store) priority(id, name string) (Priority, bool) {
	for _, p := range st.priorities {
		if (id != "" && p.ID == id) || (id == "" && name != "" && p.Name == name) {
			return p, true
		}
	}
	return Priority{}, false
}

// lookup resolves an id or key (current or pre-move) to a live issue.
func (st *store) lookup(idOrKey string) *issue {
	if id, err := strconv.ParseInt(idOrKey, 10, 64); err == nil {
		return st.issues[id]
	}
	return st.byKey[idOrKey]
}

// touch stamps an edit: updated time and one changelog history.
func (st *store) touch(is *issue, author string, at time.Time, items []changeItem) *history {
	is.updated = at
	if len(items) == 0 {
		return nil
	}
	h := &history{id: st.objID(), author: author, created: at, items: items}
	is.histories = append(is.histories, h)
	return h
}

func strp(s string) *string { return &s }

func change(field, fieldType, from, to string) changeItem {
	c := changeItem{Field: field, FieldType: fieldType, FieldID: field}
	if from != "" {
		c.From, c.FromString = strp(from), strp(from)
	}
	if to != "" {
		c.To, c.ToString = strp(to), strp(to)
	}
	return c
}

func errNoIssue(idOrKey string) error { return fmt.Errorf("jiratest: no issue %q", idOrKey) }

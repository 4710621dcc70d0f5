package jiratest

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func seeded(t *testing.T) *Site {
	t.Helper()
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	now := base
	s := NewHandler(WithClock(func() time.Time { return now }))
	s.AddProject("PROJ", "Project")
	s.AddProject("OPS", "Operations")
	for i, n := range []NewIssue{
		{Project: "PROJ", Summary: "a", Labels: []string{"x"}},
		{Project: "PROJ", Summary: "b", Status: "In Progress"},
		{Project: "OPS", Summary: "c", Status: "Done", Priority: "High", Labels: []string{"y"}},
	} {
		now = base.Add(time.Duration(i) * time.Hour)
		s.MustCreateIssue(n)
	}
	return s
}

func keysOf(t *testing.T, s *Site, jql string) ([]string, error) {
	t.Helper()
	q, err := parseJQL(jql)
	if err != nil {
		return nil, err
	}
	c, err := compile(q, s.data, time.UTC, s.now())
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, is := range s.data.issues {
		if c.where(is) {
			keys = append(keys, is.key)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

func TestJQLMatches(t *testing.T) {
	s := seeded(t)
	cases := []struct {
		jql  string
		want []string
	}{
		{"project = PROJ", []string{"PROJ-1", "PROJ-2"}},
		{"project in (PROJ, OPS)", []string{"OPS-1", "PROJ-1", "PROJ-2"}},
		{`project in ("PROJ") AND statusCategory != done`, []string{"PROJ-1", "PROJ-2"}},
		{"statusCategory in (indeterminate, Done)", []string{"OPS-1", "PROJ-2"}},
		{"key in (PROJ-1, OPS-1)", []string{"OPS-1", "PROJ-1"}},
		{"issuekey = proj-2", []string{"PROJ-2"}},
		{"id in (10001, 10003)", []string{"OPS-1", "PROJ-1"}},
		{"labels = x OR labels = y", []string{"OPS-1", "PROJ-1"}},
		{"project = PROJ AND labels != x", nil},
		{"project = PROJ AND labels is EMPTY", []string{"PROJ-2"}},
		{`updated >= "2025-03-01 11:00"`, []string{"OPS-1", "PROJ-2"}},
		{`updated > "2025/03/01 11:00"`, []string{"OPS-1"}},
		{"updated >= 1740826800000", []string{"OPS-1", "PROJ-2"}}, // 2025-03-01T11:00Z in ms
		{`updated < "2025-03-02" AND (priority = High OR status = "In Progress")`, []string{"OPS-1", "PROJ-2"}},
		{`created = "2025-03-01"`, []string{"OPS-1", "PROJ-1", "PROJ-2"}},
	}
	for _, c := range cases {
		t.Run(c.jql, func(t *testing.T) {
			got, err := keysOf(t, s, c.jql)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestJQLErrorsNameTheProblem(t *testing.T) {
	s := seeded(t)
	cases := map[string]string{
		"key in (PROJ-1, PROJ-99, NOPE-1)":        "An issue with key 'PROJ-99' does not exist for field 'key'.; An issue with key 'NOPE-1' does not exist for field 'key'.",
		"key = 'PROJ-1) OR project = X'":          "The issue key 'PROJ-1) OR project = X' for field 'key' is invalid.",
		"id = 99999":                              "An issue with key '99999' does not exist for field 'id'.",
		"project = SECRET":                        "The value 'SECRET' does not exist for the field 'project'.",
		"status ~ done":                           "The operator '~' is not supported by the 'status' field.",
		"updated ~ today":                         "The operator '~' is not supported by the 'updated' field.",
		`text ~ "\") OR project = SECRET"`:        "phrase is not closed", // text, never JQL
		"summary = crash":                         "The operator '=' is not supported by the 'summary' field.",
		`summary ~ ""`:                            "does not support searching for an empty string",
		`summary ~ "*rash"`:                       "not allowed to start with a wildcard",
		`summary ~ "crash OR login"`:              "outside the simulated JQL subset",
		`summary ~ "-crash"`:                      "outside the simulated JQL subset",
		`text ~ "cr?sh"`:                          "outside the simulated JQL subset",
		`text ~ "\"unclosed phrase"`:              "phrase is not closed",
		"assignee = currentUser()":                "JQL function 'currentUser'",
		"nosuch = 1":                              "Field 'nosuch' does not exist or you do not have permission to view it.",
		`updated >= "yesterday"`:                  "Date value 'yesterday' for field 'updated' is invalid.",
		"project = PROJ ORDER BY summary":         "Not able to sort using field 'summary'.",
		"project = PROJ ORDER BY a,b,c,d,e,f,g,h": "maximum of 7 fields",
		`project = "PROJ`:                         "has not been completed",
		"project = PROJ AND":                      "Expecting a field name",
		"project = PROJ) OR (x":                   "Expecting either 'OR' or 'AND' but got ')'",
		"NOT project = PROJ":                      "NOT operator",
		"statusCategory = Blocked":                "The value 'Blocked' does not exist for the field 'statusCategory'.",
		"key > PROJ-1":                            "operator '>'",
	}
	for jql, want := range cases {
		t.Run(jql, func(t *testing.T) {
			_, err := keysOf(t, s, jql)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want it to contain %q", err, want)
			}
		})
	}
}

func TestJQLMovedKeyResolves(t *testing.T) {
	s := seeded(t)
	newKey, err := s.Move("PROJ-1", "OPS", Engineer)
	if err != nil || newKey != "OPS-2" {
		t.Fatalf("Move = %q, %v", newKey, err)
	}
	got, err := keysOf(t, s, "key = PROJ-1")
	if err != nil || !slices.Equal(got, []string{"OPS-2"}) {
		t.Fatalf("key = PROJ-1 → %v, %v; want the moved issue OPS-2", got, err)
	}
}

func TestJQLDatesUseTheUserTimeZone(t *testing.T) {
	s := seeded(t)
	q, _ := parseJQL(`updated >= "2025-03-01 12:00"`)
	berlin, _ := time.LoadLocation("Europe/Berlin") // UTC+1 in March
	c, err := compile(q, s.data, berlin, s.now())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, is := range s.data.issues {
		if c.where(is) {
			n++
		}
	}
	// 12:00 Berlin is 11:00 UTC: PROJ-2 (11:00Z) and OPS-1 (12:00Z) match.
	if n != 2 {
		t.Fatalf("matched %d issues, want 2", n)
	}
}

func FuzzJQL(f *testing.F) {
	for _, seed := range []string{
		"project in (PROJ, OPS) AND updated >= 1740826800000 ORDER BY updated ASC, key ASC",
		`key in ("PROJ-1", 'OPS-1') OR (labels is not EMPTY AND statusCategory != done)`,
		`updated > "2025/03/01 11:00" ORDER BY created DESC`, "", "(((", `"\`,
	} {
		f.Add(seed)
	}
	s := seeded(&testing.T{})
	f.Fuzz(func(t *testing.T, jql string) {
		q, err := parseJQL(jql)
		if err != nil {
			return
		}
		c, err := compile(q, s.data, time.UTC, s.now())
		if err != nil {
			return
		}
		for _, is := range s.data.issues {
			c.where(is)
			c.key(s.data, is)
		}
	})
}

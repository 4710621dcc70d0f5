package config

import "testing"

func TestProblemNamesItsVariableOnce(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{"from a file", Problem{Key: "jira.url", Env: "HELPDESK_SYNC_JIRA_URL", Origin: "c.yaml:3", Msg: "empty", Fix: "set it"},
			"jira.url (c.yaml:3): empty; set it (env HELPDESK_SYNC_JIRA_URL)"},
		{"from its variable", Problem{Key: "jira.url", Env: "HELPDESK_SYNC_JIRA_URL", Origin: "env HELPDESK_SYNC_JIRA_URL", Msg: "empty", Fix: "set it"},
			"jira.url (env HELPDESK_SYNC_JIRA_URL): empty; set it"},
		{"from its variable, with an example", Problem{Key: "jira.projects", Env: "HELPDESK_SYNC_JIRA_PROJECTS", Origin: "env HELPDESK_SYNC_JIRA_PROJECTS", Msg: "empty", Fix: "set one", EnvExample: "PROJ"},
			"jira.projects (env HELPDESK_SYNC_JIRA_PROJECTS): empty; set one (env HELPDESK_SYNC_JIRA_PROJECTS=PROJ)"},
		{"a default", Problem{Key: "jira.projects", Env: "HELPDESK_SYNC_JIRA_PROJECTS", Msg: "empty", Fix: "set one", EnvExample: "PROJ"},
			"jira.projects: empty; set one (env HELPDESK_SYNC_JIRA_PROJECTS=PROJ)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

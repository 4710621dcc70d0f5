package config

import (
	"strings"
	"testing"
)

func sidebarOn() *Config {
	c := valid()
	c.Sidebar.Enabled, c.Sidebar.AppID, c.Sidebar.InstallationID = true, 42, 7
	c.Sidebar.PublicURL = "https://sync.example.com"
	c.Sidebar.SessionKey = Secret(strings.Repeat("k", 32))
	c.Zendesk.KeysFieldID = 360001
	return c
}

func TestSidebarValid(t *testing.T) {
	c := sidebarOn()
	c.Sidebar.Labels = []string{"from-support", strings.Repeat("l", 255)}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if got := c.SidebarSubdomain(); got != "acme" {
		t.Errorf("SidebarSubdomain = %q, want acme (from zendesk.url)", got)
	}
	if got := c.SidebarProject(); got != "PROJ" {
		t.Errorf("SidebarProject = %q, want the first synced project", got)
	}
}

func TestSidebarRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		key    string
		want   string
	}{
		{"no keys field", func(c *Config) { c.Zendesk.KeysFieldID = 0 }, "sidebar.enabled", "zendesk.keys_field_id is not set"},
		{"no app id", func(c *Config) { c.Sidebar.AppID = 0 }, "sidebar.app_id", "not set, but sidebar.enabled is"},
		{"no installation", func(c *Config) { c.Sidebar.InstallationID = 0 }, "sidebar.installation_id", "not set"},
		{"no public url", func(c *Config) { c.Sidebar.PublicURL = "" }, "sidebar.public_url", "not set"},
		{"http public url", func(c *Config) { c.Sidebar.PublicURL = "http://sync.example.com" }, "sidebar.public_url", "is not https"},
		{"no session key", func(c *Config) { c.Sidebar.SessionKey = "" }, "sidebar.session_key", "not set"},
		{"short session key", func(c *Config) { c.Sidebar.SessionKey = "short-key" }, "sidebar.session_key", "9 characters long, under 32"},
		{"unknown subdomain", func(c *Config) { c.Zendesk.URL = "https://help.acme.com" }, "sidebar.account_subdomain", "not set"},
		{"bad subdomain", func(c *Config) { c.Sidebar.AccountSubdomain = "a.b" }, "sidebar.account_subdomain", "is not a Zendesk subdomain"},
		{"unsynced project", func(c *Config) { c.Sidebar.Project = "SECRET" }, "sidebar.project", "is not one of jira.projects"},
		{"no issue type", func(c *Config) { c.Sidebar.IssueType = " " }, "sidebar.issue_type", "empty"},
		{"label with a space", func(c *Config) { c.Sidebar.Labels = []string{"from support"} }, "sidebar.labels", `label "from support": want one word`},
		{"blank component", func(c *Config) { c.Sidebar.Components = []string{" "} }, "sidebar.components", "is not a component name"},
		{"too many labels", func(c *Config) { c.Sidebar.Labels = strings.Fields(strings.Repeat("l ", 21)) }, "sidebar.labels", "21 labels; at most 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sidebarOn()
			tt.mutate(c)
			got := errString(c.Validate())
			if !strings.Contains(got, tt.key) || !strings.Contains(got, tt.want) {
				t.Errorf("Validate = %q, want %s: …%s", got, tt.key, tt.want)
			}
		})
	}
}

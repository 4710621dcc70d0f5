package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkSidebar: with the app enabled, everything it needs to verify
// Zendesk's requests, sign sessions and file bugs.
func (c *Config) checkSidebar(p *problems) {
	s := c.Sidebar
	if s.AccountSubdomain != "" && !subdomainPattern.MatchString(s.AccountSubdomain) {
		p.add("sidebar.account_subdomain", fmt.Sprintf("%q is not a Zendesk subdomain", s.AccountSubdomain), "write the account's subdomain, e.g. account_subdomain: acme", "acme")
	}
	if s.Project != "" && !slices.Contains(c.Jira.Projects, s.Project) {
		p.add("sidebar.project", fmt.Sprintf("%q is not one of jira.projects %v", s.Project, c.Jira.Projects), "name a synced project, or leave it empty for the first", "")
	}
	if msg := checkLabels(s.Labels); msg != "" {
		p.add("sidebar.labels", msg, "write at most 20 labels without spaces, e.g. labels: [from-support]", "from-support")
	}
	for _, c := range s.Components {
		if strings.TrimSpace(c) == "" || utf8.RuneCountInString(c) > 255 {
			p.add("sidebar.components", fmt.Sprintf("%q is not a component name", c), "name components of sidebar.project, e.g. components: [Checkout]", "")
		}
	}
	if !s.Enabled {
		return
	}
	if c.Zendesk.KeysFieldID == 0 {
		p.add("sidebar.enabled", "true, but zendesk.keys_field_id is not set, and the panel links bugs by writing that field",
			"set zendesk.keys_field_id to the ticket field holding bug keys", "")
	}
	if s.AppID <= 0 {
		p.add("sidebar.app_id", "not set, but sidebar.enabled is", "set the id Zendesk gave the uploaded app (Admin Center > Apps and integrations > Zendesk Support apps > the app)", "")
	}
	if s.InstallationID <= 0 {
		p.add("sidebar.installation_id", "not set, but sidebar.enabled is", "set the installation's id (GET /api/v2/apps/installations.json lists it)", "")
	}
	if c.SidebarSubdomain() == "" {
		p.add("sidebar.account_subdomain", "not set, and zendesk.url is not https://SUBDOMAIN.zendesk.com", "set the account's subdomain, e.g. account_subdomain: acme", "acme")
	}
	if s.PublicURL == "" {
		p.add("sidebar.public_url", "not set, but sidebar.enabled is", "set the address agents' browsers reach the service at, e.g. public_url: https://sync.example.com", "https://sync.example.com")
	} else if checkURL(p, "sidebar.public_url", s.PublicURL, "https://sync.example.com") {
		u, _ := url.Parse(s.PublicURL)
		if u.Scheme != "https" && u.Hostname() != "localhost" {
			p.add("sidebar.public_url", fmt.Sprintf("%q is not https", s.PublicURL), "Zendesk loads app pages over https only (http only on localhost)", "")
		}
		if u.RawQuery != "" || u.Fragment != "" {
			p.add("sidebar.public_url", fmt.Sprintf("%q has a query or fragment", s.PublicURL), "drop them", "")
		}
	}
	if !given(s.SessionKey, s.SessionKeyFile) {
		p.add("sidebar.session_key", "not set, but sidebar.enabled is", "set session_key_file to a file of 32 random bytes or more, e.g. openssl rand -hex 32", "")
	}
	if strings.TrimSpace(s.IssueType) == "" {
		p.add("sidebar.issue_type", "empty", "name the issue type of filed bugs, e.g. issue_type: Bug", "Bug")
	}
}

// checkLabels says what Jira would refuse in labels (a label is one word
// of at most 255 characters), or what the panel's form would (more than
// 20 of them); "" when nothing.
func checkLabels(labels []string) string {
	if len(labels) > 20 {
		return fmt.Sprintf("%d labels; at most 20", len(labels))
	}
	for _, l := range labels {
		if l == "" || strings.ContainsFunc(l, unicode.IsSpace) || utf8.RuneCountInString(l) > 255 {
			return fmt.Sprintf("label %q: want one word of at most 255 characters", l)
		}
	}
	return ""
}

// SidebarSubdomain is the Zendesk account whose agents may open the
// sidebar: sidebar.account_subdomain, else zendesk.subdomain, else the
// subdomain of zendesk.url; "" when none says.
func (c *Config) SidebarSubdomain() string {
	if c.Sidebar.AccountSubdomain != "" {
		return c.Sidebar.AccountSubdomain
	}
	if c.Zendesk.Subdomain != "" {
		return c.Zendesk.Subdomain
	}
	u, err := url.Parse(c.Zendesk.URL)
	if err != nil {
		return ""
	}
	if sub, ok := strings.CutSuffix(strings.ToLower(u.Hostname()), ".zendesk.com"); ok && subdomainPattern.MatchString(sub) {
		return sub
	}
	return ""
}

// SidebarProject is the project bugs are filed in from the sidebar.
func (c *Config) SidebarProject() string {
	if c.Sidebar.Project != "" || len(c.Jira.Projects) == 0 {
		return c.Sidebar.Project
	}
	return c.Jira.Projects[0]
}

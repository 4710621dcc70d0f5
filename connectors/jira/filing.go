package jira

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

const (
	// maxSummary is Jira's limit on an issue summary, in characters.
	maxSummary = 255
	// maxSearchWords bounds the words of a text search: an agent's search
	// is a few words, and Jira's cost grows with each term.
	maxSearchWords = 20
	// defaultFindLimit is the number of candidates FindBugs returns when
	// the caller does not say.
	defaultFindLimit = 20
)

// FindBugs searches the synced projects for what an agent typed. A text
// that is an issue key finds that issue, when its project is synced.
// Anything else is searched as words (text ~) in the synced projects, most
// recently updated first, at most limit (default 20, at most the page
// size) in one request. The JQL is built only from validated project keys
// and from the letters and digits of the text, so no text reaches Jira as
// JQL or as a Lucene operator.
func (c *Client) FindBugs(ctx context.Context, query string, limit int) ([]engine.Bug, error) {
	if limit <= 0 {
		limit = defaultFindLimit
	}
	limit = min(limit, c.pageSize)
	text := strings.TrimSpace(query)
	if key := strings.ToUpper(text); keyPattern.MatchString(key) {
		if !slices.Contains(c.projects, key[:strings.LastIndexByte(key, '-')]) {
			return nil, nil
		}
		found, _, err := c.BugsByKey(ctx, []string{key})
		return found, err
	}
	jql, ok := textSearchJQL(c.projects, text)
	if !ok {
		return nil, nil
	}
	return c.searchFirst(ctx, "search issues by text", jql, limit)
}

// searchWords splits text into lower-case runs of letters and digits, at
// most maxSearchWords. Lower case keeps Lucene's upper-case operators
// (AND, OR, NOT) plain words, and dropping every other character drops
// quotes, backslashes, wildcards and the rest of JQL's and Lucene's syntax.
func searchWords(text string) []string {
	ws := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	return ws[:min(len(ws), maxSearchWords)]
}

// textSearchJQL is the query of a text search restricted to the projects
// (validated keys); ok is false when the text has no word to search for.
func textSearchJQL(projects []string, text string) (string, bool) {
	ws := searchWords(text)
	if len(ws) == 0 {
		return "", false
	}
	return fmt.Sprintf("project in (%s) AND text ~ %s ORDER BY updated DESC", quoteAll(projects), jqlString(strings.Join(ws, " "))), true
}

// jqlString quotes s as a JQL string. searchWords leaves nothing to
// escape; escaping anyway keeps the function safe on its own.
func jqlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// searchFirst runs a query for its first page only.
func (c *Client) searchFirst(ctx context.Context, op, jql string, limit int) ([]engine.Bug, error) {
	var issues []gojira.Issue
	if c.deployment == DataCenter {
		page, resp, err := c.jc.Issue.SearchWithContext(ctx, jql, &gojira.SearchOptions{MaxResults: limit, Fields: c.fields(), ValidateQuery: "strict"})
		if err != nil {
			return nil, goJiraError(op, "", resp, err)
		}
		issues = page
	} else {
		page, resp, err := c.jc.Issue.SearchV2JQLWithContext(ctx, jql, &gojira.SearchOptionsV2{MaxResults: limit, Fields: c.fields()})
		if err != nil {
			return nil, goJiraError(op, "", resp, err)
		}
		issues = page
	}
	return c.bugs(issues[:min(len(issues), limit)])
}

// CreateBug files an issue and returns its key. The description is an
// Atlassian Document on Cloud (REST v3) and plain text on Data Center
// (REST v2). A bug Jira would refuse (no synced project, an empty or
// over-long summary, a label with spaces) is refused before any request,
// wrapping engine.ErrPermanent.
func (c *Client) CreateBug(ctx context.Context, nb engine.NewBug) (string, error) {
	if err := c.checkNewBug(nb); err != nil {
		return "", err
	}
	fields := map[string]any{
		"project":   map[string]string{"key": nb.Project},
		"issuetype": map[string]string{"name": nb.IssueType},
		"summary":   nb.Summary,
	}
	if len(nb.Labels) > 0 {
		fields["labels"] = nb.Labels
	}
	if len(nb.Components) > 0 {
		refs := make([]map[string]string, 0, len(nb.Components))
		for _, c := range nb.Components {
			refs = append(refs, map[string]string{"name": c})
		}
		fields["components"] = refs
	}
	path := "rest/api/2/issue"
	if nb.Description != "" {
		fields["description"] = nb.Description
	}
	if c.deployment == Cloud {
		path = "rest/api/3/issue"
		if nb.Description != "" {
			fields["description"] = adf(nb.Description)
		}
	}
	var created struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if _, err := c.call(ctx, "create issue in project", nb.Project, "POST", path, map[string]any{"fields": fields}, &created); err != nil {
		return "", err
	}
	if !keyPattern.MatchString(created.Key) {
		return "", fmt.Errorf("jira: create issue in project %s: Jira answered key %q", nb.Project, created.Key)
	}
	return created.Key, nil
}

func (c *Client) checkNewBug(nb engine.NewBug) error {
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("jira: create issue in project %s: %s: %w", nb.Project, fmt.Sprintf(format, args...), engine.ErrPermanent)
	}
	switch {
	case !projectPattern.MatchString(nb.Project) || !slices.Contains(c.projects, nb.Project):
		return refuse("the project is not one of the synced projects %v", c.projects)
	case strings.TrimSpace(nb.IssueType) == "":
		return refuse("an issue type is needed")
	case strings.TrimSpace(nb.Summary) == "":
		return refuse("the summary is empty")
	case utf8.RuneCountInString(nb.Summary) > maxSummary:
		return refuse("the summary has %d characters; Jira takes at most %d", utf8.RuneCountInString(nb.Summary), maxSummary)
	case strings.ContainsAny(nb.Summary, "\r\n"):
		return refuse("the summary must be one line")
	}
	for _, l := range nb.Labels {
		if l == "" || strings.ContainsFunc(l, unicode.IsSpace) || utf8.RuneCountInString(l) > maxSummary {
			return refuse("the label %q must be non-empty, without spaces, at most %d characters", l, maxSummary)
		}
	}
	for _, c := range nb.Components {
		if strings.TrimSpace(c) == "" || utf8.RuneCountInString(c) > maxSummary {
			return refuse("the component %q must be a name of at most %d characters", c, maxSummary)
		}
	}
	return nil
}

// adf renders plain text as an Atlassian Document: a paragraph per line.
func adf(text string) map[string]any {
	var paras []any
	for _, line := range strings.Split(text, "\n") {
		content := []any{}
		if line != "" {
			content = append(content, map[string]any{"type": "text", "text": line})
		}
		paras = append(paras, map[string]any{"type": "paragraph", "content": content})
	}
	return map[string]any{"type": "doc", "version": 1, "content": paras}
}

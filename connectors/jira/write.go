package jira

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// EditBug sends one PUT /issue/{id} carrying every changed field: the
// priority by name and the customer count and revenue under fields, labels as add and
// remove verbs under update (so concurrent label edits by people survive).
func (c *Client) EditBug(ctx context.Context, edit engine.BugEdit) error {
	if err := checkID(edit.ID); err != nil {
		return err
	}
	fields := map[string]any{}
	if edit.Priority != "" {
		fields["priority"] = map[string]string{"name": edit.Priority}
	}
	if edit.CustomerCount != nil {
		if c.countField == "" {
			return &Error{Op: "edit issue", Issue: edit.Key, Status: http.StatusBadRequest,
				Messages: []string{"no customer count field is configured"}}
		}
		fields[c.countField] = *edit.CustomerCount
	}
	if edit.Revenue != nil {
		if c.revenueField == "" {
			return &Error{Op: "edit issue", Issue: edit.Key, Status: http.StatusBadRequest,
				Messages: []string{"no revenue field is configured"}}
		}
		fields[c.revenueField] = *edit.Revenue
	}
	var labels []map[string]string
	for _, l := range edit.AddLabels {
		labels = append(labels, map[string]string{"add": l})
	}
	for _, l := range edit.RemoveLabels {
		labels = append(labels, map[string]string{"remove": l})
	}
	body := map[string]any{}
	if len(fields) > 0 {
		body["fields"] = fields
	}
	if len(labels) > 0 {
		body["update"] = map[string]any{"labels": labels}
	}
	if len(body) == 0 {
		return nil
	}
	path := issuePath(edit.ID)
	if !c.notify {
		path += "?notifyUsers=false"
	}
	_, err := c.call(ctx, "edit issue", ref(edit.Key, edit.ID), http.MethodPut, path, body, nil)
	return err
}

func ref(key, id string) string {
	if key == "" {
		return id
	}
	return key + " (" + id + ")"
}

// AddComment posts a plain-text (v2) comment and returns its created time,
// on Jira's clock (Jira stamps the issue's updated with it).
func (c *Client) AddComment(ctx context.Context, bugID, body string) (time.Time, error) {
	if err := checkID(bugID); err != nil {
		return time.Time{}, err
	}
	var out struct {
		Created json.RawMessage `json:"created"`
	}
	if _, err := c.call(ctx, "comment on issue", bugID, http.MethodPost, issuePath(bugID)+"/comment",
		map[string]string{"body": body}, &out); err != nil {
		return time.Time{}, err
	}
	var created jiraTime
	if json.Unmarshal(out.Created, &created) != nil {
		return time.Time{}, nil // posted; its time unknown, which only costs a changelog read later
	}
	return time.Time(created), nil
}

type commentPage struct {
	StartAt    int `json:"startAt"`
	MaxResults int `json:"maxResults"`
	Total      int `json:"total"`
	Comments   []struct {
		Body    string      `json:"body"`
		Created jiraTime    `json:"created"`
		Author  accountJSON `json:"author"`
	} `json:"comments"`
}

// comments walks the issue's comments newest first, a page per request,
// until visit returns false.
func (c *Client) comments(ctx context.Context, op, bugID string, visit func(body string, created time.Time, author accountJSON) bool) error {
	for start := 0; ; {
		var page commentPage
		path := issuePath(bugID) + "/comment?orderBy=-created&maxResults=100&startAt=" + strconv.Itoa(start)
		if _, err := c.call(ctx, op, bugID, http.MethodGet, path, nil, &page); err != nil {
			return err
		}
		for _, cm := range page.Comments {
			if !visit(cm.Body, time.Time(cm.Created), cm.Author) {
				return nil
			}
		}
		start += len(page.Comments)
		if len(page.Comments) == 0 || start >= page.Total {
			return nil
		}
	}
}

// HasComment reports whether any comment contains marker, newest first so
// that a recent marker is found in one request.
func (c *Client) HasComment(ctx context.Context, bugID, marker string) (bool, error) {
	if err := checkID(bugID); err != nil {
		return false, err
	}
	found := false
	err := c.comments(ctx, "list comments of issue", bugID, func(body string, _ time.Time, _ accountJSON) bool {
		found = strings.Contains(body, marker)
		return !found
	})
	return found, err
}

// RemoteLinks lists the bug's remote links.
func (c *Client) RemoteLinks(ctx context.Context, bugID string) ([]engine.RemoteLink, error) {
	if err := checkID(bugID); err != nil {
		return nil, err
	}
	links, resp, err := c.jc.Issue.GetRemoteLinksWithContext(ctx, bugID)
	if err != nil {
		return nil, goJiraError("list remote links of issue", bugID, resp, err)
	}
	var out []engine.RemoteLink
	for _, l := range *links {
		rl := engine.RemoteLink{GlobalID: l.GlobalID}
		if l.Object != nil {
			rl.URL, rl.Title, rl.Summary = l.Object.URL, l.Object.Title, l.Object.Summary
			if l.Object.Status != nil {
				rl.Resolved = l.Object.Status.Resolved
			}
		}
		out = append(out, rl)
	}
	return out, nil
}

// remoteLinkBody is RemoteIssueLinkRequest. go-jira's RemoteLink drops
// "resolved": false (omitempty), and an upsert nulls every member it does
// not receive, so the full object is always sent from here.
type remoteLinkBody struct {
	GlobalID     string `json:"globalId"`
	Application  app    `json:"application"`
	Relationship string `json:"relationship"`
	Object       object `json:"object"`
}

type app struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

type icon struct {
	URL16x16 string `json:"url16x16"`
	Title    string `json:"title"`
}

type object struct {
	URL     string `json:"url"`
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Icon    icon   `json:"icon"`
	Status  struct {
		Resolved bool `json:"resolved"`
	} `json:"status"`
}

// UpsertRemoteLink creates or replaces the link with link.GlobalID.
func (c *Client) UpsertRemoteLink(ctx context.Context, bugID string, link engine.RemoteLink) error {
	if err := checkID(bugID); err != nil {
		return err
	}
	if link.GlobalID == "" {
		return &Error{Op: "link ticket to issue", Issue: bugID, Status: http.StatusBadRequest,
			Messages: []string{"a remote link needs a global id"}}
	}
	body := remoteLinkBody{
		GlobalID:     link.GlobalID,
		Application:  app{Type: "com.zendesk", Name: "Zendesk"},
		Relationship: "linked support tickets",
		Object: object{URL: link.URL, Title: link.Title, Summary: link.Summary,
			Icon: icon{URL16x16: faviconOf(link.URL), Title: "Zendesk ticket"}},
	}
	body.Object.Status.Resolved = link.Resolved
	// An upsert by globalId applied twice is applied once: the shared
	// transport may resend it after a 5xx or a lost connection.
	_, err := c.call(connectors.WithIdempotent(ctx), "link ticket to issue", bugID, http.MethodPost,
		issuePath(bugID)+"/remotelink", body, nil)
	return err
}

// faviconOf is the icon of the helpdesk the link points at.
func faviconOf(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/favicon.ico"
}

// DeleteRemoteLink removes the link with globalID; one already gone is fine.
func (c *Client) DeleteRemoteLink(ctx context.Context, bugID, globalID string) error {
	if err := checkID(bugID); err != nil {
		return err
	}
	path := issuePath(bugID) + "/remotelink?globalId=" + url.QueryEscape(globalID)
	_, err := c.call(ctx, "unlink ticket from issue", bugID, http.MethodDelete, path, nil, nil)
	if errors.Is(err, engine.ErrNotFound) {
		c.log.Debug("jira: remote link already gone", zap.String("issue_id", bugID))
		return nil
	}
	return err
}

package jira

import (
	"context"
	"net/http"
	"strconv"
	"time"

	gojira "github.com/andygrunwald/go-jira"
)

// jiraTime reads Jira's REST timestamps, e.g. 2025-03-01T10:00:00.000+0000.
type jiraTime time.Time

func (t *jiraTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := time.Parse(`"2006-01-02T15:04:05.999-0700"`, string(b))
	if err != nil {
		return err
	}
	*t = jiraTime(v)
	return nil
}

// accountJSON is the part of a user object that identifies it on either
// deployment.
type accountJSON struct {
	AccountID string `json:"accountId"`
	Key       string `json:"key"`
	Name      string `json:"name"`
}

func (a accountJSON) user() gojira.User {
	return gojira.User{AccountID: a.AccountID, Key: a.Key, Name: a.Name}
}

type changelogPage struct {
	StartAt    int  `json:"startAt"`
	MaxResults int  `json:"maxResults"`
	Total      int  `json:"total"`
	IsLast     bool `json:"isLast"`
	Values     []struct {
		Created jiraTime    `json:"created"`
		Author  accountJSON `json:"author"`
	} `json:"values"`
}

// ActivityByOthers returns the time of the newest change (changelog) or
// comment after since by someone other than the service account, zero when
// there is none. The changelog is oldest first, so it is read from its last
// page backwards; comments newest first; each stops at the first entry by
// someone else or not after since. That is one changelog request (two when
// it has more than a page of entries) and one comments request, more only
// while the service's own entries fill whole pages.
func (c *Client) ActivityByOthers(ctx context.Context, bugID string, since time.Time) (time.Time, error) {
	if err := checkID(bugID); err != nil {
		return time.Time{}, err
	}
	self, err := c.myself(ctx)
	if err != nil {
		return time.Time{}, err
	}
	newest, err := c.changedByOthers(ctx, bugID, since, self)
	if err != nil {
		return time.Time{}, err
	}
	after := latestTime(since, newest) // only a later comment is news
	err = c.comments(ctx, "list comments of issue", bugID, func(_ string, created time.Time, author accountJSON) bool {
		if !created.After(after) {
			return false
		}
		if self.is(author.user()) {
			return true
		}
		newest = created
		return false
	})
	return newest, err
}

func latestTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// changedByOthers returns the time of the newest changelog entry after
// since made by someone other than self, zero when there is none.
func (c *Client) changedByOthers(ctx context.Context, bugID string, since time.Time, self account) (time.Time, error) {
	const size = 100
	read := func(start int) (changelogPage, error) {
		var page changelogPage
		path := issuePath(bugID) + "/changelog?maxResults=" + strconv.Itoa(size) + "&startAt=" + strconv.Itoa(start)
		_, err := c.call(ctx, "read changelog of issue", bugID, http.MethodGet, path, nil, &page)
		return page, err
	}
	page, err := read(0)
	if err != nil {
		return time.Time{}, err
	}
	start := 0
	if page.Total > len(page.Values) {
		// Jump to the newest entries; go back only while they are recent.
		start = max(page.Total-size, 0)
		if page, err = read(start); err != nil {
			return time.Time{}, err
		}
	}
	for {
		for i := len(page.Values) - 1; i >= 0; i-- {
			h := page.Values[i]
			if !time.Time(h.Created).After(since) {
				return time.Time{}, nil
			}
			if !self.is(h.Author.user()) {
				return time.Time(h.Created), nil
			}
		}
		if start == 0 {
			return time.Time{}, nil
		}
		start = max(start-size, 0)
		if page, err = read(start); err != nil {
			return time.Time{}, err
		}
	}
}

package jira

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// versionPageSize is the page size of the paged version list; Jira caps
// it at 50.
const versionPageSize = 50

// versionPage is PageBeanVersion, with only what the engine uses.
type versionPage struct {
	IsLast bool `json:"isLast"`
	Values []struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Released    bool   `json:"released"`
		ReleaseDate string `json:"releaseDate"`
	} `json:"values"`
}

// Versions lists a project's versions in Jira's order, reading the paged
// GET /project/{key}/version (the unpaged …/versions returns a project's
// whole history in one response, which grows without bound). Data Center
// and Cloud serve the same endpoint.
func (c *Client) Versions(ctx context.Context, project string) ([]engine.Version, error) {
	if !projectPattern.MatchString(project) {
		return nil, fmt.Errorf("jira: project key %q must match %s: %w", project, projectPattern, engine.ErrPermanent)
	}
	var out []engine.Version
	for start := 0; ; {
		path := "rest/api/2/project/" + url.PathEscape(project) + "/version?startAt=" + strconv.Itoa(start) +
			"&maxResults=" + strconv.Itoa(versionPageSize)
		var page versionPage
		if _, err := c.call(ctx, "list versions of project", project, "GET", path, nil, &page); err != nil {
			return nil, err
		}
		for _, v := range page.Values {
			ver, err := releasedVersion(project, v.ID, v.Name, v.ReleaseDate)
			if err != nil {
				return nil, err
			}
			ver.Released = v.Released
			out = append(out, ver)
		}
		if page.IsLast {
			return out, nil
		}
		if len(page.Values) == 0 {
			// A page that is neither last nor moves on would loop forever.
			return nil, fmt.Errorf("jira: list versions of project %s: empty page at %d that is not the last", project, start)
		}
		start += len(page.Values)
	}
}

// releasedVersion is a version with its releaseDate (Jira's yyyy-mm-dd,
// "" for none) parsed, marked released.
func releasedVersion(project, id, name, date string) (engine.Version, error) {
	v := engine.Version{ID: id, Project: project, Name: name, Released: true}
	if date != "" {
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return engine.Version{}, fmt.Errorf("jira: version %s of project %s: release date %q: %w", id, project, date, err)
		}
		v.ReleaseDate = d
	}
	return v, nil
}

package jira

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	gojira "github.com/andygrunwald/go-jira"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// batchSize bounds the keys or ids in one "key in (…)" query.
const batchSize = 100

// fields are the only issue fields the engine needs; asking for fewer keeps
// pages small and Jira's per-page cap high.
func (c *Client) fields() []string {
	f := []string{"summary", "status", "priority", "labels", "updated", "resolution", "fixVersions", "project"}
	if c.countField != "" {
		f = append(f, c.countField)
	}
	if c.revenueField != "" {
		f = append(f, c.revenueField)
	}
	return f
}

// ChangedBugs streams the configured projects' issues updated at or after
// since minus the overlap, oldest first. The bound is an epoch-millisecond
// number, which JQL reads as an instant: quoted dates would be read in the
// service account's profile time zone, to the minute. The last page is
// Through the newest Date a Jira response gave before the search was sent
// (zero before the first response): Jira's clock had reached it when the
// search arrived.
func (c *Client) ChangedBugs(ctx context.Context, since time.Time, handle func(context.Context, engine.BugPage) error) error {
	through := c.jiraTime()
	from := since.Add(-c.overlap)
	bound := fmt.Sprintf(" AND updated >= %d", from.UnixMilli())
	if from.Before(time.Unix(0, 0)) {
		// A first pass (zero watermark) reads everything: no negative
		// epoch numbers for Jira to puzzle over.
		bound = ""
	}
	jql := fmt.Sprintf("project in (%s)%s ORDER BY updated ASC, key ASC", quoteAll(c.projects), bound)
	start := c.now()
	pages, total := 0, 0
	err := c.search(ctx, "search changed issues", jql, func(ctx context.Context, issues []gojira.Issue, last bool) error {
		bugs, err := c.bugs(issues)
		if err != nil {
			return err
		}
		pages++
		total += len(bugs)
		fields := []zap.Field{zap.Int("page", pages), zap.Int("issues", len(bugs)), zap.Int("total", total)}
		if n := len(bugs); n > 0 {
			fields = append(fields, zap.Time("last_updated", bugs[n-1].Updated))
		}
		c.log.Info("jira: changed issues page", fields...)
		page := engine.BugPage{Bugs: bugs}
		if last {
			page.Through = through
		}
		return handle(ctx, page)
	})
	if err != nil {
		return err
	}
	c.log.Debug("jira: changed issues read", zap.Time("since", from), zap.Int("pages", pages),
		zap.Int("issues", total), zap.Duration("took", c.now().Sub(start)))
	return nil
}

// search runs one JQL query to the end, a page per call of page (last on
// the final one): Cloud's enhanced search by nextPageToken, Data Center's
// search by startAt.
func (c *Client) search(ctx context.Context, op, jql string, page func(ctx context.Context, issues []gojira.Issue, last bool) error) error {
	if c.deployment == DataCenter {
		opts := &gojira.SearchOptions{MaxResults: c.pageSize, Fields: c.fields(), ValidateQuery: "strict"}
		for {
			issues, resp, err := c.jc.Issue.SearchWithContext(ctx, jql, opts)
			if err != nil {
				return goJiraError(op, "", resp, err)
			}
			opts.StartAt += len(issues)
			last := len(issues) == 0 || opts.StartAt >= resp.Total
			if err := page(ctx, issues, last); err != nil || last {
				return err
			}
		}
	}
	opts := &gojira.SearchOptionsV2{MaxResults: c.pageSize, Fields: c.fields()}
	for {
		issues, resp, err := c.jc.Issue.SearchV2JQLWithContext(ctx, jql, opts)
		if err != nil {
			return goJiraError(op, "", resp, err)
		}
		last := resp.IsLast || resp.NextPageToken == ""
		if err := page(ctx, issues, last); err != nil || last {
			return err
		}
		opts.NextPageToken = resp.NextPageToken
	}
}

// Jira refuses a whole query when one key or id in it does not exist (or is
// not visible to the service account); these name the culprit.
var (
	absentKey  = regexp.MustCompile(`^An issue with key '([^']+)' does not exist for field '(?:key|issuekey|id)'\.$`)
	invalidKey = regexp.MustCompile(`^The issue key '([^']+)' for field '(?:key|issuekey)' is invalid\.$`)
)

// BugsByKey resolves keys in batches of key in (…). Keys that do not match
// the strict key pattern or name a project outside the configuration never
// reach JQL; they are missing. A key of a moved issue resolves to the issue
// under its new key.
func (c *Client) BugsByKey(ctx context.Context, keys []string) (found []engine.Bug, missing []string, err error) {
	var valid []string
	for _, k := range keys {
		if keyPattern.MatchString(k) && slices.Contains(c.projects, k[:strings.LastIndexByte(k, '-')]) {
			valid = append(valid, k)
		} else {
			missing = append(missing, k)
		}
	}
	if n := len(missing); n > 0 {
		c.log.Debug("jira: keys refused before search", zap.Int("keys", n))
	}
	found, absent, err := c.lookup(ctx, "key", valid)
	return found, append(missing, absent...), err
}

// BugsByID reads issues by immutable id in batches of id in (…).
func (c *Client) BugsByID(ctx context.Context, ids []string) (found []engine.Bug, missing []string, err error) {
	var valid []string
	for _, id := range ids {
		if idPattern.MatchString(id) {
			valid = append(valid, id)
		} else {
			missing = append(missing, id)
		}
	}
	found, absent, err := c.lookup(ctx, "id", valid)
	return found, append(missing, absent...), err
}

// lookup runs "field in (…)" per batch. When Jira refuses a batch because
// some values do not exist, those are missing and the rest is asked again.
func (c *Client) lookup(ctx context.Context, field string, values []string) (found []engine.Bug, missing []string, err error) {
	values = dedupe(values)
	for len(values) > 0 {
		batch := values[:min(batchSize, len(values))]
		values = values[len(batch):]
		for len(batch) > 0 {
			jql := fmt.Sprintf("%s in (%s)", field, quoteAll(batch))
			var page []engine.Bug
			err := c.search(ctx, "look up issues by "+field, jql, func(_ context.Context, issues []gojira.Issue, _ bool) error {
				bugs, err := c.bugs(issues)
				page = append(page, bugs...)
				return err
			})
			if err == nil {
				found = append(found, page...)
				break
			}
			absent := absentValues(err, batch)
			if len(absent) == 0 {
				return nil, nil, err
			}
			missing = append(missing, absent...)
			batch = slices.DeleteFunc(batch, func(v string) bool { return slices.Contains(absent, v) })
		}
	}
	return found, missing, nil
}

// absentValues returns the batch values a 400 names as not existing; nil
// when the refusal is about anything else.
func absentValues(err error, batch []string) []string {
	var jerr *Error
	if !errors.As(err, &jerr) || jerr.Status != 400 {
		return nil
	}
	var absent []string
	for _, m := range jerr.Messages {
		sub := absentKey.FindStringSubmatch(m)
		if sub == nil {
			sub = invalidKey.FindStringSubmatch(m)
		}
		if sub == nil {
			return nil // some other problem: not ours to guess
		}
		// Jira may echo a key in another case; match it back to ours.
		i := slices.IndexFunc(batch, func(v string) bool { return strings.EqualFold(v, sub[1]) })
		if i < 0 {
			return nil
		}
		absent = append(absent, batch[i])
	}
	return absent
}

// quoteAll renders validated keys as JQL strings: quoting keeps a project
// key that happens to be a JQL word (OR, IN, EMPTY …) a value.
func quoteAll(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = `"` + v + `"`
	}
	return strings.Join(quoted, ", ")
}

func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// bugs maps a page of issues to the engine's Bug.
func (c *Client) bugs(issues []gojira.Issue) ([]engine.Bug, error) {
	out := make([]engine.Bug, 0, len(issues))
	for _, is := range issues {
		b, err := c.bug(is)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func (c *Client) bug(is gojira.Issue) (engine.Bug, error) {
	f := is.Fields
	if f == nil || f.Status == nil || is.ID == "" || is.Key == "" {
		return engine.Bug{}, fmt.Errorf("jira: issue %q (%s) came without id, key, fields or status", is.Key, is.ID)
	}
	b := engine.Bug{
		ID: is.ID, Key: is.Key, Project: f.Project.Key, Summary: f.Summary,
		Status: f.Status.Name, StatusCategory: engine.StatusCategory(f.Status.StatusCategory.Key),
		Labels: f.Labels, Updated: time.Time(f.Updated), URL: c.browseURL(is.Key),
	}
	if b.Project == "" {
		b.Project = is.Key[:max(strings.LastIndexByte(is.Key, '-'), 0)]
	}
	if f.Resolution != nil {
		b.Resolution = f.Resolution.Name
	}
	if f.Priority != nil {
		b.Priority = f.Priority.Name
	}
	for _, v := range f.FixVersions {
		if v == nil {
			continue
		}
		b.FixVersions = append(b.FixVersions, v.Name)
		if v.Released != nil && *v.Released {
			rel, err := releasedVersion(b.Project, v.ID, v.Name, v.ReleaseDate)
			if err != nil {
				return engine.Bug{}, fmt.Errorf("jira: issue %s: fix version: %w", is.Key, err)
			}
			b.Released = append(b.Released, rel)
		}
	}
	var err error
	if b.CustomerCount, err = numberField(is.Key, c.countField, f.Unknowns); err != nil {
		return engine.Bug{}, err
	}
	if b.Revenue, err = numberField(is.Key, c.revenueField, f.Unknowns); err != nil {
		return engine.Bug{}, err
	}
	return b, nil
}

// numberField is the value of number field id of issue key, nil when the
// field is empty or id is "".
func numberField(key, id string, fields map[string]any) (*float64, error) {
	if id == "" || fields == nil {
		return nil, nil
	}
	switch v := fields[id].(type) {
	case float64:
		return &v, nil
	case nil:
		return nil, nil
	case string:
		// Some number fields come back as strings through proxies/add-ons.
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("jira: issue %s: field %s holds %q, not a number", key, id, v)
		}
		return &n, nil
	default:
		return nil, fmt.Errorf("jira: issue %s: field %s holds %T, not a number", key, id, v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Package jira is the engine's Tracker port on Jira Cloud and Jira Data
// Center, built on github.com/andygrunwald/go-jira. Where go-jira lacks an
// endpoint or gets one wrong (notifyUsers=false, comment and changelog
// paging, remote-link bodies, delete by globalId) it sends the request with
// go-jira's NewRequestWithContext and Do, so there is one HTTP stack.
package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gojira "github.com/andygrunwald/go-jira"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Deployment is the kind of Jira the client talks to.
type Deployment string

const (
	// Cloud is Jira Cloud: basic auth with email and API token, enhanced
	// search (/rest/api/2/search/jql) with nextPageToken paging.
	Cloud Deployment = "cloud"
	// DataCenter is Jira Data Center: bearer personal access token,
	// /rest/api/2/search with startAt paging.
	DataCenter Deployment = "datacenter"
)

// Options configures a Client.
type Options struct {
	BaseURL    string     // e.g. https://acme.atlassian.net
	Deployment Deployment // default Cloud
	Email      string     // Cloud: the service account's email
	Token      string     // Cloud: its API token
	PAT        string     // Data Center: personal access token
	// HTTPClient carries the shared transport (retries, Retry-After, rate
	// limits, counting); nil uses http.DefaultClient.
	HTTPClient *http.Client
	// Projects are the project keys whose issues are bugs to sync.
	Projects []string
	// CustomerCountField is the id of the number field that holds the
	// customer count, e.g. "customfield_10042"; "" leaves counts unsynced.
	CustomerCountField string
	// RevenueField is the id of the number field the revenue waiting is
	// written to; "" leaves it off the bug.
	RevenueField string
	// SearchOverlap is subtracted from the watermark of ChangedBugs so that
	// issues indexed late are not missed (default two minutes).
	SearchOverlap time.Duration
	// PageSize is the number of issues per search page (default and
	// maximum 100, Jira Cloud's cap when fields are requested).
	PageSize int
	// Notify sends watcher notifications for the service's edits. The
	// default (false) sends notifyUsers=false, which Jira honours only for
	// accounts with Administer Jira or Administer project permission; for
	// others it is ignored and watchers are notified.
	Notify bool
	Logger *zap.Logger
	Clock  func() time.Time
}

// Client implements engine.Tracker over the Jira REST API v2.
type Client struct {
	jc         *gojira.Client
	deployment Deployment
	base       string
	projects   []string
	countField string
	overlap    time.Duration
	pageSize   int
	notify     bool
	log        *zap.Logger
	now        func() time.Time

	revenueField string

	selfMu sync.Mutex
	self   *account
	// dates is the newest Date header of a Jira response (unix seconds).
	dates *atomic.Int64
}

var _ engine.Tracker = (*Client)(nil)

var (
	projectPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,9}$`)
	keyPattern     = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,9}-[1-9][0-9]{0,9}$`)
	idPattern      = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)
	fieldPattern   = regexp.MustCompile(`^customfield_[0-9]{1,12}$`)
)

// New validates opts and returns a client. It makes no request.
func New(opts Options) (*Client, error) {
	if opts.Deployment == "" {
		opts.Deployment = Cloud
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("jira: base URL %q must be an absolute http(s) URL", opts.BaseURL)
	}
	httpClient := opts.HTTPClient
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	switch opts.Deployment {
	case Cloud:
		if opts.Email == "" || opts.Token == "" {
			return nil, errors.New("jira: cloud deployment needs an email and an API token")
		}
		hc := *httpClient
		hc.Transport = &gojira.BasicAuthTransport{Username: opts.Email, Password: opts.Token, Transport: httpClient.Transport}
		httpClient = &hc
	case DataCenter:
		if opts.PAT == "" {
			return nil, errors.New("jira: datacenter deployment needs a personal access token")
		}
		hc := *httpClient
		hc.Transport = &gojira.BearerAuthTransport{Token: opts.PAT, Transport: httpClient.Transport}
		httpClient = &hc
	default:
		return nil, fmt.Errorf("jira: deployment %q is neither %q nor %q", opts.Deployment, Cloud, DataCenter)
	}
	if len(opts.Projects) == 0 {
		return nil, errors.New("jira: at least one project key is needed")
	}
	for _, p := range opts.Projects {
		if !projectPattern.MatchString(p) {
			return nil, fmt.Errorf("jira: project key %q must match %s", p, projectPattern)
		}
	}
	if opts.CustomerCountField != "" && !fieldPattern.MatchString(opts.CustomerCountField) {
		return nil, fmt.Errorf("jira: customer count field %q must look like customfield_10042", opts.CustomerCountField)
	}
	if opts.RevenueField != "" && !fieldPattern.MatchString(opts.RevenueField) {
		return nil, fmt.Errorf("jira: revenue field %q must look like customfield_10043", opts.RevenueField)
	}
	if opts.SearchOverlap < 0 {
		return nil, fmt.Errorf("jira: search overlap %s must not be negative", opts.SearchOverlap)
	}
	if opts.SearchOverlap == 0 {
		opts.SearchOverlap = 2 * time.Minute
	}
	if opts.PageSize <= 0 || opts.PageSize > 100 {
		opts.PageSize = 100
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	dates := &atomic.Int64{}
	hc := *httpClient
	hc.Transport = dated{next: httpClient.Transport, newest: dates}
	httpClient = &hc
	jc, err := gojira.NewClient(httpClient, opts.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("jira: client for %s: %w", opts.BaseURL, err)
	}
	return &Client{
		jc: jc, deployment: opts.Deployment, base: strings.TrimSuffix(opts.BaseURL, "/"),
		projects: append([]string(nil), opts.Projects...), countField: opts.CustomerCountField,
		overlap: opts.SearchOverlap, pageSize: opts.PageSize, notify: opts.Notify,
		log: opts.Logger.With(zap.String("tracker", "jira")), now: opts.Clock, dates: dates,
		revenueField: opts.RevenueField,
	}, nil
}

// dated notes the Date header of every Jira response: Jira's own clock,
// the one its issues' updated times are on.
type dated struct {
	next   http.RoundTripper // nil is http.DefaultTransport
	newest *atomic.Int64
}

func (d dated) RoundTrip(r *http.Request) (*http.Response, error) {
	next := d.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	if t, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
		for sec := t.Unix(); ; {
			old := d.newest.Load()
			if sec <= old || d.newest.CompareAndSwap(old, sec) {
				break
			}
		}
	}
	return resp, err
}

// jiraTime is the newest time a Jira response's Date header gave, zero
// before any: Jira's clock had reached it before any request sent now
// arrives. The header counts whole seconds, rounded down.
func (c *Client) jiraTime() time.Time {
	if sec := c.dates.Load(); sec > 0 {
		return time.Unix(sec, 0).UTC()
	}
	return time.Time{}
}

// account identifies the service's own Jira user: accountId on Cloud,
// key and name on Data Center.
type account struct {
	accountID, key, name string
}

func (a account) is(u gojira.User) bool {
	switch {
	case a.accountID != "" && u.AccountID != "":
		return a.accountID == u.AccountID
	case a.key != "" && u.Key != "":
		return a.key == u.Key
	default:
		return a.name != "" && a.name == u.Name
	}
}

// myself reads GET /myself once; a failure is not cached.
func (c *Client) myself(ctx context.Context) (account, error) {
	c.selfMu.Lock()
	defer c.selfMu.Unlock()
	if c.self != nil {
		return *c.self, nil
	}
	u, resp, err := c.jc.User.GetSelfWithContext(ctx)
	if err != nil {
		return account{}, goJiraError("read the service account (GET /myself)", "", resp, err)
	}
	a := account{accountID: u.AccountID, key: u.Key, name: u.Name}
	if a == (account{}) {
		return account{}, errors.New("jira: GET /myself returned no accountId, key or name")
	}
	c.self = &a
	c.log.Info("jira: service account identified", zap.String("account_id", a.accountID), zap.String("user_key", a.key))
	return a, nil
}

func (c *Client) browseURL(key string) string { return c.base + "/browse/" + key }

// issuePath is the REST path of an issue by validated id.
func issuePath(id string) string { return "rest/api/2/issue/" + url.PathEscape(id) }

func checkID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("jira: issue id %q is not a Jira issue id: %w", id, engine.ErrPermanent)
	}
	return nil
}

// Package zendesk is the helpdesk adapter of helpdesk-sync: it implements
// engine.Helpdesk on the Zendesk Support API through
// github.com/nukosuke/go-zendesk, using its raw Get/Put for the endpoints
// the library lacks (incremental export, update_many, job statuses,
// organizations show_many).
package zendesk

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	zd "github.com/nukosuke/go-zendesk/zendesk"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Options configure a Client.
type Options struct {
	// BaseURL is the account's URL, e.g. https://acme.zendesk.com (a trailing
	// /api/v2 is accepted). Subdomain ("acme") is used when BaseURL is empty.
	BaseURL   string
	Subdomain string

	// Email and Token authenticate with an API token ("email/token:TOKEN");
	// OAuthToken authenticates with "Bearer". Exactly one of the two.
	Email      string
	Token      string
	OAuthToken string

	// HTTPClient carries every request; the service passes one whose
	// Transport retries, honours Retry-After and keeps to the rate limits.
	// nil is http.DefaultClient.
	HTTPClient *http.Client

	KeysFieldID   int64  // custom field holding bug keys (0: none)
	StatusFieldID int64  // custom field the engine writes bug status to (0: none)
	TierField     string // organization field key holding the customer tier ("": none)

	// RevenueField is the organization field key holding the revenue
	// ("": none); see Client.revenue.
	RevenueField string

	// StartTime is where the export starts when no cursor has been persisted
	// yet (zero: the beginning of the account).
	StartTime time.Time
	// PageSize is per_page of the export, at most 1000 (the default).
	PageSize int
	// NoteAuthorID is the author of private notes (0: the token's user).
	NoteAuthorID int64

	Logger *zap.Logger      // nil: no logs
	Clock  func() time.Time // the time of export starts; nil: the wall clock

	// JobPoll is the first wait before reading an update_many job's status;
	// it doubles up to 8×JobPoll. Default 1s.
	JobPoll time.Duration
	// JobTimeout bounds how long a job is followed before its tickets are
	// reported as failed (retryable). Default 2m.
	JobTimeout time.Duration
}

// Client is a Zendesk account seen through engine.Helpdesk.
type Client struct {
	api        *zd.Client
	base       *url.URL // scheme://host of the account
	keysField  int64
	statusFld  int64
	tierField  string
	startTime  time.Time
	pageSize   int
	noteAuthor int64
	log        *zap.Logger
	now        func() time.Time
	jobPoll    time.Duration
	jobTimeout time.Duration
	pace       pace // of following update_many jobs

	// revenueField and revenueWarned: see revenue.go.
	revenueField  string
	revenueWarned revenueWarnings
}

var _ engine.Helpdesk = (*Client)(nil)

const maxPageSize = 1000

// New checks opts and returns a Client. It makes no request.
func New(opts Options) (*Client, error) {
	base, err := accountURL(opts.BaseURL, opts.Subdomain)
	if err != nil {
		return nil, err
	}
	var cred zd.Credential
	switch {
	case opts.OAuthToken != "" && (opts.Email != "" || opts.Token != ""):
		return nil, errors.New("zendesk: set either Email+Token or OAuthToken, not both")
	case opts.OAuthToken != "":
		cred = zd.NewBearerTokenCredential(opts.OAuthToken)
	case opts.Email != "" && opts.Token != "":
		cred = zd.NewAPITokenCredential(opts.Email, opts.Token)
	default:
		return nil, errors.New("zendesk: credentials missing: set Email and Token (API token) or OAuthToken")
	}
	if opts.PageSize < 0 || opts.PageSize > maxPageSize {
		return nil, fmt.Errorf("zendesk: PageSize %d out of range 1..%d", opts.PageSize, maxPageSize)
	}
	api, err := zd.NewClient(opts.HTTPClient)
	if err != nil {
		return nil, fmt.Errorf("zendesk: %w", err)
	}
	// go-zendesk appends paths such as "/tickets.json" to the endpoint URL,
	// so it takes the /api/v2 prefix (notes.md §7).
	if err := api.SetEndpointURL(base.String() + "/api/v2"); err != nil {
		return nil, fmt.Errorf("zendesk: base URL: %w", err)
	}
	api.SetCredential(cred)

	c := &Client{api: api, base: base, keysField: opts.KeysFieldID, statusFld: opts.StatusFieldID,
		tierField: opts.TierField, startTime: opts.StartTime, pageSize: opts.PageSize,
		noteAuthor: opts.NoteAuthorID, log: opts.Logger, now: opts.Clock,
		jobPoll: opts.JobPoll, jobTimeout: opts.JobTimeout, pace: wallPace{}}
	c.revenueField = opts.RevenueField
	if c.pageSize == 0 {
		c.pageSize = maxPageSize
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.jobPoll <= 0 {
		c.jobPoll = time.Second
	}
	if c.jobTimeout <= 0 {
		c.jobTimeout = 2 * time.Minute
	}
	return c, nil
}

func accountURL(raw, subdomain string) (*url.URL, error) {
	if raw == "" {
		if subdomain == "" {
			return nil, errors.New("zendesk: set BaseURL (https://acme.zendesk.com) or Subdomain (acme)")
		}
		raw = "https://" + subdomain + ".zendesk.com"
	}
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSuffix(raw, "/"), "/api/v2"))
	if err != nil {
		return nil, fmt.Errorf("zendesk: BaseURL %q: %w", raw, err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("zendesk: BaseURL %q: want an http(s) URL such as https://acme.zendesk.com", raw)
	case u.Host == "":
		return nil, fmt.Errorf("zendesk: BaseURL %q has no host", raw)
	case u.User != nil:
		return nil, errors.New("zendesk: BaseURL must not carry credentials; set Email/Token or OAuthToken")
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("zendesk: BaseURL %q: want the account root such as https://acme.zendesk.com", raw)
	}
	return &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host)}, nil
}

// agentURL is the ticket's page in the agent workspace.
func (c *Client) agentURL(id int64) string {
	return c.base.String() + "/agent/tickets/" + strconv.FormatInt(id, 10)
}

// TicketRef parses a URL of one of this account's tickets: the agent URL
// (https://host/agent/tickets/42) or the API URL
// (https://host/api/v2/tickets/42.json). URLs of other hosts, other paths
// or ids that are not positive integers are rejected.
func (c *Client) TicketRef(raw string) (int64, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return 0, false
	}
	if !strings.EqualFold(hostPort(u), hostPort(c.base)) {
		return 0, false
	}
	var rest string
	var ok bool
	if rest, ok = strings.CutPrefix(u.Path, "/agent/tickets/"); !ok {
		if rest, ok = strings.CutPrefix(u.Path, "/api/v2/tickets/"); !ok {
			return 0, false
		}
		rest = strings.TrimSuffix(rest, ".json")
	}
	if rest == "" || rest[0] < '1' || rest[0] > '9' {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return 0, false
	}
	return id, true
}

// hostPort is the URL's host with the scheme's default port removed.
func hostPort(u *url.URL) string {
	host, port := u.Hostname(), u.Port()
	if port == "" || (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		return host
	}
	return host + ":" + port
}

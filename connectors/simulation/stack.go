package simulation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
)

// StackOptions configure Start.
type StackOptions struct {
	// ZendeskAddr and JiraAddr are the host:port to listen on (":8081");
	// "" picks a free loopback port.
	ZendeskAddr, JiraAddr string
	// Clock is both simulators' time; nil is the wall clock.
	Clock func() time.Time
	// Zendesk and Jira are more simulator options, applied after the
	// stack's own (e.g. zendesktest.WithExportLag(0) for benchmarks).
	Zendesk []zendesktest.Option
	Jira    []jiratest.Option
	Logger  *zap.Logger
}

// Stack is both simulators running on listeners, seeded with one dataset.
type Stack struct {
	Zendesk  *zendesktest.Server
	Jira     *jiratest.Site
	Dataset  Dataset // as seeded: BrowseURL is the Jira simulator's URL
	Summary  Summary
	Settings Settings

	servers []*http.Server
}

// Start listens on both addresses, seeds d into the simulators and returns
// them serving. Close the stack when done.
func Start(ctx context.Context, d Dataset, o StackOptions) (*Stack, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	zl, err := listen(o.ZendeskAddr)
	if err != nil {
		return nil, fmt.Errorf("simulation: zendesk simulator: %w", err)
	}
	jl, err := listen(o.JiraAddr)
	if err != nil {
		_ = zl.Close()
		return nil, fmt.Errorf("simulation: jira simulator: %w", err)
	}
	zdURL, jiraURL := baseURL(zl.Addr()), baseURL(jl.Addr())

	var zopts []zendesktest.Option
	jopts := []jiratest.Option{jiratest.WithBaseURL(jiraURL)}
	if o.Clock != nil {
		zopts = append(zopts, zendesktest.WithClock(o.Clock))
		jopts = append(jopts, jiratest.WithClock(o.Clock))
	}
	s := &Stack{
		Zendesk: zendesktest.NewHandler(append(zopts, o.Zendesk...)...),
		Jira:    jiratest.NewHandler(append(jopts, o.Jira...)...),
		Settings: Settings{
			ZendeskURL: zdURL, ZendeskEmail: zendesktest.DefaultEmail, ZendeskToken: zendesktest.DefaultToken,
			KeysFieldID: KeysFieldID, StatusFieldID: StatusFieldID, TierField: TierField,
			JiraURL: jiraURL, JiraEmail: jiratest.ServiceEmail, JiraToken: jiratest.ServiceToken,
			Projects: ProjectKeys(), CustomerCountField: jiratest.CustomerCountField,
		},
	}
	s.serve(zl, s.Zendesk, o.Logger.Named("zendesk"))
	s.serve(jl, s.Jira, o.Logger.Named("jira"))

	d.BrowseURL = jiraURL
	s.Dataset = d
	if s.Summary, err = Seed(ctx, s.Zendesk, s.Jira, d, o.Logger); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return l, nil
}

// baseURL is how a client on this machine reaches a listener: a wildcard
// address (":8081") is reached on the loopback.
func baseURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String()
	}
	host := tcp.IP.String()
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}

func (s *Stack) serve(l net.Listener, h http.Handler, log *zap.Logger) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: zap.NewStdLog(log)}
	s.servers = append(s.servers, srv)
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("simulator listener failed", zap.Error(err))
		}
	}()
}

// Close stops both listeners and the simulators' background work.
func (s *Stack) Close() error {
	s.Zendesk.Close() // releases hanging responses first
	s.Jira.ClearFaults()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, srv.Close())
		}
	}
	s.Jira.WaitWebhooks()
	return errors.Join(errs...)
}

// Settings are what the service needs to work against the stack.
type Settings struct {
	ZendeskURL, ZendeskEmail, ZendeskToken string
	KeysFieldID, StatusFieldID             int64
	TierField                              string
	JiraURL, JiraEmail, JiraToken          string
	Projects                               []string
	CustomerCountField                     string
}

// Env is the configuration as environment variables ("NAME=value"), which
// the service reads over (or without) a configuration file.
func (s Settings) Env() []string {
	kv := [][2]string{
		{"ZENDESK_URL", s.ZendeskURL},
		{"ZENDESK_EMAIL", s.ZendeskEmail},
		{"ZENDESK_TOKEN", s.ZendeskToken},
		{"ZENDESK_KEYS_FIELD_ID", strconv.FormatInt(s.KeysFieldID, 10)},
		{"ZENDESK_STATUS_FIELD_ID", strconv.FormatInt(s.StatusFieldID, 10)},
		{"ZENDESK_TIER_FIELD", s.TierField},
		{"JIRA_URL", s.JiraURL},
		{"JIRA_EMAIL", s.JiraEmail},
		{"JIRA_TOKEN", s.JiraToken},
		{"JIRA_PROJECTS", strings.Join(s.Projects, ",")},
		{"JIRA_CUSTOMER_COUNT_FIELD", s.CustomerCountField},
		{"ZENDESK_EXPORT_REQUESTS_PER_MINUTE", strconv.Itoa(ExportRequestsPerMinute)},
	}
	out := make([]string, len(kv))
	for i, p := range kv {
		out[i] = config.EnvPrefix + p[0] + "=" + p[1]
	}
	return out
}

// ExportRequestsPerMinute is the export budget Env and YAML give the
// service: the simulators enforce none, and Zendesk's real 10 a minute
// would pace the backfill of a seeded account.
const ExportRequestsPerMinute = 400

// YAML is the configuration file's part of the settings. The tokens are
// left to the environment, where the configuration wants secrets.
func (s Settings) YAML() string {
	return fmt.Sprintf(`zendesk:
  url: %s
  email: %s
  keys_field_id: %d
  status_field_id: %d
  tier_field: %s
  export_requests_per_minute: %d
jira:
  url: %s
  email: %s
  projects: [%s]
  customer_count_field: %s
`, s.ZendeskURL, s.ZendeskEmail, s.KeysFieldID, s.StatusFieldID, s.TierField, ExportRequestsPerMinute,
		s.JiraURL, s.JiraEmail, strings.Join(s.Projects, ", "), s.CustomerCountField)
}

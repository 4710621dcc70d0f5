package service_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// quiesceOnJira quiesces the service at its first Jira request: a SIGTERM
// arriving in the middle of a cycle.
type quiesceOnJira struct {
	once sync.Once
	svc  func() *service.Service
}

func (q *quiesceOnJira) ObserveRequest(info connectors.RequestInfo) {
	if info.Vendor == "jira" {
		q.once.Do(func() { q.svc().Quiesce() })
	}
}

// stepErrors keeps what the step observers heard.
type stepErrors struct {
	mu   sync.Mutex
	errs []error
	reps []engine.Report
}

func (s *stepErrors) StepStarted(string) {}

func (s *stepErrors) ObserveStep(_ string, rep engine.Report, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs, s.reps = append(s.errs, err), append(s.reps, rep)
}

// A shutdown that stops a cycle part way is a clean stop: no ERROR line,
// no failure for the observers (metrics, readiness, the board), and the
// step says it stopped.
func TestQuiesceMidCycleIsACleanStop(t *testing.T) {
	ctx := context.Background()
	zd := zendesktest.NewServer(zendesktest.WithExportLag(0))
	defer zd.Close()
	jr := jiratest.NewServer()
	defer jr.Close()
	rdb, prefix := redistest.Client(t)
	redisURL, err := redistest.URL()
	if err != nil {
		t.Fatal(err)
	}
	zd.AddTicketField(zendesktest.TicketField{ID: 360001234567, Type: "text", Title: "Jira keys", Active: true})
	zd.AddTicketField(zendesktest.TicketField{ID: 360007654321, Type: "text", Title: "Bug status", Active: true})
	jr.AddProject("PROJ", "Product")
	bug := jr.MustCreateIssue(jiratest.NewIssue{Project: "PROJ", Summary: "Export fails", Priority: "Low"})
	zd.CreateTicket(zendesktest.Ticket{Subject: "Export broken", Status: "open",
		CustomFields: []zendesktest.CustomField{{ID: 360001234567, Value: bug.Key}}})
	env := map[string]string{
		"HELPDESK_SYNC_ZENDESK_URL": zd.URL, "HELPDESK_SYNC_ZENDESK_EMAIL": zendesktest.DefaultEmail,
		"HELPDESK_SYNC_ZENDESK_TOKEN": zendesktest.DefaultToken, "HELPDESK_SYNC_ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "400",
		"HELPDESK_SYNC_JIRA_URL": jr.URL, "HELPDESK_SYNC_JIRA_EMAIL": jiratest.ServiceEmail,
		"HELPDESK_SYNC_JIRA_TOKEN": jiratest.ServiceToken, "HELPDESK_SYNC_JIRA_PROJECTS": "PROJ",
		"HELPDESK_SYNC_JIRA_CUSTOMER_COUNT_FIELD": jiratest.CustomerCountField,
		"HELPDESK_SYNC_REDIS_URL":                 redisURL, "HELPDESK_SYNC_REDIS_KEY_PREFIX": prefix,
		"HELPDESK_SYNC_WEBHOOKS_ZENDESK_SECRET": strings.Repeat("z", 44), "HELPDESK_SYNC_WEBHOOKS_JIRA_SECRET": strings.Repeat("j", 32),
		"HELPDESK_SYNC_BOARD_TOKEN": strings.Repeat("b", 32),
	}
	cfg, err := config.Load("../../config/example.yaml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	var svc *service.Service
	steps := &stepErrors{}
	svc, err = service.New(cfg, service.Options{Logger: zap.New(core), Redis: rdb, NoLease: true, Steps: steps,
		Observer: &quiesceOnJira{svc: func() *service.Service { return svc }}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()

	_, err = svc.Engine.Cycle(ctx)
	if !errors.Is(err, engine.ErrStopping) {
		t.Fatalf("cycle returned %v, want one saying it stopped", err)
	}
	for _, e := range logs.All() {
		if e.Level >= zapcore.ErrorLevel {
			t.Errorf("a clean stop logged %s %q %v", e.Level, e.Message, e.ContextMap())
		}
	}
	if n := logs.FilterMessageSnippet("stopped for shutdown").FilterLevelExact(zapcore.InfoLevel).Len(); n != 1 {
		t.Errorf("%d info lines say the cycle stopped for shutdown, want 1", n)
	}
	steps.mu.Lock()
	defer steps.mu.Unlock()
	if len(steps.errs) != 1 || steps.errs[0] != nil || !steps.reps[0].Stopped || steps.reps[0].Errors != 0 {
		t.Errorf("observers heard %v with %+v, want a stopped step without error", steps.errs, steps.reps)
	}
}

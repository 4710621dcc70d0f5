package ops_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/helpdesk-sync/helpdesk-sync/connectors"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/ops"
)

func TestProgress(t *testing.T) {
	const bound = 3 * time.Minute
	ok200 := connectors.RequestInfo{Vendor: "zendesk", Status: 200}
	tests := []struct {
		name   string
		script func(p *ops.Progress, c *clocktest.Manual)
		ready  bool
		detail string // must appear in the detail
		err    string // must appear in the error
	}{
		{name: "a standby that just started", script: func(*ops.Progress, *clocktest.Manual) {},
			ready: true, detail: "standing by; last drain succeeded never"},
		{name: "a standby whose drains succeed", script: func(p *ops.Progress, c *clocktest.Manual) {
			for range 10 {
				c.Advance(time.Minute)
				p.ObserveStep("drain", engine.Report{}, nil)
			}
		}, ready: true, detail: "last drain succeeded 0s ago"},
		{name: "a standby whose drains fail", script: func(p *ops.Progress, c *clocktest.Manual) {
			p.ObserveStep("drain", engine.Report{}, nil)
			for range 4 {
				c.Advance(time.Minute)
				p.ObserveStep("drain", engine.Report{}, errors.New("state: claim: i/o timeout"))
			}
		}, ready: false, detail: "last drain failed 0s ago: state: claim: i/o timeout", err: "no progress for 4m0s (bound 3m0s)"},
		{name: "a new leader before its first cycle", script: func(p *ops.Progress, c *clocktest.Manual) {
			c.Advance(10 * time.Minute)
			p.SetLeader(7)
			c.Advance(time.Minute)
		}, ready: true, detail: "leader (fencing token 7); last cycle succeeded never"},
		{name: "a leader whose drains succeed but cycles fail", script: func(p *ops.Progress, c *clocktest.Manual) {
			p.SetLeader(7)
			for range 4 {
				c.Advance(time.Minute)
				p.ObserveStep("cycle", engine.Report{}, errors.New("jira: search: 503"))
				p.ObserveStep("drain", engine.Report{}, nil)
			}
		}, ready: false, detail: "last cycle failed 0s ago: jira: search: 503", err: "no successful cycle"},
		{name: "a leader backfilling in one long cycle", script: func(p *ops.Progress, c *clocktest.Manual) {
			p.SetLeader(7)
			p.StepStarted("cycle")
			for range 30 {
				c.Advance(time.Minute)
				p.ObserveRequest(ok200)
			}
		}, ready: true, detail: "last cycle succeeded never; a cycle has been under way for 30m0s"},
		{name: "vendor errors are no progress", script: func(p *ops.Progress, c *clocktest.Manual) {
			p.SetLeader(7)
			for range 5 {
				c.Advance(time.Minute)
				p.ObserveRequest(connectors.RequestInfo{Vendor: "jira", Status: 401})
				p.ObserveRequest(connectors.RequestInfo{Vendor: "jira"})
			}
		}, ready: false, err: "last vendor success never"},
		{name: "a leader whose cycles succeed", script: func(p *ops.Progress, c *clocktest.Manual) {
			p.SetLeader(7)
			c.Advance(time.Minute)
			p.ObserveStep("cycle", engine.Report{}, errors.New("one bug failed"))
			c.Advance(time.Minute)
			p.ObserveStep("cycle", engine.Report{}, nil)
		}, ready: true, detail: "leader (fencing token 7); last cycle succeeded 0s ago"},
		{name: "a former leader standing by counts its cycles", script: func(p *ops.Progress, c *clocktest.Manual) {
			p.SetLeader(7)
			c.Advance(5 * time.Minute)
			p.ObserveStep("cycle", engine.Report{}, nil)
			p.SetLeader(0)
			c.Advance(2 * time.Minute)
		}, ready: true, detail: "standing by"},
		{name: "re-elected with the same token keeps its start", script: func(p *ops.Progress, c *clocktest.Manual) {
			p.SetLeader(7)
			c.Advance(2 * time.Minute)
			p.SetLeader(7)
			c.Advance(2 * time.Minute)
		}, ready: false, err: "no progress for 4m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clocktest.NewManual(time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC))
			p := ops.NewProgress(bound, c.Now)
			tt.script(p, c)
			detail, err := p.Check(context.Background())
			if (err == nil) != tt.ready {
				t.Fatalf("ready %v (err %v), want %v; detail %q", err == nil, err, tt.ready, detail)
			}
			if !strings.Contains(detail, tt.detail) {
				t.Errorf("detail %q lacks %q", detail, tt.detail)
			}
			if err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %q lacks %q", err, tt.err)
			}
		})
	}
}

func TestProgressKeepsErrorsShort(t *testing.T) {
	p := ops.NewProgress(time.Minute, nil)
	p.ObserveStep("drain", engine.Report{}, errors.Join(errors.New("first"), errors.New(strings.Repeat("→", 5000))))
	detail, _ := p.Check(context.Background())
	if n := utf8.RuneCountInString(detail); n > 400 || !utf8.ValidString(detail) || strings.Contains(detail, "\n") {
		t.Fatalf("detail of %d runes, valid UTF-8 %v: %q", n, utf8.ValidString(detail), detail)
	}
	if !strings.Contains(detail, "first; →→") {
		t.Fatalf("joined errors are not on one line: %q", detail)
	}
}

package service

import (
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/config"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestJiraWindow(t *testing.T) {
	for _, tc := range []struct {
		perSecond float64
		events    int
		per       time.Duration
	}{
		{10, 10, time.Second},
		{1, 1, time.Second},
		{2.5, 1, 400 * time.Millisecond},
		{0.5, 1, 2 * time.Second},
	} {
		if events, per := jiraWindow(tc.perSecond); events != tc.events || per != tc.per {
			t.Errorf("jiraWindow(%v) = %d per %s, want %d per %s", tc.perSecond, events, per, tc.events, tc.per)
		}
	}
}

func TestShorter(t *testing.T) {
	for _, tc := range []struct {
		d       time.Duration
		speedup float64
		want    time.Duration
	}{
		{time.Minute, 0, time.Minute}, // unset: real time
		{time.Minute, 1, time.Minute},
		{time.Minute, 15, 4 * time.Second},
		{time.Second, 15, time.Second / 15},
	} {
		if got := shorter(tc.d, tc.speedup); got != tc.want {
			t.Errorf("shorter(%s, %v) = %s, want %s", tc.d, tc.speedup, got, tc.want)
		}
	}
}

func TestFollowMapping(t *testing.T) {
	for _, tc := range []struct {
		assign string
		want   engine.Assign
	}{
		{"none", engine.Assign{Kind: engine.AssignNone}},
		{"last_agent", engine.Assign{Kind: engine.AssignLastAgent}},
		{"group:360001234567", engine.Assign{Kind: engine.AssignGroup, GroupID: 360001234567}},
	} {
		got := follow(config.TicketStatus{Enabled: true, WhileOpen: "hold", When: "released", Then: "open", Assign: tc.assign})
		want := engine.FollowPolicy{Enabled: true, WhileOpen: engine.StatusHold, When: engine.FollowReleased, Then: engine.StatusOpen, Assign: tc.want}
		if got != want {
			t.Errorf("follow(assign %q) = %+v, want %+v", tc.assign, got, want)
		}
	}
}

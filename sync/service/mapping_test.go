package service

import (
	"testing"
	"time"
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

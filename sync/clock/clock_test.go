package clock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
)

func TestSleep(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{name: "waits out a short duration", ctx: context.Background(), d: time.Millisecond},
		{name: "a zero duration returns at once", ctx: context.Background()},
		{name: "an ended context cuts a long wait short", ctx: cancelled, d: time.Hour, want: context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := clock.Sleep(tc.ctx, tc.d); !errors.Is(err, tc.want) {
				t.Fatalf("Sleep = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRealAfterFires(t *testing.T) {
	var c clock.Clock = clock.Real{}
	before := c.Now()
	<-c.After(time.Millisecond)
	if !c.Now().After(before) {
		t.Fatal("the wall clock did not move past a timer it fired")
	}
}

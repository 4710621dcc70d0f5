package clocktest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
	"github.com/helpdesk-sync/helpdesk-sync/sync/clock/clocktest"
)

var t0 = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

var (
	_ clock.Clock = (*clocktest.Manual)(nil)
	_ clock.Clock = (*clocktest.Shifted)(nil)
)

func TestManualFiresTimersItReaches(t *testing.T) {
	c := clocktest.NewManual(t0)
	soon, later := c.After(time.Second), c.After(time.Minute)
	select {
	case <-c.After(0):
	default:
		t.Fatal("a timer of no duration did not fire at once")
	}
	if got, want := c.Timers(), []time.Time{t0.Add(time.Second), t0.Add(time.Minute)}; !slices.Equal(got, want) {
		t.Fatalf("Timers = %v, want %v", got, want)
	}
	if now := c.Advance(30 * time.Second); !now.Equal(t0.Add(30 * time.Second)) {
		t.Fatalf("Advance returned %v", now)
	}
	select {
	case at := <-soon:
		if !at.Equal(t0.Add(30 * time.Second)) {
			t.Fatalf("timer received %v, want the time Advance reached", at)
		}
	default:
		t.Fatal("a timer Advance passed did not fire")
	}
	select {
	case <-later:
		t.Fatal("a timer Advance did not reach fired")
	default:
	}
	if got := c.Timers(); len(got) != 1 {
		t.Fatalf("Timers after one fired = %v, want one", got)
	}
}

func TestShiftedJumpsAndRuns(t *testing.T) {
	c := clocktest.NewShifted(t0)
	if d := c.Now().Sub(t0); d < 0 || d > time.Minute {
		t.Fatalf("a new clock reads %v past its start", d)
	}
	c.Advance(8 * 24 * time.Hour)
	if d := c.Now().Sub(t0); d < 8*24*time.Hour || d > 8*24*time.Hour+time.Minute {
		t.Fatalf("after a jump of 8 days the clock reads %v past its start", d)
	}
	before := c.Now()
	<-c.After(time.Millisecond)
	if !c.Now().After(before) {
		t.Fatal("the clock did not run with the wall clock")
	}
}

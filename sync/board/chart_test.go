package board

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

func TestNiceCeil(t *testing.T) {
	for n, want := range map[int]int{0: 2, 1: 2, 2: 2, 3: 10, 7: 10, 10: 10, 11: 20, 20: 20, 21: 50, 99: 100, 120: 200, 4999: 5000, 5001: 10000} {
		if got := niceCeil(n); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestPlot(t *testing.T) {
	from := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return from.AddDate(0, 0, d) }
	byDay := map[time.Time]map[engine.StatusCategory]int{
		day(0):  {engine.CategoryToDo: 8, engine.CategoryInProgress: 2},
		day(1):  {engine.CategoryToDo: 10},
		day(5):  {engine.CategoryToDo: 4, engine.CategoryDone: 12}, // after a gap
		day(29): {engine.CategoryToDo: 3},
	}
	c := plot(from, byDay)
	if c.Points != 4 || c.Max != 20 || !c.To.Equal(day(29)) {
		t.Fatalf("points %d, max %d, to %v", c.Points, c.Max, c.To)
	}
	todo := c.Series[0]
	if todo.Category != engine.CategoryToDo || todo.Last != 3 || *todo.Values[1] != 10 || todo.Values[2] != nil {
		t.Fatalf("to-do series %+v", todo)
	}
	// A gap starts a new segment instead of drawing across missing days.
	if got := strings.Count(todo.Path, "M"); got != 3 {
		t.Errorf("to-do path %q has %d segments, want 3", todo.Path, got)
	}
	// Days with a point but no bugs of a category are zero, not missing.
	if v := c.Series[2].Values[0]; v == nil || *v != 0 {
		t.Errorf("done on day 0: %v", v)
	}
	left, right := c.x(0), c.x(ChartDays-1)
	if left != float64(c.Left) || right != float64(c.Left+c.PlotWidth) {
		t.Errorf("x spans %v..%v, want %d..%d", left, right, c.Left, c.Left+c.PlotWidth)
	}
	if top, bottom := c.y(c.Max), c.y(0); top != float64(c.Top) || bottom != float64(c.Top+c.PlotHeight) {
		t.Errorf("y spans %v..%v", top, bottom)
	}
	if todo.LastX != right || todo.LastY != c.y(3) {
		t.Errorf("marker at %v,%v", todo.LastX, todo.LastY)
	}
	if len(c.Grid) != 3 || c.Grid[1].Value != 10 || len(c.Labels) != 3 || c.Labels[2].Text != "Jun 30" || c.Labels[0].Anchor != "start" || c.Labels[2].Anchor != "end" {
		t.Errorf("grid %+v labels %+v", c.Grid, c.Labels)
	}
}

// Today's point is live; earlier days come from the recorded points.
func TestChartReadsPointsAndToday(t *testing.T) {
	f := seed(t)
	yesterday := now.AddDate(0, 0, -1)
	if err := f.store.RecordHealth(f.ctx, state.HealthReport{At: yesterday, Cycle: &state.StepHealth{Step: "cycle", At: yesterday}}); err != nil {
		t.Fatal(err)
	}
	old := now.AddDate(0, 0, -40)
	if err := f.store.RecordHealth(f.ctx, state.HealthReport{At: old, Cycle: &state.StepHealth{Step: "cycle", At: old}}); err != nil {
		t.Fatal(err)
	}
	// A bug moves after yesterday's point: only today shows it.
	b := bugRec("1", "PROJ-1", "Done", engine.CategoryDone, "Medium")
	mems, stands, _ := f.store.BugMemories(f.ctx, []string{"1"})
	st := stands["1"]
	st.Category = b.StatusCategory
	if err := f.store.SetBugMemory(f.ctx, "1", mems["1"], st); err != nil {
		t.Fatal(err)
	}
	c, err := f.model().Chart(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Points != 2 {
		t.Fatalf("%d points, want yesterday and today (the 40-day-old one is out of range)", c.Points)
	}
	at := func(cat engine.StatusCategory, d int) int {
		for _, s := range c.Series {
			if s.Category == cat && s.Values[d] != nil {
				return *s.Values[d]
			}
		}
		return -1
	}
	if at(engine.CategoryToDo, ChartDays-2) != 5 || at(engine.CategoryToDo, ChartDays-1) != 3 || at(engine.CategoryDone, ChartDays-1) != 3 {
		t.Fatalf("to do yesterday %d, today %d; done today %d", at(engine.CategoryToDo, ChartDays-2), at(engine.CategoryToDo, ChartDays-1), at(engine.CategoryDone, ChartDays-1))
	}
}

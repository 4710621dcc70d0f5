package board

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// ChartDays is how many days the chart covers, today included.
const ChartDays = 30

// Chart is customers waiting per status category, one point per day: the
// count at the last cycle of that day, and today's as of now. Geometry is
// computed here so that the page draws it as inline SVG without script.
type Chart struct {
	From, To time.Time // the first and last day, midnight UTC
	Series   []Series
	Max      int // the top of the vertical axis
	Grid     []GridLine
	Labels   []DayLabel
	// Points is how many days have data; the page says so when none has.
	Points int

	Width, Height, Left, Top, PlotWidth, PlotHeight int
}

// Series is one status category's line.
type Series struct {
	Category engine.StatusCategory `json:"statusCategory"`
	Label    string                `json:"label"`
	Color    string                `json:"-"`
	Values   []*int                `json:"values"` // per day, nil where the day has no point
	Path     string                `json:"-"`      // SVG path data; "" without points
	Last     int                   `json:"last"`   // the latest value
	// LastX and LastY place the marker on the latest value.
	LastX, LastY float64 `json:"-"`
}

// GridLine is a horizontal rule of the chart with its value.
type GridLine struct {
	Y     float64
	Value int
}

// DayLabel is a date under the horizontal axis; Anchor keeps the first
// and last inside the drawing.
type DayLabel struct {
	X      float64
	Text   string
	Anchor string // SVG text-anchor: start, middle or end
}

var categories = []struct {
	cat   engine.StatusCategory
	label string
	color string
}{
	{engine.CategoryToDo, "To do", "#6b778c"},
	{engine.CategoryInProgress, "In progress", "#0055cc"},
	{engine.CategoryDone, "Done", "#1f845a"},
}

// Chart reads the daily points of the last ChartDays days and today's
// count, and lays them out.
func (m *Model) Chart(ctx context.Context) (Chart, error) {
	today := m.now().Truncate(24 * time.Hour)
	from := today.AddDate(0, 0, -(ChartDays - 1))
	points, err := m.src.Points(ctx, from)
	if err != nil {
		return Chart{}, err
	}
	live, err := m.src.Waiting(ctx)
	if err != nil {
		return Chart{}, err
	}
	byDay := make(map[time.Time]map[engine.StatusCategory]int, len(points)+1)
	for _, p := range points {
		byDay[p.Day] = p.Waiting
	}
	byDay[today] = live
	return plot(from, byDay), nil
}

// plot places the points of the ChartDays days from from.
func plot(from time.Time, byDay map[time.Time]map[engine.StatusCategory]int) Chart {
	c := Chart{From: from, To: from.AddDate(0, 0, ChartDays-1), Width: 720, Height: 220, Left: 48, Top: 12}
	c.PlotWidth, c.PlotHeight = c.Width-c.Left-16, c.Height-c.Top-32
	top := 0
	for d := range ChartDays {
		if w, ok := byDay[from.AddDate(0, 0, d)]; ok {
			c.Points++
			for _, k := range categories {
				top = max(top, w[k.cat])
			}
		}
	}
	c.Max = niceCeil(top)
	for _, k := range categories {
		s := Series{Category: k.cat, Label: k.label, Color: k.color, Values: make([]*int, ChartDays)}
		var path strings.Builder
		gap := true
		for d := range ChartDays {
			w, ok := byDay[from.AddDate(0, 0, d)]
			if !ok {
				gap = true
				continue
			}
			v := w[k.cat]
			s.Values[d], s.Last = &v, v
			x, y := c.x(d), c.y(v)
			if gap {
				fmt.Fprintf(&path, "M%.1f %.1f", x, y)
			} else {
				fmt.Fprintf(&path, " L%.1f %.1f", x, y)
			}
			gap = false
			s.LastX, s.LastY = x, y
		}
		s.Path = path.String()
		c.Series = append(c.Series, s)
	}
	for _, v := range []int{0, c.Max / 2, c.Max} {
		c.Grid = append(c.Grid, GridLine{Y: c.y(v), Value: v})
	}
	for i, d := range []int{0, ChartDays / 2, ChartDays - 1} {
		c.Labels = append(c.Labels, DayLabel{X: c.x(d), Text: from.AddDate(0, 0, d).Format("Jan 2"), Anchor: []string{"start", "middle", "end"}[i]})
	}
	return c
}

func (c Chart) x(day int) float64 {
	return float64(c.Left) + float64(day)*float64(c.PlotWidth)/float64(ChartDays-1)
}

func (c Chart) y(v int) float64 {
	return float64(c.Top) + float64(c.PlotHeight)*(1-float64(v)/float64(c.Max))
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten (at least 2, so
// that the middle grid line is a whole number).
func niceCeil(n int) int {
	if n <= 2 {
		return 2
	}
	p := math.Pow(10, math.Floor(math.Log10(float64(n))))
	for _, f := range []float64{1, 2, 5, 10} {
		if v := int(f * p); v >= n && v%2 == 0 {
			return v
		}
	}
	return int(10 * p)
}

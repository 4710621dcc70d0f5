package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// table is one scenario's result: a header row and rows of cells, the
// first cell of each naming what the row measures.
type table struct {
	title string
	head  []string
	rows  [][]string
	notes []string
}

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) note(format string, args ...any) {
	t.notes = append(t.notes, fmt.Sprintf(format, args...))
}

func (t *table) print(w io.Writer) {
	fmt.Fprintf(w, "\n%s\n\n", t.title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	line := func(cells []string) {
		// AlignRight pads every cell on the left; the first column reads
		// better flush left, so it is padded by hand.
		fmt.Fprintf(tw, "%s\t%s\t\n", cells[0]+strings.Repeat(" ", t.firstWidth()-len([]rune(cells[0]))), strings.Join(cells[1:], "\t"))
	}
	line(t.head)
	for _, r := range t.rows {
		line(r)
	}
	_ = tw.Flush()
	for _, n := range t.notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
}

func (t *table) firstWidth() int {
	n := len([]rune(t.head[0]))
	for _, r := range t.rows {
		n = max(n, len([]rune(r[0])))
	}
	return n
}

// machine describes where the numbers were measured.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s/%s, %s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// loadAverage is the machine's 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

func mib(b uint64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }

func seconds(s float64) string { return fmt.Sprintf("%.2f", s) }

// millis renders d in milliseconds, to 0.1 ms below 100 ms.
func millis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms < 100 {
		return fmt.Sprintf("%.1f", ms)
	}
	return fmt.Sprintf("%.0f", ms)
}

// shortDuration drops a duration's zero tails: 10m, not 10m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func count(n int) string { return fmt.Sprintf("%d", n) }

// perUnit renders n and n per unit: "1234 (0.12)".
func perUnit(n int64, unit int) string {
	if unit == 0 {
		return fmt.Sprintf("%d", n)
	}
	return fmt.Sprintf("%d (%.2f)", n, float64(n)/float64(unit))
}

// routes are the "METHOD route" keys of every step's requests, sorted by
// vendor (Zendesk's /api/v2 first) and route.
func routes(steps ...Step) []string {
	var keys []string
	for _, s := range steps {
		for k := range s.Requests {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		_, ra, _ := strings.Cut(a, " ")
		_, rb, _ := strings.Cut(b, " ")
		if c := strings.Compare(vendorOf(ra), vendorOf(rb)); c != 0 {
			return -c // zendesk before jira
		}
		if c := strings.Compare(ra, rb); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return keys
}

func vendorOf(route string) string {
	if strings.HasPrefix(route, "/api/v2/") {
		return "zendesk"
	}
	return "jira"
}

// total sums the requests whose "METHOD route" key keep accepts.
func total(reqs map[string]int, keep func(method, route string) bool) int {
	n := 0
	for k, c := range reqs {
		method, route, _ := strings.Cut(k, " ")
		if keep(method, route) {
			n += c
		}
	}
	return n
}

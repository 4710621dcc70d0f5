package board

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/state"
)

// simulated is the service run against the simulators, seeded with the
// demo's account, until the engine has nothing left to do.
type simulated struct {
	env     *servicetest.Env
	dataset simulation.Dataset
	store   *state.Store
	policy  engine.Policy
}

// runSimulation assembles the service over the seeded simulators, with a
// Monitor hearing every request and step as in production, and cycles
// until the engine writes nothing more.
func runSimulation(t *testing.T) simulated {
	t.Helper()
	monitor := NewMonitor(MonitorOptions{})
	d, err := simulation.Generate(7, simulation.DemoSize)
	if err != nil {
		t.Fatal(err)
	}
	env := servicetest.New(t, servicetest.Options{Dataset: d, Observer: monitor, Steps: monitor})
	env.Settle()
	monitor.Flush(env.Ctx, env.Service.Store)
	return simulated{env: env, dataset: d, store: env.Service.Store, policy: service.Policy(env.Config)}
}

// browser is a headless chromium whose every request carries the token,
// collecting what the page reports as errors: console errors, uncaught
// exceptions, and the browser's own error log (a failed load, a CSP
// violation).
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T, exe, token string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true), chromedp.WindowSize(1400, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	b := &browser{ctx: ctx}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders,
		network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": "Bearer " + token}}); err != nil {
		t.Fatal(err)
	}
	messages := chromedp.Console(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.errors = append(b.errors, fmt.Sprintf("%s (%s)", m, m.URL))
				b.mu.Unlock()
			}
		}
	})
	t.Cleanup(func() { cancelCtx(); wg.Wait() })
	return b
}

func (b *browser) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func run[T any](t *testing.T, b *browser, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.errors)
}

// attrs reads one attribute of every element sel matches, in document
// order.
func (b *browser) attrs(t *testing.T, sel, attr string) []string {
	t.Helper()
	nodes := run(t, b, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.AtLeast(0)))
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.AttributeValue(attr)
	}
	return out
}

// TestBoardInABrowser loads the board of a simulated account in headless
// chromium, as a support lead would right after the backfill: the ranking
// matches the customer counts the service wrote to Jira, open bugs first
// and done ones apart, locked priorities and tiers read right, a filter
// link narrows it, the chart is drawn, the customers view says how long
// each customer has waited since its ticket was opened, and the page logs
// no error. Screenshots of both views, wide and narrow, go to the temporary
// directory.
func TestBoardInABrowser(t *testing.T) {
	exe := servicetest.Chromium(t)
	sim := runSimulation(t)
	m := NewModel(sim.store, Options{Policy: sim.policy, Budgets: map[string]float64{"zendesk": 400, "jira": 600}})
	h, err := NewHandler(m, HandlerOptions{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	jr := readJira(t, sim)
	categories := jr.categories

	br := newBrowser(t, exe, testToken)
	br.do(t, chromedp.Navigate(srv.URL+"/board?per_page=1000"), chromedp.WaitVisible(chromedp.ID("bugs")))
	checkRanking(t, br, jr)
	checkLocksAndTiers(t, br, jr, sim.policy)

	// The chart is drawn, with a line per status category that has customers.
	if paths := br.attrs(t, `#waiting-chart path.series`, "data-category"); len(paths) != 3 {
		t.Errorf("chart series %v, want one per status category", paths)
	}
	if marks := br.attrs(t, `#waiting-chart circle`, "r"); len(marks) != 3 {
		t.Errorf("chart markers %v", marks)
	}

	// Follow the "In progress" filter link, as a person clicks it.
	br.do(t, chromedp.Click(chromedp.CSS(`nav.filters a[href="?category=indeterminate&per_page=1000"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.filters a[aria-current][href="?category=indeterminate&per_page=1000"]`)))
	url := run(t, br, chromedp.Location())
	if !strings.Contains(url, "category=indeterminate") {
		t.Fatalf("after the click the page is %s", url)
	}
	want := 0
	for _, c := range categories {
		if c == "indeterminate" {
			want++
		}
	}
	filtered := br.attrs(t, `#bugs tbody tr[data-key]`, "data-key")
	if len(filtered) != want {
		t.Errorf("the in-progress filter shows %d bugs, Jira has %d in progress with customers", len(filtered), want)
	}
	for _, k := range filtered {
		if categories[k] != "indeterminate" {
			t.Errorf("%s is in the in-progress filter but %s in Jira", k, categories[k])
		}
	}

	br.do(t, chromedp.Navigate(srv.URL+"/board"), chromedp.WaitVisible(chromedp.ID("waiting-chart")))
	br.screenshots(t, "helpdesk-sync-board")

	br.do(t, chromedp.Click(chromedp.CSS(`header nav a[href="/board/customers"]`)), chromedp.WaitVisible(chromedp.ID("customers")))
	if orgs := br.attrs(t, `#customers tbody tr`, "data-org"); len(orgs) == 0 {
		t.Error("the customers view lists no organization")
	}
	br.screenshots(t, "helpdesk-sync-customers")
	br.do(t, chromedp.Navigate(srv.URL+"/board/customers?per_page=1000"), chromedp.WaitVisible(chromedp.ID("customers")))
	checkLongestWaits(t, br, sim)

	if errs := br.consoleErrors(); len(errs) > 0 {
		t.Fatalf("the browser reported errors:\n%s", strings.Join(errs, "\n"))
	}
}

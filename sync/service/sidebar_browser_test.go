package service_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/jira/jiratest"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
	"github.com/helpdesk-sync/helpdesk-sync/connectors/zendesk/zendesktest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service"
	"github.com/helpdesk-sync/helpdesk-sync/sync/service/servicetest"
	"github.com/helpdesk-sync/helpdesk-sync/sync/sidebar"
)

// hostPage plays Zendesk's agent interface: it POSTs the signed token
// into the app's iframe, as Zendesk does for an app with signedUrls, at
// the sidebar's width.
var hostPage = template.Must(template.New("host").Parse(`<!doctype html>
<html><head><title>Ticket #{{.Ticket}}</title></head><body style="margin:0">
<form id="load" method="post" action="{{.Page}}" target="app"><input type="hidden" name="token" value="{{.Token}}"></form>
<iframe name="app" id="app" style="width:320px;height:1600px;border:0;display:block"></iframe>
<script>document.getElementById("load").submit();</script>
</body></html>`))

// zafStub stands in for Zendesk's ZAF client library: the ticket the
// test chose, and resize requests counted on the window.
const zafStub = `window.ZAFClient = { init: function () { return {
  get: function (k) { return Promise.resolve({ "ticket.id": %d }); },
  invoke: function () { window.zafResizes = (window.zafResizes || 0) + 1; return Promise.resolve(); },
  on: function () {}
}; } };`

// TestSidebarInABrowser loads the panel in headless chromium inside a
// page served as https://acme.zendesk.com (the host resolver maps the
// name to the test's host server), links a bug found by search, files one
// after seeing its duplicate candidate, and checks the simulators and the
// panel. A screenshot at 320 px goes to the temporary directory.
func TestSidebarInABrowser(t *testing.T) {
	exe := servicetest.Chromium(t)
	var ticket int64
	var mu sync.Mutex
	var hostHTML []byte
	host := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/zaf-stub.js" {
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprintf(w, zafStub, ticket)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(hostHTML)
	}))
	t.Cleanup(host.Close)
	hostPort := host.Listener.Addr().(interface{ String() string }).String()
	hostPort = hostPort[strings.LastIndexByte(hostPort, ':')+1:]

	e := servicetest.New(t, servicetest.Options{
		Zendesk: []zendesktest.Option{zendesktest.WithApp(sidebarApp, sidebarInstall), zendesktest.WithSubdomain("acme")},
		Config: map[string]string{
			"SIDEBAR_ENABLED": "true", "SIDEBAR_APP_ID": fmt.Sprint(sidebarApp), "SIDEBAR_INSTALLATION_ID": fmt.Sprint(sidebarInstall),
			"SIDEBAR_ACCOUNT_SUBDOMAIN": "acme", "SIDEBAR_PUBLIC_URL": "http://localhost:8080",
			"SIDEBAR_SESSION_KEY": strings.Repeat("s", 40),
		},
	})
	h, err := e.Service.SidebarHandler(service.SidebarOptions{Now: e.Clock.Now, SDKURL: "https://acme.zendesk.com/zaf-stub.js"})
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewTLSServer(h)
	t.Cleanup(app.Close)

	project := simulation.ProjectKeys()[0]
	bug := e.Jira.MustCreateIssue(jiratest.NewIssue{Project: project, Summary: "Export fails for large files", Priority: "High"})
	e.Ticket(e.Org("pro"), bug.Key)
	enterprise := e.Org("enterprise")
	ticket = e.Ticket(enterprise, "")
	e.Settle()
	agent := e.Zendesk.AddUser(zendesktest.User{Name: "Agent", Role: "agent"}).ID
	token, err := e.Zendesk.SignAppToken(agent, zendesktest.AppToken{Path: sidebar.PagePath})
	if err != nil {
		t.Fatal(err)
	}
	var page strings.Builder
	if err := hostPage.Execute(&page, map[string]any{"Ticket": ticket, "Page": app.URL + sidebar.PagePath, "Token": token}); err != nil {
		t.Fatal(err)
	}
	hostHTML = []byte(page.String())

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true), chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("host-resolver-rules", "MAP acme.zendesk.com:443 127.0.0.1:"+hostPort),
		chromedp.WindowSize(320, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	step := func(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// The first action starts the browser, on the context itself: a
	// derived context's end would close it.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(320, 900)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	step(ctx, "open the ticket", chromedp.Navigate("https://acme.zendesk.com/agent/tickets/"+fmt.Sprint(ticket)))

	// The panel runs in its own process (another site): attach to it.
	var frame context.Context
	for deadline := time.Now().Add(30 * time.Second); frame == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, app.URL) {
				fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
				t.Cleanup(cancel)
				// Attach on the context itself, as for the browser.
				if err := chromedp.Do(fctx); err != nil {
					t.Fatalf("attach to the panel: %v", err)
				}
				frame = fctx
			}
		}
	}
	if frame == nil {
		t.Fatal("the panel's iframe never loaded")
	}
	text := func(sel string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(frame, 30*time.Second)
		defer cancel()
		v, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	waitText := func(sel, want string) {
		t.Helper()
		sctx, cancel := context.WithTimeout(frame, 30*time.Second)
		defer cancel()
		js := fmt.Sprintf(`(document.querySelector(%q) || {}).textContent && document.querySelector(%q).textContent.includes(%q)`, sel, sel, want)
		if _, err := chromedp.Run(sctx, chromedp.Poll[bool](js)); err != nil {
			t.Fatalf("%s never said %q; it says %q", sel, want, text(sel))
		}
	}

	// Clicks and typing go through the panel's DOM (click(), value), which
	// is what its handlers listen to.
	js := func(what, expr string) {
		t.Helper()
		sctx, cancel := context.WithTimeout(frame, 30*time.Second)
		defer cancel()
		if _, err := chromedp.Run(sctx, chromedp.Poll[bool](expr)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	click := func(sel string) { js("click "+sel, fmt.Sprintf(`(document.querySelector(%q).click(), true)`, sel)) }
	type_ := func(sel, v string) {
		js("type into "+sel, fmt.Sprintf(`(document.querySelector(%q).value = %q, true)`, sel, v))
	}
	waitText("#linked", "No bug linked")
	type_("#search-q", "export large")
	click(`#search-form button`)
	waitText("#search-results", bug.Key)
	if got := text("#search-results"); !strings.Contains(got, bug.Key) {
		t.Fatalf("search results: %q", got)
	}
	click(`#search-results li button`)
	waitText("#message", bug.Key+" is linked.")
	waitText("#search-results", "Linked")
	waitText("#linked", "2 customers")
	if tk, _ := e.Zendesk.Ticket(ticket); tk.Field(simulation.KeysFieldID) != bug.Key {
		t.Fatalf("keys field after linking: %v", tk.Field(simulation.KeysFieldID))
	}

	click(`#create-box summary`)
	type_("#create-summary", "Export of large files times out")
	type_("#create-description", "The customer exports 2 GB.")
	click("#create-check")
	waitText("#create-dup-list", bug.Key)
	if got := text("#create-dup-list"); !strings.Contains(got, bug.Key) {
		t.Fatalf("duplicate candidates: %q", got)
	}
	click("#create-confirm")
	waitText("#message", "and linked it.")
	msg := text("#message")
	created := strings.TrimSuffix(strings.TrimPrefix(msg, "Filed "), " and linked it.")
	is, ok := e.Jira.Issue(created)
	if !ok || is.Summary != "Export of large files times out" ||
		!strings.Contains(is.Description, fmt.Sprintf("Filed from Zendesk ticket #%d: ", ticket)) {
		t.Fatalf("filed %q: %+v", created, is)
	}
	if n := e.Jira.Writes()["POST /rest/api/3/issue"]; n != 1 {
		t.Errorf("%d issues created, want 1", n)
	}
	if tk, _ := e.Zendesk.Ticket(ticket); tk.Field(simulation.KeysFieldID) != bug.Key+", "+created {
		t.Errorf("keys field after filing: %v", tk.Field(simulation.KeysFieldID))
	}
	waitText("#linked", created)
	if keys := strings.Count(text("#linked"), project+"-"); keys < 2 {
		t.Errorf("panel after filing: %q", text("#linked"))
	}

	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	shot, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("HS_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "sidebar-320.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

package board

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"
)

// HandlerOptions configure the board's HTTP handler. A token, a basic-auth
// pair, or both must be set.
type HandlerOptions struct {
	// Token opens the board to "Authorization: Bearer <token>" (scripts,
	// dashboards).
	Token string
	// BasicUser and BasicPassword open it to basic auth, which browsers
	// ask for.
	BasicUser, BasicPassword string
	Logger                   *zap.Logger // nil logs nothing
}

// Patterns are the http.ServeMux patterns to mount the handler on: the
// board's whole namespace, /api/ included, so that a path the board does
// not serve is refused without credentials (401) before it is routed (404).
var Patterns = []string{"/board", "/board/", "/api/"}

// TicketsShown is how many of a bug's newest tickets a page lists.
const TicketsShown = 6

// maxAPIPerPage bounds a JSON page, which lists every linked ticket.
const maxAPIPerPage = 1000

//go:embed templates
var templateFiles embed.FS

type handler struct {
	m         *Model
	auth      auth
	log       *zap.Logger
	bugs      *template.Template
	customers *template.Template
	css       []byte
}

// NewHandler serves the board at /board (bugs, health and chart) and
// /board/customers, and its JSON at /api/v1/bugs, /api/v1/customers and
// /api/v1/health, every path behind the configured credentials.
func NewHandler(m *Model, o HandlerOptions) (http.Handler, error) {
	a, err := newAuth(o)
	if err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	h := &handler{m: m, auth: a, log: o.Logger}
	if h.bugs, err = page("bugs.html"); err != nil {
		return nil, err
	}
	if h.customers, err = page("customers.html"); err != nil {
		return nil, err
	}
	if h.css, err = templateFiles.ReadFile("templates/board.css"); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /board", h.bugsPage)
	mux.HandleFunc("GET /board/{$}", h.bugsPage)
	mux.HandleFunc("GET /board/customers", h.customersPage)
	mux.HandleFunc("GET /board/board.css", h.stylesheet)
	mux.HandleFunc("GET /api/v1/bugs", h.bugsJSON)
	mux.HandleFunc("GET /api/v1/customers", h.customersJSON)
	mux.HandleFunc("GET /api/v1/health", h.healthJSON)
	return h.guard(mux), nil
}

// page is the layout with one page's content.
func page(name string) (*template.Template, error) {
	t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/base.html", "templates/"+name)
	if err != nil {
		return nil, fmt.Errorf("board: template %s: %w", name, err)
	}
	return t, nil
}

// guard checks the credentials before anything else, and sets the headers
// every answer carries: no script may run, nothing is cached or framed.
func (h *handler) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-store")
		if !h.auth.allows(r) {
			h.log.Debug("board request refused: no valid credentials", zap.String("path", r.URL.Path))
			h.auth.challenge(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *handler) stylesheet(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write(h.css)
}

// bugsView is what bugs.html renders.
type bugsView struct {
	layout
	List      BugList
	Rows      []bugRow // the page's open bugs
	Done      []bugRow // and its done ones, listed apart
	Health    Health
	Chart     Chart
	ChartDays int
	Filters   []filterGroup
	Columns   []column
	Pager     pager
	// Revenue: revenue is counted, and the page has a column for it,
	// headed by RevenueColumn.
	Revenue       bool
	RevenueColumn column
}

// layout is what every view shares.
type layout struct {
	Title string
	View  string
	Now   time.Time
	AsOf  time.Time
}

func (h *handler) bugsPage(w http.ResponseWriter, r *http.Request) {
	q, err := ParseQuery(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	list, err := h.m.Bugs(ctx, q, TicketsShown)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	health, err := h.m.Health(ctx)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	chart, err := h.m.Chart(ctx)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	now := h.m.now()
	open, done := bugRows(list.Bugs, now)
	v := bugsView{
		layout: layout{Title: "Bugs", View: "bugs", Now: now, AsOf: list.AsOf},
		List:   list,
		Rows:   open, Done: done,
		Health: health, Chart: chart, ChartDays: ChartDays,
		Filters: bugFilters(list),
		Columns: bugColumns(list.Query),
		Pager: newPager(list.Query.Page, list.Pages(), func(n int) url.Values {
			q := list.Query
			q.Page = n
			return q.Values()
		}),
		Revenue:       h.m.opts.Policy.Revenue.Enabled,
		RevenueColumn: revenueColumn(list.Query),
	}
	h.render(w, r, h.bugs, v)
}

// customersView is what customers.html renders.
type customersView struct {
	layout
	List    CustomerList
	Filters []filterGroup
	Columns []column
	Pager   pager
	Revenue bool // revenue is counted, and the page has a column for it
}

func (h *handler) customersPage(w http.ResponseWriter, r *http.Request) {
	q, err := ParseCustomerQuery(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	list, err := h.m.Customers(r.Context(), q)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	v := customersView{
		layout:  layout{Title: "Customers", View: "customers", Now: h.m.now(), AsOf: list.AsOf},
		List:    list,
		Filters: customerFilters(list),
		Columns: customerColumns(list.Query),
		Pager: newPager(list.Query.Page, list.Pages(), func(n int) url.Values {
			q := list.Query
			q.Page = n
			return q.Values()
		}),
		Revenue: h.m.opts.Policy.Revenue.Enabled,
	}
	h.render(w, r, h.customers, v)
}

// render executes into a buffer first, so that a template error is a 500
// instead of half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, t *template.Template, v any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", v); err != nil {
		h.log.Error("board page failed to render", zap.String("path", r.URL.Path), zap.Error(err))
		http.Error(w, "the board failed to render; see the service's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}

// unavailable answers a failed read of the state: Redis is down or slow.
func (h *handler) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
		return // the client went away
	}
	h.log.Error("board cannot read the state", zap.String("path", r.URL.Path), zap.Error(err))
	http.Error(w, "the board's data cannot be read right now; see the service's log", http.StatusServiceUnavailable)
}

package sidebar

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Patterns are the http.ServeMux patterns to mount the handler on.
var Patterns = []string{"/zendesk/app/"}

// API paths, under /zendesk/app/api/. The page calls them with its
// session token in the Authorization header.
const (
	apiPrefix  = "/zendesk/app/api/"
	staticPath = "/zendesk/app/static/"
)

// ZAFSDK is where Zendesk serves the Apps Framework's client library,
// which the page needs to learn the ticket it is shown beside
// (https://developer.zendesk.com/documentation/apps/app-developer-guide/using-the-apps-framework/).
const ZAFSDK = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"

// Limits on what the panel sends: Jira's own limit on a summary, and a
// description an agent writes by hand, with a link back.
const (
	MaxSummary     = 255
	MaxDescription = 64 << 10
	maxBody        = 256 << 10 // a request body, JSON and all
	maxPageForm    = 16 << 10  // Zendesk's signed form: a token well under 2 KB
	maxQuery       = 200       // a search's text
	searchLimit    = 10
	dupLimit       = 5
)

// Options configure the handler. Every port is required.
type Options struct {
	// Verify checks the token Zendesk signs the page's POST with and
	// returns the agent's user id (connectors/zendesk AppVerifier).
	Verify   func(token string) (userID int64, err error)
	Sessions *Sessions
	State    State
	Tracker  Tracker
	Keys     KeysField
	Queue    Queue
	Filings  Filings
	// Versions tells whether fix versions are released; nil (optional)
	// shows them by name only.
	Versions Versions
	// Policy validates keys and weighs tiers as the engine does.
	Policy engine.Policy
	// Subdomain is the Zendesk account allowed to frame the page.
	Subdomain string
	// Project and IssueType are where bugs are filed; Labels are the
	// labels the form starts with (the agent may edit them).
	// Components, of Project, are where every filed bug belongs.
	Project, IssueType string
	Labels             []string
	Components         []string
	// BoardURL links to the impact board for the rest of a bug's tickets;
	// "" links nowhere. The board has credentials of its own.
	BoardURL string
	// SDKURL is the Apps Framework client library; "" is ZAFSDK.
	SDKURL string
	Logger *zap.Logger
}

//go:embed templates/panel.html static/panel.js static/panel.css
var assets embed.FS

type handler struct {
	opts     Options
	log      *zap.Logger
	page     *template.Template
	js, css  []byte
	csp      string
	sdk      string
	ancestor string
}

// NewHandler serves the sidebar: the page Zendesk POSTs to, its script and
// style, and its JSON API.
func NewHandler(o Options) (http.Handler, error) {
	switch {
	case o.Verify == nil || o.Sessions == nil || o.State == nil || o.Tracker == nil || o.Keys == nil || o.Queue == nil || o.Filings == nil:
		return nil, errors.New("sidebar: Verify, Sessions, State, Tracker, Keys, Queue and Filings are all required")
	case o.Subdomain == "" || strings.ContainsAny(o.Subdomain, "/:. ;'\""):
		return nil, fmt.Errorf("sidebar: subdomain %q: want the account's subdomain, e.g. acme", o.Subdomain)
	case o.Project == "" || o.IssueType == "":
		return nil, errors.New("sidebar: the project and issue type of filed bugs are required")
	}
	if msg := CheckLabels(o.Labels); msg != "" {
		return nil, errors.New("sidebar: default labels: " + msg)
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	h := &handler{opts: o, log: o.Logger, sdk: o.SDKURL, ancestor: "https://" + o.Subdomain + ".zendesk.com"}
	if h.sdk == "" {
		h.sdk = ZAFSDK
	}
	sdk, err := url.Parse(h.sdk)
	if err != nil || sdk.Host == "" || (sdk.Scheme != "https" && sdk.Scheme != "http") {
		return nil, fmt.Errorf("sidebar: SDK URL %q: want an absolute URL", h.sdk)
	}
	// Scripts and styles come from the service itself, and the Apps
	// Framework's library from its origin; only the account's Zendesk may
	// frame the page.
	h.csp = "default-src 'none'; script-src 'self' " + sdk.Scheme + "://" + sdk.Host + "; style-src 'self'; connect-src 'self'; " +
		"img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors " + h.ancestor
	if h.page, err = template.ParseFS(assets, "templates/panel.html"); err != nil {
		return nil, fmt.Errorf("sidebar: page template: %w", err)
	}
	if h.js, err = assets.ReadFile("static/panel.js"); err != nil {
		return nil, err
	}
	if h.css, err = assets.ReadFile("static/panel.css"); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PagePath, h.pagePost)
	mux.HandleFunc("GET "+staticPath+"panel.js", h.static("text/javascript; charset=utf-8", h.js))
	mux.HandleFunc("GET "+staticPath+"panel.css", h.static("text/css; charset=utf-8", h.css))
	mux.Handle("GET "+apiPrefix+"tickets/{id}", h.authed(h.ticketJSON))
	mux.Handle("GET "+apiPrefix+"search", h.authed(h.searchJSON))
	mux.Handle("POST "+apiPrefix+"tickets/{id}/link", h.authed(h.linkJSON))
	mux.Handle("POST "+apiPrefix+"tickets/{id}/unlink", h.authed(h.unlinkJSON))
	mux.Handle("POST "+apiPrefix+"tickets/{id}/bugs", h.authed(h.createJSON))
	return h.headers(mux), nil
}

func (h *handler) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", h.csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (h *handler) static(ctype string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ctype)
		_, _ = w.Write(body)
	}
}

// pageView is what panel.html renders.
type pageView struct {
	Session string
	Expires string
	SDK     string
}

// pagePost answers Zendesk's signed POST of the page: a valid token gets
// the page with a session of the service's own; anything else gets 401
// and nothing else.
func (h *handler) pagePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxPageForm)
	token := ""
	if err := r.ParseForm(); err == nil {
		token = r.PostForm.Get("token")
	}
	user, err := h.opts.Verify(token)
	if err != nil {
		h.log.Info("sidebar page refused", zap.Error(err))
		http.Error(w, "401 unauthorized: open this app from a Zendesk ticket", http.StatusUnauthorized)
		return
	}
	session, expires, err := h.opts.Sessions.Issue(user)
	if err != nil {
		h.log.Error("sidebar session not issued", zap.Int64("user", user), zap.Error(err))
		http.Error(w, "500 session not issued", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := h.page.Execute(w, pageView{Session: session, Expires: expires.UTC().Format(time.RFC3339), SDK: h.sdk}); err != nil {
		h.log.Debug("sidebar page not fully written", zap.Error(err))
	}
}

// authed admits API requests that carry a valid session.
func (h *handler) authed(next func(http.ResponseWriter, *http.Request, Session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			h.jsonError(w, http.StatusUnauthorized, "no session: reload the ticket")
			return
		}
		s, err := h.opts.Sessions.Verify(token)
		if err != nil {
			h.log.Info("sidebar request refused", zap.String("path", r.URL.Path), zap.Error(err))
			h.jsonError(w, http.StatusUnauthorized, "session not valid: reload the ticket")
			return
		}
		next(w, r, s)
	})
}

// ticketID reads the {id} of the path.
func ticketID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (h *handler) json(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		h.log.Debug("sidebar JSON not fully written", zap.Error(err))
	}
}

func (h *handler) jsonError(w http.ResponseWriter, status int, msg string) {
	h.json(w, status, map[string]string{"error": msg})
}

// decode reads a JSON body of at most maxBody bytes into v.
func (h *handler) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.jsonError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request is over %d KB; shorten the description", maxBody>>10))
			return false
		}
		h.jsonError(w, http.StatusBadRequest, "the request is not the JSON the panel sends")
		return false
	}
	return true
}

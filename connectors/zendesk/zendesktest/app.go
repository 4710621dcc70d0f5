package zendesktest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The simulator plays Zendesk for a private app installed with
// "signedUrls": true: it holds the app's RSA key pair, publishes the
// public key anonymously at GET /api/v2/apps/{app_id}/public_key(.pem)
// (https://developer.zendesk.com/api-reference/ticketing/apps/apps/#get-app-public-key:
// "Allowed For: Anonymous users"), and signs the token Zendesk POSTs with
// the app's first page (form field "token", RS256;
// https://developer.zendesk.com/documentation/apps/build-an-app/building-a-server-side-app/part-5-secure-the-app/).
// Claims are those of
// https://developer.zendesk.com/documentation/apps/app-developer-guide/using-the-apps-framework/#jwt-claims.

// DefaultSubdomain is the account's subdomain in app tokens (iss, aud):
// the simulator listens on 127.0.0.1, but its tokens name a Zendesk
// account as real ones do.
const DefaultSubdomain = "zendesktest"

// AppTokenTTL is how long a signed app token is valid. Zendesk's expire
// within minutes; the page must trade it for a session at once.
const AppTokenTTL = 5 * time.Minute

type appInstall struct {
	subdomain      string
	appID          int64
	installationID int64
	key            *rsa.PrivateKey
	publicPEM      []byte
}

// WithApp installs private app appID as installation installationID,
// with a fresh 2048-bit RSA key pair.
func WithApp(appID, installationID int64) Option {
	return func(s *Server) {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(fmt.Sprintf("zendesktest: generate app key: %v", err))
		}
		der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			panic(fmt.Sprintf("zendesktest: encode app key: %v", err))
		}
		sub := DefaultSubdomain
		if s.app != nil {
			sub = s.app.subdomain
		}
		s.app = &appInstall{subdomain: sub, appID: appID, installationID: installationID, key: key,
			publicPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}
	}
}

// WithSubdomain names the account in app tokens (default DefaultSubdomain).
// Give it before or after WithApp.
func WithSubdomain(name string) Option {
	return func(s *Server) {
		if s.app == nil {
			s.app = &appInstall{}
		}
		s.app.subdomain = name
	}
}

// Subdomain is the account's subdomain as app tokens name it.
func (s *Server) Subdomain() string {
	if s.app == nil || s.app.subdomain == "" {
		return DefaultSubdomain
	}
	return s.app.subdomain
}

// AppPublicKeyPEM is the installed app's public key as Zendesk serves it
// (nil without WithApp).
func (s *Server) AppPublicKeyPEM() []byte {
	if !s.hasApp() {
		return nil
	}
	return append([]byte(nil), s.app.publicPEM...)
}

func (s *Server) hasApp() bool { return s.app != nil && s.app.key != nil }

// AppToken describes a signed page load; the zero value is a ticket
// sidebar in Support.
type AppToken struct {
	Product  string // context.product; "" is "support"
	Location string // context.location; "" is "ticket_sidebar"
	Method   string // of the page request, for qsh; "" is POST
	Path     string // of the page request, for qsh; "" is "/"
}

// SignAppToken signs the token Zendesk sends with the app page loaded by
// agent userID: iss "{subdomain}.zendesk.com", aud the installation's API
// URL, iat/nbf now, exp now+AppTokenTTL on the simulator's clock, sub the
// user, context the product and location, qsh and cnf.jku. Only agents
// and admins of the account see apps, so other users are refused.
func (s *Server) SignAppToken(userID int64, t AppToken) (string, error) {
	if !s.hasApp() {
		return "", fmt.Errorf("zendesktest: no app installed (use WithApp)")
	}
	s.mu.Lock()
	u, ok := s.users[userID]
	role := ""
	if ok {
		role = u.Role
	}
	now := s.now().Truncate(time.Second)
	s.mu.Unlock()
	if role != "agent" && role != "admin" {
		return "", fmt.Errorf("zendesktest: user %d is not an agent of the account (role %q)", userID, role)
	}
	if t.Product == "" {
		t.Product = "support"
	}
	if t.Location == "" {
		t.Location = "ticket_sidebar"
	}
	if t.Method == "" {
		t.Method = http.MethodPost
	}
	if t.Path == "" {
		t.Path = "/"
	}
	a := s.app
	host := a.subdomain + ".zendesk.com"
	claims := jwt.MapClaims{
		"iss": host,
		"aud": "https://" + host + "/api/v2/apps/installations/" + strconv.FormatInt(a.installationID, 10) + ".json",
		"sub": strconv.FormatInt(userID, 10),
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(AppTokenTTL).Unix(),
		"qsh": queryStringHash(t.Method, t.Path),
		"cnf": map[string]string{"jku": "https://" + host + "/api/v2/apps/" + strconv.FormatInt(a.appID, 10) + "/public_key.json"},
		"context": map[string]string{
			"product":  t.Product,
			"location": t.Location,
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(a.key)
}

// NewAppPageRequest is the request Zendesk's agent interface makes to load
// the app's page at pageURL for agent userID: a form POST carrying the
// signed token.
func (s *Server) NewAppPageRequest(ctx context.Context, pageURL string, userID int64) (*http.Request, error) {
	u, err := url.Parse(pageURL)
	if err != nil {
		return nil, fmt.Errorf("zendesktest: page URL: %w", err)
	}
	tok, err := s.SignAppToken(userID, AppToken{Path: u.EscapedPath()})
	if err != nil {
		return nil, err
	}
	form := url.Values{"token": {tok}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pageURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// queryStringHash binds a token to the request it came with, as the
// canonical-request hash of Atlassian Connect, which ZAF's qsh claim
// borrows: sha256 of "METHOD&path&" in hex. Verifiers here do not rely on
// it (the documentation reached does not define Zendesk's canonical form).
func queryStringHash(method, path string) string {
	sum := sha256.Sum256([]byte(strings.ToUpper(method) + "&" + path + "&"))
	return hex.EncodeToString(sum[:])
}

// appPublicKey serves GET /api/v2/apps/{id}/public_key(.pem|.json) to
// anyone, as Zendesk does; 404 "Not Found" for an app it does not have.
func (s *Server) appPublicKey(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || !s.hasApp() || id != s.app.appID {
		writeJSON(w, http.StatusNotFound, "Not Found")
		return
	}
	if strings.HasSuffix(r.URL.Path, ".json") {
		writeJSON(w, http.StatusOK, string(s.app.publicPEM))
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Length", strconv.Itoa(len(s.app.publicPEM)))
	_, _ = w.Write(s.app.publicPEM)
}

// anonymousRoute is a route Zendesk serves without credentials.
func anonymousRoute(route string) bool {
	return route == "/api/v2/apps/{id}/public_key" || route == "/api/v2/apps/{id}/public_key.pem"
}

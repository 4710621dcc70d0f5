package sidebar

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type testClock struct{ t time.Time }

func (c *testClock) Now() time.Time { return c.t }

var (
	sessionKey   = bytes.Repeat([]byte("k"), 32)
	sessionStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
)

func newTestSessions(t *testing.T, clock *testClock, edit func(*SessionsOptions)) *Sessions {
	t.Helper()
	o := SessionsOptions{Key: sessionKey, Subdomain: "acme", InstallationID: 777, Now: clock.Now}
	if edit != nil {
		edit(&o)
	}
	s, err := NewSessions(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSessions(t *testing.T) {
	clock := &testClock{sessionStart}
	s := newTestSessions(t, clock, nil)
	tok, exp, err := s.Issue(42)
	if err != nil {
		t.Fatal(err)
	}
	if want := sessionStart.Add(SessionTTL); !exp.Equal(want) {
		t.Fatalf("expires %v, want %v", exp, want)
	}
	parts := strings.Split(tok, ".")
	sign := func(key []byte, m jwt.SigningMethod, c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": sessionIssuer, "sub": "42", "aud": "zendesk:acme:installation:777",
			"iat": sessionStart.Unix(), "exp": sessionStart.Add(time.Hour).Unix()}
		edit(c)
		return c
	}
	otherInstall := newTestSessions(t, clock, func(o *SessionsOptions) { o.InstallationID = 778 })
	otherTok, _, err := otherInstall.Issue(42)
	if err != nil {
		t.Fatal(err)
	}
	otherAccount := newTestSessions(t, clock, func(o *SessionsOptions) { o.Subdomain = "evil" })
	otherAccountTok, _, err := otherAccount.Issue(42)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		token   string
		advance time.Duration
		reason  string // "" when accepted
	}{
		{"fresh", tok, 0, ""},
		{"near the end of the day", tok, SessionTTL - time.Minute, ""},
		{"expired", tok, SessionTTL + time.Minute, "expired"},
		{"other installation", otherTok, 0, "not for this installation"},
		{"other account", otherAccountTok, 0, "not for this installation"},
		{"other key", sign(bytes.Repeat([]byte("x"), 32), jwt.SigningMethodHS256, claims(func(jwt.MapClaims) {})), 0, "signature"},
		{"alg none", func() string {
			s, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(func(jwt.MapClaims) {})).SignedString(jwt.UnsafeAllowNoneSignatureType)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}(), 0, "signature"},
		{"HS512 with the key", sign(sessionKey, jwt.SigningMethodHS512, claims(func(jwt.MapClaims) {})), 0, "signature"},
		{"payload swapped", parts[0] + "." + strings.Split(sign(sessionKey, jwt.SigningMethodHS256, claims(func(c jwt.MapClaims) { c["sub"] = "43" })), ".")[1] + "." + parts[2], 0, "signature"},
		{"Zendesk's issuer", sign(sessionKey, jwt.SigningMethodHS256, claims(func(c jwt.MapClaims) { c["iss"] = "acme.zendesk.com" })), 0, "not a sidebar session"},
		{"no exp", sign(sessionKey, jwt.SigningMethodHS256, claims(func(c jwt.MapClaims) { delete(c, "exp") })), 0, "required claim"},
		{"no sub", sign(sessionKey, jwt.SigningMethodHS256, claims(func(c jwt.MapClaims) { delete(c, "sub") })), 0, "no agent"},
		{"no iat", sign(sessionKey, jwt.SigningMethodHS256, claims(func(c jwt.MapClaims) { delete(c, "iat") })), 0, "no agent"},
		{"issued in the future", sign(sessionKey, jwt.SigningMethodHS256, claims(func(c jwt.MapClaims) { c["iat"] = sessionStart.Add(time.Hour).Unix() })), 0, "future"},
		{"two audiences", sign(sessionKey, jwt.SigningMethodHS256, claims(func(c jwt.MapClaims) {
			c["aud"] = []string{"zendesk:acme:installation:777", "zendesk:evil:installation:1"}
		})), 0, "not for this installation"},
		{"malformed", "a.b", 0, "malformed"},
		{"empty", "", 0, "no session token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock.t = sessionStart.Add(tt.advance)
			got, err := s.Verify(tt.token)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got.UserID != 42 || !got.ExpiresAt.Equal(exp) {
					t.Fatalf("session = %+v, want user 42 until %v", got, exp)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify accepted it: %+v", got)
			}
			if !errors.Is(err, ErrSession) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("error = %v, want ErrSession saying %q", err, tt.reason)
			}
			for seg := range strings.SplitSeq(tt.token, ".") {
				if len(seg) >= 8 && strings.Contains(err.Error(), seg[:8]) {
					t.Fatalf("error %q quotes the token", err)
				}
			}
		})
	}
}

func TestNewSessionsValidatesOptions(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*SessionsOptions)
		wantErr string
	}{
		{"ok", func(*SessionsOptions) {}, ""},
		{"short key", func(o *SessionsOptions) { o.Key = sessionKey[:31] }, "31 bytes"},
		{"no key", func(o *SessionsOptions) { o.Key = nil }, "0 bytes"},
		{"no subdomain", func(o *SessionsOptions) { o.Subdomain = "" }, "subdomain"},
		{"host as subdomain", func(o *SessionsOptions) { o.Subdomain = "acme.zendesk.com" }, "subdomain"},
		{"no installation", func(o *SessionsOptions) { o.InstallationID = 0 }, "installation id"},
		{"negative TTL", func(o *SessionsOptions) { o.TTL = -time.Second }, "TTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := SessionsOptions{Key: sessionKey, Subdomain: "acme", InstallationID: 1}
			tt.edit(&o)
			_, err := NewSessions(o)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want one saying %q", err, tt.wantErr)
			}
			if err != nil && bytes.Contains([]byte(err.Error()), sessionKey[:8]) {
				t.Fatalf("error %q quotes the key", err)
			}
		})
	}
}

func TestSessionsKeyIsCopied(t *testing.T) {
	key := bytes.Repeat([]byte("q"), 32)
	clock := &testClock{sessionStart}
	s := newTestSessions(t, clock, func(o *SessionsOptions) { o.Key = key })
	tok, _, err := s.Issue(7)
	if err != nil {
		t.Fatal(err)
	}
	key[0] = 'z' // the caller reusing its buffer must not change the key
	if _, err := s.Verify(tok); err != nil {
		t.Fatalf("Verify after the caller's buffer changed: %v", err)
	}
	if _, _, err := s.Issue(0); err == nil {
		t.Fatal("Issue(0) accepted")
	}
}

package zendesk

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	keysOnce         sync.Once
	appKey, otherKey *rsa.PrivateKey
	appNow                 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	appSub                 = "acme"
	appInstall       int64 = 777
)

// testKeys makes two RSA keys once for the package's tests.
func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if appKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if otherKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return appKey, otherKey
}

// zafClaims are the claims Zendesk signs for agent 42 on the ticket sidebar.
func zafClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":     "acme.zendesk.com",
		"aud":     "https://acme.zendesk.com/api/v2/apps/installations/777.json",
		"sub":     "42",
		"iat":     appNow.Add(-10 * time.Second).Unix(),
		"nbf":     appNow.Add(-10 * time.Second).Unix(),
		"exp":     appNow.Add(5 * time.Minute).Unix(),
		"qsh":     "ignored",
		"cnf":     map[string]string{"jku": "https://evil.example/keys.json"},
		"context": map[string]string{"product": "support", "location": "ticket_sidebar"},
	}
}

func signRS(t testing.TB, key *rsa.PrivateKey, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newTestVerifier(t testing.TB, key *rsa.PublicKey) *AppVerifier {
	t.Helper()
	v, err := NewAppVerifier(AppVerifierOptions{Subdomain: appSub, InstallationID: appInstall, Key: key, Now: func() time.Time { return appNow }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAppVerifier(t *testing.T) {
	key, other := testKeys(t)
	v := newTestVerifier(t, &key.PublicKey)
	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := zafClaims()
		edit(c)
		return c
	}
	pubPEM := func() []byte {
		der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	valid := signRS(t, key, zafClaims())
	parts := strings.Split(valid, ".")

	tests := []struct {
		name   string
		token  func() string
		user   int64
		reason string // "" when accepted
		kind   error
	}{
		{"valid", func() string { return valid }, 42, "", nil},
		{"sub as the user's API URL", func() string {
			return signRS(t, key, with(func(c jwt.MapClaims) { c["sub"] = "https://acme.zendesk.com/api/v2/users/42.json" }))
		}, 42, "", nil},
		{"within leeway after exp", func() string {
			return signRS(t, key, with(func(c jwt.MapClaims) { c["exp"] = appNow.Add(-20 * time.Second).Unix() }))
		}, 42, "", nil},
		{"expired", func() string {
			return signRS(t, key, with(func(c jwt.MapClaims) { c["exp"] = appNow.Add(-31 * time.Second).Unix() }))
		}, 0, "expired", jwt.ErrTokenExpired},
		{"no exp", func() string { return signRS(t, key, with(func(c jwt.MapClaims) { delete(c, "exp") })) }, 0, "required claim", jwt.ErrTokenRequiredClaimMissing},
		{"no iat", func() string { return signRS(t, key, with(func(c jwt.MapClaims) { delete(c, "iat") })) }, 0, "iat missing", jwt.ErrTokenRequiredClaimMissing},
		{"nbf in the future", func() string {
			return signRS(t, key, with(func(c jwt.MapClaims) { c["nbf"] = appNow.Add(2 * time.Minute).Unix() }))
		}, 0, "nbf", jwt.ErrTokenNotValidYet},
		{"iat in the future", func() string {
			return signRS(t, key, with(func(c jwt.MapClaims) { c["iat"] = appNow.Add(2 * time.Minute).Unix() }))
		}, 0, "iat", jwt.ErrTokenUsedBeforeIssued},
		{"wrong aud (other installation)", func() string {
			return signRS(t, key, with(func(c jwt.MapClaims) { c["aud"] = "https://acme.zendesk.com/api/v2/apps/installations/778.json" }))
		}, 0, "audience", jwt.ErrTokenInvalidAudience},
		{"aud list with ours and another", func() string {
			return signRS(t, key, with(func(c jwt.MapClaims) {
				c["aud"] = []string{"https://acme.zendesk.com/api/v2/apps/installations/777.json", "https://x.example"}
			}))
		}, 0, "audience", jwt.ErrTokenInvalidAudience},
		{"no aud", func() string { return signRS(t, key, with(func(c jwt.MapClaims) { delete(c, "aud") })) }, 0, "required claim", jwt.ErrTokenRequiredClaimMissing},
		{"wrong iss (other account)", func() string {
			return signRS(t, key, with(func(c jwt.MapClaims) { c["iss"] = "evil.zendesk.com" }))
		}, 0, "issuer", jwt.ErrTokenInvalidIssuer},
		{"iss with scheme", func() string {
			return signRS(t, key, with(func(c jwt.MapClaims) { c["iss"] = "https://acme.zendesk.com" }))
		}, 0, "issuer", jwt.ErrTokenInvalidIssuer},
		{"wrong key", func() string { return signRS(t, other, zafClaims()) }, 0, "signature", jwt.ErrTokenSignatureInvalid},
		{"alg none", func() string {
			s, err := jwt.NewWithClaims(jwt.SigningMethodNone, zafClaims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, 0, "signature", jwt.ErrTokenSignatureInvalid},
		{"HS256 with the public key as secret", func() string {
			s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, zafClaims()).SignedString(pubPEM())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, 0, "signature", jwt.ErrTokenSignatureInvalid},
		{"RS512 with the right key", func() string {
			s, err := jwt.NewWithClaims(jwt.SigningMethodRS512, zafClaims()).SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, 0, "signature", jwt.ErrTokenSignatureInvalid},
		{"payload tampered", func() string {
			forged := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"acme.zendesk.com","aud":"https://acme.zendesk.com/api/v2/apps/installations/777.json","sub":"1","iat":1,"exp":9999999999}`))
			return parts[0] + "." + forged + "." + parts[2]
		}, 0, "signature", jwt.ErrTokenSignatureInvalid},
		{"malformed: two segments", func() string { return parts[0] + "." + parts[1] }, 0, "malformed", jwt.ErrTokenMalformed},
		{"malformed: not base64", func() string { return "###.###.###" }, 0, "malformed", jwt.ErrTokenMalformed},
		{"malformed: payload not JSON", func() string {
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("secret-looking{")) + "." + parts[2]
		}, 0, "malformed", jwt.ErrTokenMalformed},
		{"empty", func() string { return "" }, 0, "no token", nil},
		{"too long", func() string { return strings.Repeat("a", maxAppToken+1) }, 0, "too long", jwt.ErrTokenMalformed},
		{"sub not a user", func() string { return signRS(t, key, with(func(c jwt.MapClaims) { c["sub"] = "user" })) }, 0, "sub", jwt.ErrTokenInvalidSubject},
		{"sub a user of another account", func() string {
			return signRS(t, key, with(func(c jwt.MapClaims) { c["sub"] = "https://evil.zendesk.com/api/v2/users/42.json" }))
		}, 0, "sub", jwt.ErrTokenInvalidSubject},
		{"sub missing", func() string { return signRS(t, key, with(func(c jwt.MapClaims) { delete(c, "sub") })) }, 0, "sub", jwt.ErrTokenInvalidSubject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.token()
			got, err := v.Verify(tok)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				want := AppClaims{Subdomain: appSub, InstallationID: appInstall, UserID: tt.user, Product: "support",
					Location: "ticket_sidebar", IssuedAt: appNow.Add(-10 * time.Second)}
				if got.ExpiresAt.IsZero() {
					t.Errorf("ExpiresAt is zero")
				}
				got.ExpiresAt = time.Time{}
				if !got.IssuedAt.Equal(want.IssuedAt) {
					t.Errorf("IssuedAt = %v, want %v", got.IssuedAt, want.IssuedAt)
				}
				got.IssuedAt = want.IssuedAt
				if got != want {
					t.Errorf("claims = %+v, want %+v", got, want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify accepted the token, claims %+v", got)
			}
			if !errors.Is(err, ErrAppToken) {
				t.Errorf("error %v does not wrap ErrAppToken", err)
			}
			if tt.kind != nil && !errors.Is(err, tt.kind) {
				t.Errorf("error %v does not wrap %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not say %q", err, tt.reason)
			}
			assertNoTokenIn(t, err.Error(), tok)
		})
	}
}

// assertNoTokenIn fails when msg quotes tok or any piece of it longer than
// a few characters.
func assertNoTokenIn(t *testing.T, msg, tok string) {
	t.Helper()
	if tok == "" {
		return
	}
	for seg := range strings.SplitSeq(tok, ".") {
		if len(seg) >= 8 && strings.Contains(msg, seg[:8]) {
			t.Errorf("error %q quotes the token", msg)
		}
	}
	for _, word := range []string{"secret-looking", "acme.zendesk.com/api"} {
		if strings.Contains(msg, word) {
			t.Errorf("error %q quotes the token's content (%q)", msg, word)
		}
	}
}

func TestNewAppVerifierValidatesOptions(t *testing.T) {
	key, _ := testKeys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ok := AppVerifierOptions{Subdomain: "acme", InstallationID: 1, Key: &key.PublicKey}
	tests := []struct {
		name    string
		edit    func(*AppVerifierOptions)
		wantErr string
	}{
		{"ok", func(*AppVerifierOptions) {}, ""},
		{"upper-case subdomain folded", func(o *AppVerifierOptions) { o.Subdomain = "Acme" }, ""},
		{"no subdomain", func(o *AppVerifierOptions) { o.Subdomain = "" }, "subdomain"},
		{"host given as subdomain", func(o *AppVerifierOptions) { o.Subdomain = "acme.zendesk.com" }, "subdomain"},
		{"no installation", func(o *AppVerifierOptions) { o.InstallationID = 0 }, "installation id"},
		{"no key", func(o *AppVerifierOptions) { o.Key = nil }, "public key is missing"},
		{"short key", func(o *AppVerifierOptions) { o.Key = &small.PublicKey }, "1024 bits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			_, err := NewAppVerifier(o)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("NewAppVerifier: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("NewAppVerifier error = %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestAppAudienceAndIssuer(t *testing.T) {
	if got, want := AppAudience("acme", 12), "https://acme.zendesk.com/api/v2/apps/installations/12.json"; got != want {
		t.Errorf("AppAudience = %q, want %q", got, want)
	}
	if got, want := AppIssuer("acme"), "acme.zendesk.com"; got != want {
		t.Errorf("AppIssuer = %q, want %q", got, want)
	}
}

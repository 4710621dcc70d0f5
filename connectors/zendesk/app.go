package zendesk

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A Zendesk app installed with "signedUrls": true has Zendesk POST the
// app's first page with a form field "token": a JWT signed RS256 with the
// app's private key, whose public half Zendesk publishes anonymously at
// GET /api/v2/apps/{app_id}/public_key(.pem). The token names the account
// (iss "{subdomain}.zendesk.com") and the installation (aud
// "https://{subdomain}.zendesk.com/api/v2/apps/installations/{id}.json").
//
// Sources:
//   - https://developer.zendesk.com/documentation/apps/build-an-app/building-a-server-side-app/part-5-secure-the-app/
//     (token form field, RS256, public key and installation id, ZENDESK_APP_AUD)
//   - https://developer.zendesk.com/api-reference/ticketing/apps/apps/#get-app-public-key
//     (GET /api/v2/apps/{app_id}/public_key, PEM, allowed for anonymous users)
//   - https://developer.zendesk.com/documentation/apps/app-developer-guide/using-the-apps-framework/#jwt-claims
//     (claims exp, nbf, iat, iss, aud, sub, qsh, cnf.jku, context.product,
//     context.location)
//
// The verifier trusts only the key it is given: cnf.jku names a key URL
// inside the token, and a key found through the token proves nothing.

// AppLeeway is the default clock skew tolerated on exp, nbf and iat.
const AppLeeway = 30 * time.Second

// maxAppToken bounds what is parsed: Zendesk's tokens are well under 2 KB.
const maxAppToken = 8 << 10

// ErrAppToken is wrapped by every refusal of an app token.
var ErrAppToken = errors.New("zendesk app token refused")

// AppTokenError says why a token was refused. It never carries the token
// nor any part of it: Error is built from fixed reasons only.
type AppTokenError struct {
	Reason string
	kind   error // a jwt sentinel (jwt.ErrTokenExpired, ...), for errors.Is
}

func (e *AppTokenError) Error() string { return ErrAppToken.Error() + ": " + e.Reason }

// Unwrap exposes ErrAppToken and the jwt sentinel, never a jwt error whose
// text could quote the token.
func (e *AppTokenError) Unwrap() []error {
	if e.kind == nil {
		return []error{ErrAppToken}
	}
	return []error{ErrAppToken, e.kind}
}

// AppClaims is what a verified token says about the request.
type AppClaims struct {
	Subdomain      string // the account, from iss
	InstallationID int64  // from aud
	UserID         int64  // the agent viewing the app, from sub
	Product        string // context.product, e.g. "support"
	Location       string // context.location, e.g. "ticket_sidebar"
	IssuedAt       time.Time
	ExpiresAt      time.Time
}

// AppVerifierOptions configure an AppVerifier.
type AppVerifierOptions struct {
	// Subdomain ("acme") and InstallationID fix the iss and aud a token
	// must carry, exactly.
	Subdomain      string
	InstallationID int64
	// Key is the app's public key (Client.AppPublicKey fetches it).
	Key *rsa.PublicKey
	// Leeway tolerates clock skew on exp, nbf and iat; 0 is AppLeeway.
	Leeway time.Duration
	Now    func() time.Time // nil: time.Now
}

// AppVerifier verifies the tokens Zendesk signs for one installation.
type AppVerifier struct {
	subdomain string
	install   int64
	iss, aud  string
	key       *rsa.PublicKey
	parser    *jwt.Parser
}

// NewAppVerifier checks opts. It makes no request.
func NewAppVerifier(opts AppVerifierOptions) (*AppVerifier, error) {
	sub := strings.ToLower(opts.Subdomain)
	switch {
	case !validSubdomain(sub):
		return nil, fmt.Errorf("zendesk: app verifier: subdomain %q: want the account's subdomain, e.g. acme", opts.Subdomain)
	case opts.InstallationID <= 0:
		return nil, fmt.Errorf("zendesk: app verifier: installation id %d: want the app installation's id", opts.InstallationID)
	case opts.Key == nil:
		return nil, errors.New("zendesk: app verifier: the app's public key is missing")
	case opts.Key.N.BitLen() < 2048:
		return nil, fmt.Errorf("zendesk: app verifier: public key of %d bits: want at least 2048", opts.Key.N.BitLen())
	}
	leeway := opts.Leeway
	if leeway <= 0 {
		leeway = AppLeeway
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	v := &AppVerifier{subdomain: sub, install: opts.InstallationID, key: opts.Key,
		iss: AppIssuer(sub), aud: AppAudience(sub, opts.InstallationID)}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(v.iss),
		jwt.WithAudience(v.aud),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(now),
		jwt.WithJSONNumber(),
	)
	return v, nil
}

// AppIssuer is the iss Zendesk puts in the account's app tokens.
func AppIssuer(subdomain string) string { return subdomain + ".zendesk.com" }

// AppAudience is the aud Zendesk puts in an installation's app tokens.
func AppAudience(subdomain string, installationID int64) string {
	return "https://" + subdomain + ".zendesk.com/api/v2/apps/installations/" +
		strconv.FormatInt(installationID, 10) + ".json"
}

// appTokenClaims is the token's payload as Zendesk writes it.
type appTokenClaims struct {
	jwt.RegisteredClaims
	Context struct {
		Product  string `json:"product"`
		Location string `json:"location"`
	} `json:"context"`
}

// Verify checks token's signature (RS256 with the app's key, nothing
// else), iss and aud (exactly this account and installation), exp, nbf and
// iat (within the leeway), and returns its claims.
func (v *AppVerifier) Verify(token string) (AppClaims, error) {
	if token == "" {
		return AppClaims{}, &AppTokenError{Reason: "no token"}
	}
	if len(token) > maxAppToken {
		return AppClaims{}, &AppTokenError{Reason: "token too long", kind: jwt.ErrTokenMalformed}
	}
	var c appTokenClaims
	_, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		// WithValidMethods already refused any other alg; the type check
		// keeps the RSA key from ever serving as an HMAC secret.
		if _, ok := t.Method.(*jwt.SigningMethodRSA); !ok {
			return nil, jwt.ErrTokenSignatureInvalid
		}
		return v.key, nil
	})
	if err != nil {
		return AppClaims{}, refusal(err)
	}
	if len(c.Audience) != 1 {
		return AppClaims{}, &AppTokenError{Reason: "audience is not exactly this installation", kind: jwt.ErrTokenInvalidAudience}
	}
	if c.IssuedAt == nil {
		return AppClaims{}, &AppTokenError{Reason: "iat missing", kind: jwt.ErrTokenRequiredClaimMissing}
	}
	user, ok := userOfSubject(c.Subject, v.subdomain)
	if !ok {
		return AppClaims{}, &AppTokenError{Reason: "sub does not name a user of this account", kind: jwt.ErrTokenInvalidSubject}
	}
	return AppClaims{Subdomain: v.subdomain, InstallationID: v.install, UserID: user,
		Product: c.Context.Product, Location: c.Context.Location,
		IssuedAt: c.IssuedAt.Time, ExpiresAt: c.ExpiresAt.Time}, nil
}

// refusal maps a jwt error to a fixed reason; the jwt error's own text is
// dropped, as some of it (JSON syntax errors) quotes the decoded token.
func refusal(err error) *AppTokenError {
	for _, r := range []struct {
		kind   error
		reason string
	}{
		{jwt.ErrTokenMalformed, "malformed token"},
		{jwt.ErrTokenSignatureInvalid, "signature or algorithm not accepted (RS256 with the app's key only)"},
		{jwt.ErrTokenUnverifiable, "signature or algorithm not accepted (RS256 with the app's key only)"},
		{jwt.ErrTokenExpired, "token expired"},
		{jwt.ErrTokenNotValidYet, "token not valid yet (nbf)"},
		{jwt.ErrTokenUsedBeforeIssued, "token issued in the future (iat)"},
		{jwt.ErrTokenInvalidIssuer, "issuer is not this account"},
		{jwt.ErrTokenInvalidAudience, "audience is not this installation"},
		{jwt.ErrTokenRequiredClaimMissing, "a required claim (exp, iss, aud) is missing"},
		{jwt.ErrTokenInvalidClaims, "claims not valid"},
	} {
		if errors.Is(err, r.kind) {
			return &AppTokenError{Reason: r.reason, kind: r.kind}
		}
	}
	return &AppTokenError{Reason: "token not valid"}
}

// userOfSubject reads the agent's id from sub. The documentation reached
// names the claim without showing its value, so both forms Zendesk uses
// for a user are accepted: the bare id ("123") and the user's API URL on
// this account ("https://acme.zendesk.com/api/v2/users/123.json"). sub is
// read only after the signature is verified.
func userOfSubject(sub, subdomain string) (int64, bool) {
	if rest, ok := strings.CutPrefix(sub, "https://"+subdomain+".zendesk.com/api/v2/users/"); ok {
		sub = strings.TrimSuffix(rest, ".json")
	}
	id, err := strconv.ParseInt(sub, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != sub {
		return 0, false
	}
	return id, true
}

// validSubdomain: Zendesk subdomains are lower-case letters, digits and
// hyphens; anything else would change the meaning of iss and aud.
func validSubdomain(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

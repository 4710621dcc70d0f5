package sidebar

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Zendesk's signed token comes once, with the page's first POST, and
// expires within minutes; the page then calls the service with a session
// token of the service's own, issued only after that signed POST was
// verified. A session is bound to one agent of one app installation.
//
// Session tokens are HS256 JWTs under a key only the service holds (no
// secret reaches the browser: the token is opaque to it and useless
// elsewhere). They are bearer tokens: short-lived, sent in a header, never
// in a URL.

// SessionTTL is a session's lifetime: a working day, after which the agent
// reloads the ticket (and Zendesk signs a new page request).
const SessionTTL = 8 * time.Hour

// MinSessionKey is the shortest session key accepted: HS256 wants a key
// at least as long as its 256-bit output (RFC 7518 §3.2).
const MinSessionKey = 32

// sessionLeeway tolerates clock skew between replicas.
const sessionLeeway = 30 * time.Second

const sessionIssuer = "helpdesk-sync/sidebar"

// ErrSession is wrapped by every refused session token. Its errors name a
// fixed reason, never the token.
var ErrSession = errors.New("sidebar session refused")

// SessionsOptions configure Sessions.
type SessionsOptions struct {
	// Key signs and verifies sessions; at least MinSessionKey random
	// bytes, shared by the replicas, never the Zendesk or Jira credentials.
	Key []byte
	// Subdomain and InstallationID name the app installation sessions are
	// bound to (as verified from Zendesk's token).
	Subdomain      string
	InstallationID int64
	TTL            time.Duration    // 0: SessionTTL
	Now            func() time.Time // nil: time.Now
}

// Sessions issues and verifies the sidebar's session tokens.
type Sessions struct {
	key    []byte
	aud    string
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

// Session is a verified session: who the agent is, and until when.
type Session struct {
	UserID    int64
	ExpiresAt time.Time
}

// NewSessions checks opts.
func NewSessions(opts SessionsOptions) (*Sessions, error) {
	switch {
	case len(opts.Key) < MinSessionKey:
		return nil, fmt.Errorf("sidebar sessions: key of %d bytes: want at least %d random bytes", len(opts.Key), MinSessionKey)
	case opts.Subdomain == "" || strings.ContainsAny(opts.Subdomain, "/:. "):
		return nil, fmt.Errorf("sidebar sessions: subdomain %q: want the account's subdomain, e.g. acme", opts.Subdomain)
	case opts.InstallationID <= 0:
		return nil, fmt.Errorf("sidebar sessions: installation id %d: want the app installation's id", opts.InstallationID)
	case opts.TTL < 0:
		return nil, fmt.Errorf("sidebar sessions: TTL %s: want a positive duration", opts.TTL)
	}
	s := &Sessions{key: append([]byte(nil), opts.Key...), ttl: opts.TTL, now: opts.Now,
		aud: "zendesk:" + strings.ToLower(opts.Subdomain) + ":installation:" + strconv.FormatInt(opts.InstallationID, 10)}
	if s.ttl == 0 {
		s.ttl = SessionTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(sessionIssuer),
		jwt.WithAudience(s.aud),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(sessionLeeway),
		jwt.WithTimeFunc(s.now),
	)
	return s, nil
}

// Issue returns a session token for agent userID, valid for the TTL.
func (s *Sessions) Issue(userID int64) (token string, expires time.Time, err error) {
	if userID <= 0 {
		return "", time.Time{}, fmt.Errorf("sidebar sessions: user id %d: want a Zendesk user id", userID)
	}
	now := s.now().Truncate(time.Second)
	expires = now.Add(s.ttl)
	claims := jwt.RegisteredClaims{
		Issuer:    sessionIssuer,
		Subject:   strconv.FormatInt(userID, 10),
		Audience:  jwt.ClaimStrings{s.aud},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(expires),
	}
	token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sidebar sessions: sign: %w", err)
	}
	return token, expires, nil
}

// Verify checks a session token (HS256 with the key, this installation,
// not expired) and returns the session.
func (s *Sessions) Verify(token string) (Session, error) {
	if token == "" {
		return Session{}, sessionError("no session token", nil)
	}
	if len(token) > 4<<10 {
		return Session{}, sessionError("session token too long", jwt.ErrTokenMalformed)
	}
	var c jwt.RegisteredClaims
	_, err := s.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		if _, ok := t.Method.(*jwt.SigningMethodHMAC); !ok {
			return nil, jwt.ErrTokenSignatureInvalid
		}
		return s.key, nil
	})
	if err != nil {
		return Session{}, refusal(err)
	}
	if len(c.Audience) != 1 {
		return Session{}, sessionError("session is not for this installation", jwt.ErrTokenInvalidAudience)
	}
	user, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || user <= 0 || c.IssuedAt == nil {
		return Session{}, sessionError("session names no agent", jwt.ErrTokenInvalidSubject)
	}
	return Session{UserID: user, ExpiresAt: c.ExpiresAt.Time}, nil
}

// SessionError says why a session token was refused, without quoting it.
type SessionError struct {
	Reason string
	kind   error
}

func (e *SessionError) Error() string { return ErrSession.Error() + ": " + e.Reason }

// Unwrap exposes ErrSession and the jwt sentinel, never a jwt error whose
// text could quote the token.
func (e *SessionError) Unwrap() []error {
	if e.kind == nil {
		return []error{ErrSession}
	}
	return []error{ErrSession, e.kind}
}

func sessionError(reason string, kind error) *SessionError {
	return &SessionError{Reason: reason, kind: kind}
}

func refusal(err error) *SessionError {
	for _, r := range []struct {
		kind   error
		reason string
	}{
		{jwt.ErrTokenMalformed, "malformed session token"},
		{jwt.ErrTokenSignatureInvalid, "session signature not valid"},
		{jwt.ErrTokenUnverifiable, "session signature not valid"},
		{jwt.ErrTokenExpired, "session expired"},
		{jwt.ErrTokenNotValidYet, "session not valid yet"},
		{jwt.ErrTokenUsedBeforeIssued, "session issued in the future"},
		{jwt.ErrTokenInvalidIssuer, "not a sidebar session"},
		{jwt.ErrTokenInvalidAudience, "session is not for this installation"},
		{jwt.ErrTokenRequiredClaimMissing, "session lacks a required claim"},
	} {
		if errors.Is(err, r.kind) {
			return sessionError(r.reason, r.kind)
		}
	}
	return sessionError("session not valid", nil)
}

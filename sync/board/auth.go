package board

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// auth opens the board to a bearer token or a basic-auth pair. Credentials
// are compared as SHA-256 digests in constant time, so neither their
// content nor their length leaks through timing.
type auth struct {
	token      *[32]byte
	user, pass *[32]byte
}

func newAuth(o HandlerOptions) (auth, error) {
	var a auth
	if o.Token != "" {
		d := sha256.Sum256([]byte(o.Token))
		a.token = &d
	}
	switch {
	case o.BasicUser != "" && o.BasicPassword != "":
		u, p := sha256.Sum256([]byte(o.BasicUser)), sha256.Sum256([]byte(o.BasicPassword))
		a.user, a.pass = &u, &p
	case o.BasicUser != "" || o.BasicPassword != "":
		return auth{}, errors.New("board: basic auth needs both a user and a password")
	}
	if a.token == nil && a.user == nil {
		return auth{}, errors.New("board: set a token or a basic-auth user and password: the board is never open to everyone")
	}
	return a, nil
}

func same(given string, want *[32]byte) bool {
	d := sha256.Sum256([]byte(given))
	return subtle.ConstantTimeCompare(d[:], want[:]) == 1
}

// allows reports whether r carries the configured credentials.
func (a auth) allows(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if scheme, cred, ok := strings.Cut(h, " "); ok && a.token != nil && strings.EqualFold(scheme, "Bearer") {
		return same(strings.TrimSpace(cred), a.token)
	}
	if user, pass, ok := r.BasicAuth(); ok && a.user != nil {
		// Both compared, whatever the first gives.
		u, p := same(user, a.user), same(pass, a.pass)
		return u && p
	}
	return false
}

// challenge asks for the credentials the board accepts: browsers prompt
// for basic auth.
func (a auth) challenge(w http.ResponseWriter) {
	if a.user != nil {
		w.Header().Add("WWW-Authenticate", `Basic realm="helpdesk-sync board", charset="UTF-8"`)
	}
	if a.token != nil {
		w.Header().Add("WWW-Authenticate", `Bearer realm="helpdesk-sync board"`)
	}
	http.Error(w, "authentication required", http.StatusUnauthorized)
}

package engine

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Bug keys come from text agents type, so nothing reaches a port (and from
// there a JQL query) unless it matches these exactly, after upper-casing.
var (
	keyPattern     = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,9}-[1-9][0-9]{0,9}$`)
	projectPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,9}$`)
	// subjectKey finds key-shaped words in prose; what it finds is then
	// validated like any other candidate.
	subjectKey = regexp.MustCompile(`(?i)\b[a-z][a-z0-9_]{1,9}-[1-9][0-9]{0,9}\b`)
)

// Reasons a candidate key is not used.
const (
	ReasonMalformed      = "not a bug key"
	ReasonUnknownProject = "project not configured"
	ReasonTooMany        = "too many keys"
)

// maxCandidate is longer than any key with the spaces around it.
const maxCandidate = 64

// DefaultMaxKeys is how many keys a ticket links when Policy.MaxKeys is 0.
const DefaultMaxKeys = 20

// What a ticket's rejected candidates may take up: they are logged and
// stored with the ticket, and agents can paste anything into the field.
const (
	MaxListedRejections = 5  // rejected candidates listed; the rest are counted
	MaxRejectedText     = 40 // runes of a rejected candidate shown
)

// RejectedKey is a candidate that was not used as a link, and why. Text is
// as the agent wrote it, cut to MaxRejectedText runes.
type RejectedKey struct {
	Text   string
	Reason string
}

// TicketKeys is what a ticket's keys field, tags and subject name.
type TicketKeys struct {
	// Keys are the validated keys the ticket links to, upper-cased, unique
	// and sorted; at most the policy's key cap.
	Keys []string
	// Rejected are the first rejected candidates, at most
	// MaxListedRejections, in the order they appear; those over the cap
	// come last, since the count says most of what they would.
	Rejected []RejectedKey
	// Ignored counts every rejected candidate, listed or not.
	Ignored int
	// OverCap counts the valid keys rejected because the ticket named more
	// than the cap (included in Ignored).
	OverCap int
}

// Keys extracts the bug keys a ticket links to from the keys field, the
// link tags and (when enabled) the subject, in that order. Every candidate
// is validated; the first MaxKeys distinct valid ones are kept and the rest
// rejected as too many, so that no ticket, however much text agents paste
// into it, links to more bugs than that. Candidates from the field and tags
// that fail validation are rejected so the engine can log why; key-shaped
// words of the subject that are not configured projects are prose, and are
// ignored silently.
func (p Policy) Keys(t Ticket) TicketKeys {
	var out TicketKeys
	var overCap []RejectedKey // listed after the others, which say more
	limit := p.maxKeys()
	reject := func(text, reason string) {
		out.Ignored++
		r := RejectedKey{Text: truncate(text, MaxRejectedText), Reason: reason}
		switch {
		case reason == ReasonTooMany:
			if out.OverCap++; len(overCap) < MaxListedRejections {
				overCap = append(overCap, r)
			}
		case len(out.Rejected) < MaxListedRejections:
			out.Rejected = append(out.Rejected, r)
		}
	}
	take := func(text, key, reason string) {
		switch {
		case reason != "":
			reject(text, reason)
		case slices.Contains(out.Keys, key):
		case len(out.Keys) == limit:
			reject(text, ReasonTooMany)
		default:
			out.Keys = append(out.Keys, key)
		}
	}
	for _, tok := range splitKeysField(t.KeysField) {
		k, reason := p.checkKey(browseKey(tok))
		take(tok, k, reason)
	}
	for _, tag := range t.Tags {
		if k, ok := p.keyFromTag(tag); ok {
			k, reason := p.checkKey(k)
			take(tag, k, reason)
		}
	}
	if p.SubjectKeys {
		for _, word := range subjectKey.FindAllString(t.Subject, -1) {
			if k, reason := p.checkKey(word); reason == "" {
				take(word, k, "")
			}
		}
	}
	slices.Sort(out.Keys)
	room := MaxListedRejections - len(out.Rejected)
	out.Rejected = append(out.Rejected, overCap[:min(room, len(overCap))]...)
	return out
}

// maxKeys is the cap on the keys one ticket links.
func (p Policy) maxKeys() int {
	if p.MaxKeys <= 0 {
		return DefaultMaxKeys
	}
	return p.MaxKeys
}

// ValidKey reports whether key may be sent to the tracker: well formed
// (upper case) and of a configured project.
func (p Policy) ValidKey(key string) bool {
	k, reason := p.checkKey(key)
	return reason == "" && k == key
}

func (p Policy) checkKey(candidate string) (key, reason string) {
	if len(candidate) > maxCandidate {
		return "", ReasonMalformed // no key is this long; spare upper-casing a pasted megabyte
	}
	key = strings.ToUpper(strings.TrimSpace(candidate))
	if !keyPattern.MatchString(key) {
		return "", ReasonMalformed
	}
	if !p.HasProject(projectOf(key)) {
		return "", ReasonUnknownProject
	}
	return key, ""
}

// keyFromTag turns "<prefix>proj_12" into "proj-12". Project keys may hold
// underscores, so the number is what follows the last one.
func (p Policy) keyFromTag(tag string) (string, bool) {
	if p.LinkTagPrefix == "" {
		return "", false
	}
	rest, ok := strings.CutPrefix(strings.ToLower(tag), p.LinkTagPrefix)
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '_')
	if i <= 0 {
		return "", false
	}
	return rest[:i] + "-" + rest[i+1:], true
}

// splitKeysField splits the keys field on commas, semicolons and white
// space.
func splitKeysField(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || unicode.IsSpace(r)
	})
}

// browseKey takes the key out of a pasted browse URL (…/browse/PROJ-12?x);
// any other token is returned as is.
func browseKey(tok string) string {
	j := strings.LastIndex(tok, "/browse/")
	if j < 0 {
		return tok
	}
	tok = tok[j+len("/browse/"):]
	if k := strings.IndexAny(tok, "?#/"); k >= 0 {
		tok = tok[:k]
	}
	return tok
}

// projectOf is the project part of a valid key.
func projectOf(key string) string {
	return key[:strings.LastIndexByte(key, '-')]
}

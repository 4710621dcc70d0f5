package sync

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
)

// RejectedKey is a candidate that was not used as a link, and why.
type RejectedKey struct {
	Text   string
	Reason string
}

// Keys extracts the validated bug keys a ticket links to, upper-cased,
// deduplicated and sorted, from the keys field, the link tags and (when
// enabled) the subject. Candidates from the field and tags that fail
// validation are returned in rejected so the engine can log why; key-shaped
// words of the subject that are not configured projects are prose, and are
// ignored silently.
func (p Policy) Keys(t Ticket) (keys []string, rejected []RejectedKey) {
	add := func(k string) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, tok := range splitKeysField(t.KeysField) {
		if k, reason := p.checkKey(browseKey(tok)); reason == "" {
			add(k)
		} else {
			rejected = append(rejected, RejectedKey{Text: tok, Reason: reason})
		}
	}
	for _, tag := range t.Tags {
		k, ok := p.keyFromTag(tag)
		if !ok {
			continue
		}
		if k, reason := p.checkKey(k); reason == "" {
			add(k)
		} else {
			rejected = append(rejected, RejectedKey{Text: tag, Reason: reason})
		}
	}
	if p.SubjectKeys {
		for _, word := range subjectKey.FindAllString(t.Subject, -1) {
			if k, reason := p.checkKey(word); reason == "" {
				add(k)
			}
		}
	}
	slices.Sort(keys)
	return keys, rejected
}

// ValidKey reports whether key may be sent to the tracker: well formed
// (upper case) and of a configured project.
func (p Policy) ValidKey(key string) bool {
	k, reason := p.checkKey(key)
	return reason == "" && k == key
}

func (p Policy) checkKey(candidate string) (key, reason string) {
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

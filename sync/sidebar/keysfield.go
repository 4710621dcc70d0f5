package sidebar

import (
	"slices"
	"strings"
)

// fieldTokens splits a keys field as the engine does: on commas,
// semicolons and white space.
func fieldTokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

// hasKey reports whether the field names key (case-insensitive).
func hasKey(field, key string) bool {
	return slices.ContainsFunc(fieldTokens(field), func(t string) bool { return strings.EqualFold(t, key) })
}

// addKey is field with key appended, unless it already names it; what
// the agent wrote there stays as written.
func addKey(field, key string) string {
	switch {
	case hasKey(field, key):
		return field
	case strings.TrimSpace(field) == "":
		return key
	}
	return strings.TrimRight(field, ",; \t\r\n") + ", " + key
}

// removeKey is field without key; the other tokens stay, comma separated.
func removeKey(field, key string) string {
	if !hasKey(field, key) {
		return field
	}
	kept := slices.DeleteFunc(fieldTokens(field), func(t string) bool { return strings.EqualFold(t, key) })
	return strings.Join(kept, ", ")
}

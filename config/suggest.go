package config

import (
	"reflect"
	"strings"
)

// suggest is the fix for an unknown key name in the section of type t at
// key section: the nearest key there, the same key in another section, or
// the list of valid keys.
func suggest(t reflect.Type, section, name string) string {
	var here []string
	for i := range t.NumField() {
		if n := yamlName(t.Field(i)); n != "" {
			here = append(here, n)
		}
	}
	if n, ok := nearest(name, here); ok {
		return "did you mean " + n + "?"
	}
	var elsewhere []string
	for _, path := range keyPaths() {
		if leafName(path) == strings.ToLower(name) && path != joinKey(section, leafName(path)) {
			elsewhere = append(elsewhere, path)
		}
	}
	if len(elsewhere) > 0 {
		return "it belongs elsewhere: " + strings.Join(elsewhere, " or ")
	}
	return "valid keys here: " + strings.Join(here, ", ")
}

// nearest is the candidate closest to s (case-insensitively), if it is
// close enough to be a typo of it.
func nearest(s string, candidates []string) (string, bool) {
	s = strings.ToLower(strings.TrimPrefix(s, EnvPrefix))
	limit := min(max(len(s)/4, 1), 3)
	best, bestD := "", limit+1
	for _, c := range candidates {
		if d := distance(s, strings.ToLower(strings.TrimPrefix(c, EnvPrefix))); d < bestD {
			best, bestD = c, d
		}
	}
	return best, best != ""
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

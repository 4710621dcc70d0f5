package config

import (
	"encoding"
	"reflect"
	"strings"
	"time"
)

// EnvPrefix starts the environment variable of every key: the key's path,
// dots as underscores, upper-cased (jira.url is HELPDESK_SYNC_JIRA_URL).
const EnvPrefix = "HELPDESK_SYNC_"

// PathEnv names the configuration file when no path is given on the
// command line. It is no key of the file itself.
const PathEnv = EnvPrefix + "CONFIG"

// leaf is a key that holds a value rather than more keys: a scalar, a list
// or a map.
type leaf struct {
	key string        // "policy.stale.windows"
	doc string        // the doc tag
	v   reflect.Value // the settable field inside a Config
}

func (l leaf) env() string { return envName(l.key) }

func envName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

var (
	durationType  = reflect.TypeFor[time.Duration]()
	timeType      = reflect.TypeFor[time.Time]()
	secretType    = reflect.TypeFor[Secret]()
	unmarshalType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// isSection reports whether t is a struct of keys (as opposed to a struct
// that is one value, such as time.Time).
func isSection(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t != timeType
}

// yamlName is the key of a struct field, "" for fields that are not keys.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// leaves lists every key of c in declaration order, with its value.
func (c *Config) leaves() []leaf {
	var out []leaf
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		t := v.Type()
		for i := range t.NumField() {
			name := yamlName(t.Field(i))
			if name == "" {
				continue
			}
			key := prefix + name
			if isSection(t.Field(i).Type) {
				walk(v.Field(i), key+".")
				continue
			}
			out = append(out, leaf{key: key, doc: t.Field(i).Tag.Get("doc"), v: v.Field(i)})
		}
	}
	walk(reflect.ValueOf(c).Elem(), "")
	return out
}

// keyPaths are the keys of every struct field, sections included, for
// suggestions.
func keyPaths() []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			name := yamlName(t.Field(i))
			if name == "" {
				continue
			}
			out = append(out, prefix+name)
			if isSection(t.Field(i).Type) {
				walk(t.Field(i).Type, prefix+name+".")
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return out
}

// leafOf finds the leaf that key ("policy.thresholds[1].priority",
// "policy.stale.windows.High") belongs to.
func leafOf(leaves []leaf, key string) (leaf, bool) {
	best, found := leaf{}, false
	for _, l := range leaves {
		if key == l.key || strings.HasPrefix(key, l.key+".") || strings.HasPrefix(key, l.key+"[") {
			if !found || len(l.key) > len(best.key) {
				best, found = l, true
			}
		}
	}
	return best, found
}

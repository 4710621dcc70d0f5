package config

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Redacted is the effective configuration as YAML that Load accepts, with
// every secret replaced by a placeholder (and redis.url's password
// masked). Each value that is not a default carries a comment saying
// where it came from.
func (c *Config) Redacted() string {
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: "Effective configuration; secrets redacted.\n" +
		"A comment names where a value came from; values without one are defaults.",
		Content: []*yaml.Node{c.node(reflect.ValueOf(c).Elem(), "")}}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		// The tree is built from plain scalars; an error is a bug here.
		return "# cannot print the configuration: " + err.Error() + "\n"
	}
	_ = enc.Close()
	return b.String()
}

// String is Redacted, so that printing a Config never shows a secret.
func (c *Config) String() string { return c.Redacted() }

func (c *Config) node(v reflect.Value, key string) *yaml.Node {
	t := v.Type()
	switch {
	case isSection(t):
		n := &yaml.Node{Kind: yaml.MappingNode}
		if c.isLeafKey(key) { // a threshold or count label: one line each
			n.Style = yaml.FlowStyle
		}
		for i := range t.NumField() {
			name := yamlName(t.Field(i))
			if name == "" || strings.HasSuffix(t.Field(i).Tag.Get("yaml"), ",omitempty") && v.Field(i).IsZero() {
				continue
			}
			sub := joinKey(key, name)
			k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}
			val := c.node(v.Field(i), sub)
			if o := c.origins[sub]; o != "" && !isSection(t.Field(i).Type) {
				if val.Kind == yaml.MappingNode && val.Style != yaml.FlowStyle {
					k.LineComment = o // yaml writes a block's own comment after its last line
				} else {
					val.LineComment = o
				}
			}
			n.Content = append(n.Content, k, val)
		}
		return n
	case t.Kind() == reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for i := range v.Len() {
			n.Content = append(n.Content, c.node(v.Index(i), key+"[]"))
		}
		return n
	case t.Kind() == reflect.Map:
		n := &yaml.Node{Kind: yaml.MappingNode}
		if v.Len() == 0 {
			n.Style = yaml.FlowStyle
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		for _, k := range keys {
			name := k
			if looksLikeURL(k) { // a webhook URL in its name's place
				name = redacted
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name},
				c.node(v.MapIndex(reflect.ValueOf(k)), key+"."+k))
		}
		return n
	}
	return scalarNode(v, key)
}

// isLeafKey reports whether key is a configuration key (not a section):
// sections print as blocks, values inside a leaf in flow style.
func (c *Config) isLeafKey(key string) bool {
	_, ok := leafOf(c.leaves(), key)
	return ok
}

func scalarNode(v reflect.Value, key string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str"}
	t := v.Type()
	switch {
	case t == secretType:
		n.Value = v.Interface().(Secret).String()
	case key == "redis.url":
		n.Value = redactURL(v.String())
	case t.Kind() == reflect.String && misplacedURL(key, v.String()):
		n.Value = redacted
	case t == durationType:
		n.Value = formatDuration(time.Duration(v.Int()))
	case t.Kind() == reflect.Bool, t.Kind() == reflect.Int, t.Kind() == reflect.Int64, t.Kind() == reflect.Float64:
		n.Tag, n.Value = "", formatScalar(v) // plain: the encoder writes it untagged
	default:
		n.Value = formatScalar(v)
	}
	return n
}

// misplacedURL reports whether s, the value of key, is most likely a
// webhook URL where a webhook name or a file path is wanted: Load reports
// it, and printing must not show it either.
func misplacedURL(key, s string) bool {
	switch {
	case key == "slack.rules[].webhook":
		return nameIsURL(s)
	case strings.HasSuffix(key, "_file"), strings.HasPrefix(key, "slack.webhook_files."):
		return looksLikeURL(s)
	}
	return false
}

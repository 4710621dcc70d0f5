package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Override sets the key Key ("log.level") to Value, written as in the
// environment, over the file and the environment: a command-line flag,
// named by Origin ("flag --log-level"). An empty Value sets nothing.
type Override struct {
	Key, Value, Origin string
}

// Load reads the YAML file at path ("" reads none), applies the
// environment read through env (nil reads none; os.Getenv in production)
// and then the overrides over it, resolves secrets and validates the
// result.
//
// Every problem is reported at once in an *Error. With the error Load
// still returns the configuration as far as it could read it, so that a
// caller can show it; it must not be used to run.
func Load(path string, env func(string) string, overrides ...Override) (*Config, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	c := Default()
	c.origins = map[string]string{}
	p := newProblems(c)
	if path != "" {
		c.file = path
		decodeFile(c, path, p)
	}
	applyEnv(c, env, p)
	applyOverrides(c, overrides, p)
	resolveSecrets(c, p)
	c.deprecations()
	c.check(p)
	return c, p.err()
}

// decodeFile applies the YAML file at path to c.
func decodeFile(c *Config, path string, p *problems) {
	data, err := readLimited(path, 1<<20)
	if err != nil {
		p.list = append(p.list, Problem{Msg: fmt.Sprintf("cannot read the file: %v", err),
			Fix: "check the path given by --config or " + PathEnv})
		return
	}
	decodeYAML(c, data, path, p)
}

// decodeYAML applies the YAML document data, read from path, to c.
func decodeYAML(c *Config, data []byte, path string, p *problems) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) { // an empty file sets nothing
			p.list = append(p.list, Problem{Origin: path, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: "),
				Fix: "fix the syntax at that line"})
		}
		return
	}
	if err := dec.Decode(new(yaml.Node)); !errors.Is(err, io.EOF) {
		p.list = append(p.list, Problem{Origin: path, Msg: "holds more than one YAML document", Fix: "remove the --- separator and everything after it"})
		return
	}
	d := decoder{file: path, c: c, p: p, active: map[*yaml.Node]bool{}}
	d.decode(doc.Content[0], reflect.ValueOf(c).Elem(), "")
}

// decoder applies YAML nodes to a Config strictly: unknown keys, keys
// given twice and values of the wrong shape are problems.
type decoder struct {
	file   string
	c      *Config
	p      *problems
	active map[*yaml.Node]bool // mappings being decoded, against alias loops
}

func (d *decoder) at(n *yaml.Node) string { return fmt.Sprintf("%s:%d", d.file, n.Line) }

// problem records a problem at node n, with the origin of n rather than
// of the key (which may not be recorded yet).
func (d *decoder) problem(n *yaml.Node, key, msg, fix string) {
	d.p.add(key, msg, fix, "")
	d.p.list[len(d.p.list)-1].Origin = d.at(n)
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, key string) {
	for n.Kind == yaml.AliasNode {
		if d.active[n.Alias] {
			d.problem(n, key, "alias *"+n.Value+" refers to a mapping that contains it", "copy the values instead")
			return
		}
		n = n.Alias
	}
	t := v.Type()
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		if key != "" && !isSection(t) { // an empty section keeps its defaults
			v.SetZero()
			d.c.origins[key] = d.at(n)
		}
		return
	}
	switch {
	case isSection(t) && !(n.Kind == yaml.ScalarNode && reflect.PointerTo(t).Implements(unmarshalType)):
		d.section(n, v, key)
		return
	case t.Kind() == reflect.Slice:
		if !d.list(n, v, key) {
			return
		}
	case t.Kind() == reflect.Map:
		if !d.mapping(n, v, key) {
			return
		}
	default:
		if n.Kind != yaml.ScalarNode {
			d.problem(n, key, "not a single value", hintFor(t))
			return
		}
		val, err := parseScalar(n.Value, t)
		if err != nil {
			d.problem(n, key, badValue(n.Value, t, err), hintFor(t))
			return
		}
		v.Set(val)
	}
	d.c.origins[key] = d.at(n)
}

// decodeOK decodes n and reports whether it added no problem.
func (d *decoder) decodeOK(n *yaml.Node, v reflect.Value, key string) bool {
	before := len(d.p.list)
	d.decode(n, v, key)
	return len(d.p.list) == before
}

// list decodes a YAML sequence into the slice v, reporting success.
func (d *decoder) list(n *yaml.Node, v reflect.Value, key string) bool {
	t := v.Type()
	if n.Kind != yaml.SequenceNode {
		fix := "write a list, e.g. " + leafName(key) + ": [a, b]"
		if t == reflect.TypeFor[SlackRules]() {
			fix = "write a list of rules, e.g. " + leafName(key) + ": [{webhook: default, events: [stale]}]"
		}
		d.problem(n, key, "not a list", fix)
		return false
	}
	out := reflect.Zero(t) // [] is as good as no list
	for i, item := range n.Content {
		ev := reflect.New(t.Elem()).Elem()
		if d.decodeOK(item, ev, fmt.Sprintf("%s[%d]", key, i)) {
			out = reflect.Append(out, ev)
		}
	}
	v.Set(out)
	return true
}

// mapping decodes a YAML mapping into the map v, reporting success.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, key string) bool {
	t := v.Type()
	if n.Kind != yaml.MappingNode {
		d.problem(n, key, "not a map", "write key: value pairs under it")
		return false
	}
	out := reflect.MakeMap(t)
	if len(n.Content) == 0 {
		out = reflect.Zero(t) // {} is as good as no map
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		sub := key + "." + k
		if looksLikeURL(k) { // a webhook URL in its name's place
			sub = key
		}
		if out.MapIndex(reflect.ValueOf(k)).IsValid() {
			d.problem(n.Content[i], sub, "given twice", "keep one")
			continue
		}
		ev := reflect.New(t.Elem()).Elem()
		if d.decodeOK(n.Content[i+1], ev, sub) {
			out.SetMapIndex(reflect.ValueOf(k), ev)
		}
	}
	v.Set(out)
	return true
}

func (d *decoder) section(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.MappingNode {
		d.problem(n, key, "not a map of keys", "indent its keys under it")
		return
	}
	d.active[n] = true
	defer delete(d.active, n)
	t := v.Type()
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Tag == "!!merge" { // <<: *anchor
			d.decode(vn, v, key)
			continue
		}
		name := kn.Value
		sub := joinKey(key, name)
		if seen[name] {
			d.problem(kn, sub, "given twice", "keep one")
			continue
		}
		seen[name] = true
		idx, ok := fieldIndex(t, name)
		if !ok {
			d.problem(kn, sub, "unknown key", suggest(t, key, name))
			continue
		}
		d.decode(vn, v.Field(idx), sub)
	}
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func leafName(key string) string {
	return key[strings.LastIndexAny(key, ".]")+1:]
}

func fieldIndex(t reflect.Type, name string) (int, bool) {
	for i := range t.NumField() {
		if n := yamlName(t.Field(i)); n != "" && n == name {
			return i, true
		}
	}
	return 0, false
}

// badValue says that s, of type t, is bad for err, showing s unless it
// is a secret or may hold one: a URL may be a webhook's, in the wrong
// place; JSON (slack.rules) may hold one, and err gives its offset.
func badValue(s string, t reflect.Type, err error) string {
	switch {
	case nested(t):
		return err.Error()
	case t == secretType || (t.Kind() == reflect.Map && t.Elem() == secretType) || looksLikeURL(s):
		return "the value: " + err.Error()
	}
	return fmt.Sprintf("%q: %v", s, err)
}

// hintFor says how to write a value of type t.
func hintFor(t reflect.Type) string {
	// A variable holds the whole list of thresholds or count labels: its
	// items are written as one of them is.
	if t.Kind() == reflect.Slice && (t.Elem() == reflect.TypeFor[Threshold]() || t.Elem() == reflect.TypeFor[CountLabel]()) {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return "write a number with a unit, e.g. 90s, 5m or 72h"
	case t == timeType:
		return "write an RFC 3339 time, e.g. 2024-01-31T00:00:00Z"
	case t == reflect.TypeFor[Threshold]():
		return "write customers=priority, e.g. 10=High, revenue:amount=priority, e.g. revenue:100000=High, or {customers: 10, priority: High}"
	case t == reflect.TypeFor[CountLabel]():
		return "write customers=label, e.g. 10=customers-10plus, or {customers: 10, label: customers-10plus}"
	case t == reflect.TypeFor[SlackRules]():
		return `write a JSON list of rules, e.g. [{"webhook": "default", "events": ["stale"]}]`
	case nested(t) && t.Kind() == reflect.Slice:
		return "write a JSON list of objects"
	case t.Kind() == reflect.Slice:
		return "write a comma-separated list, e.g. a,b"
	case nested(t):
		return `write a JSON object of objects, e.g. {"de": {"fixed": "…"}}`
	case t.Kind() == reflect.Map && t.Elem() == secretType:
		return "write comma-separated name=URL pairs, e.g. eng=https://hooks.slack.com/services/…"
	case t.Kind() == reflect.Map:
		return "write comma-separated key=value pairs, e.g. a=1,b=2"
	case t.Kind() == reflect.Bool:
		return "write true or false"
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		return "write a whole number"
	case t.Kind() == reflect.Float64:
		return "write a number"
	}
	return "write a single value"
}

// applyEnv applies every HELPDESK_SYNC_* variable that env returns, and
// REDIS_URL when HELPDESK_SYNC_REDIS_URL is not set.
func applyEnv(c *Config, env func(string) string, p *problems) {
	for _, l := range c.leaves() {
		name := l.env()
		s := env(name)
		if s == "" && l.key == "redis.url" {
			name, s = "REDIS_URL", env("REDIS_URL")
		}
		if s != "" {
			set(c, l, s, "env "+name, p)
		}
	}
}

func applyOverrides(c *Config, overrides []Override, p *problems) {
	leaves := c.leaves()
	for _, o := range overrides {
		if o.Value == "" {
			continue
		}
		i := slices.IndexFunc(leaves, func(l leaf) bool { return l.key == o.Key })
		if i < 0 {
			p.list = append(p.list, Problem{Key: o.Key, Origin: o.Origin, Msg: "unknown key", Fix: "this is a bug in the caller"})
			continue
		}
		set(c, leaves[i], o.Value, o.Origin, p)
	}
}

// set sets leaf l from s in its environment form, coming from origin.
func set(c *Config, l leaf, s, origin string, p *problems) {
	v, err := parseEnv(s, l.v.Type())
	if err != nil {
		p.add(l.key, badValue(s, l.v.Type(), err), hintFor(l.v.Type()), "")
		p.list[len(p.list)-1].Origin = origin
		return
	}
	l.v.Set(v)
	for k := range c.origins { // the file's values under this key are gone
		if strings.HasPrefix(k, l.key+".") || strings.HasPrefix(k, l.key+"[") {
			delete(c.origins, k)
		}
	}
	c.origins[l.key] = origin
}

// CheckEnviron returns a warning for each HELPDESK_SYNC_ variable in
// environ (os.Environ's form) that sets no key: most likely a typo, which
// would otherwise leave the key at its default without a word.
func CheckEnviron(environ []string) []string {
	known := map[string]bool{PathEnv: true}
	var names []string
	for _, l := range Default().leaves() {
		known[l.env()] = true
		names = append(names, l.env())
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || known[name] {
			continue
		}
		w := name + " sets no configuration key"
		if n, ok := nearest(name, names); ok {
			w += "; did you mean " + n + "?"
		}
		out = append(out, w)
	}
	return out
}

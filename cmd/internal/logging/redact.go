package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
)

// Mask replaces whatever is redacted.
const Mask = "[REDACTED]"

// Redact wraps core so that nothing it writes carries a credential:
//
//   - a field whose key looks like one (authorization, token, password,
//     secret, api_key, cookie, credential, private_key; any case, - and _
//     ignored) is masked whole, also as a key nested inside an object, a
//     map, a struct or an http.Header logged with zap.Any or zap.Object;
//   - each of secrets is masked wherever it occurs in the message, a string,
//     an error's text, a Stringer's text, or a string nested in a value;
//   - "Authorization: <scheme> <credential>" and "Bearer <token>" inside
//     free text are masked, whatever the credential.
func Redact(core zapcore.Core, secrets ...string) zapcore.Core {
	var pairs []string
	sorted := slices.Clone(secrets)
	// Longest first, so that a secret containing another is masked whole.
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, s := range slices.Compact(sorted) {
		if s != "" {
			pairs = append(pairs, s, Mask)
		}
	}
	r := &redactor{}
	if len(pairs) > 0 {
		r.values = strings.NewReplacer(pairs...)
		for i := 0; i < len(pairs); i += 2 {
			r.secrets = append(r.secrets, pairs[i])
		}
	}
	return &redactCore{Core: core, r: r}
}

type redactCore struct {
	zapcore.Core
	r *redactor
}

func (c *redactCore) With(fields []zapcore.Field) zapcore.Core {
	return &redactCore{Core: c.Core.With(c.r.fields(fields)), r: c.r}
}

func (c *redactCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *redactCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	e.Message = c.r.text(e.Message)
	e.Stack = c.r.text(e.Stack)
	return c.Core.Write(e, c.r.fields(fields))
}

type redactor struct {
	secrets []string
	values  *strings.Replacer // masks secrets; nil when there are none
}

// secretKeys are the parts of a key, lower-cased without - and _, that
// mark its value as a credential.
var secretKeys = [][]byte{[]byte("authorization"), []byte("token"), []byte("password"), []byte("passwd"), []byte("passphrase"),
	[]byte("secret"), []byte("apikey"), []byte("cookie"), []byte("credential"), []byte("privatekey")}

// secretKey reports whether a value under key is a credential, comparing
// lower-cased without - _ . and spaces. It errs on the safe side:
// "next_page_token" is masked too. It runs for every field, so it does not
// allocate for keys of usual length.
func secretKey(key string) bool {
	var buf [64]byte
	k := buf[:0]
	for i := range len(key) {
		c := key[i]
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		k = append(k, c)
	}
	for _, s := range secretKeys {
		if bytes.Contains(k, s) {
			return true
		}
	}
	return false
}

var (
	// authHeader is an Authorization header written out in text (a dumped
	// request, a curl line in an error), with or without a scheme.
	authHeader = regexp.MustCompile(`(?i)((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(?:basic|bearer|token|digest)\s+)?[^\s"',;]+`)
	bearer     = regexp.MustCompile(`\b(Bearer\s+)[A-Za-z0-9\-._~+/]+=*`)
)

// text masks secret values and credentials written out in s.
func (r *redactor) text(s string) string {
	if s == "" {
		return s
	}
	// Replace allocates even when nothing matches; a search does not.
	if slices.ContainsFunc(r.secrets, func(secret string) bool { return strings.Contains(s, secret) }) {
		s = r.values.Replace(s)
	}
	if strings.Contains(s, "uthorization") || strings.Contains(s, "UTHORIZATION") {
		s = authHeader.ReplaceAllString(s, "${1}"+Mask)
	}
	if strings.Contains(s, "Bearer") {
		s = bearer.ReplaceAllString(s, "${1}"+Mask)
	}
	return s
}

// fields returns fs with every credential masked, copying only when a
// field changes.
func (r *redactor) fields(fs []zapcore.Field) []zapcore.Field {
	var out []zapcore.Field
	for i, f := range fs {
		g, changed := r.field(f)
		if out == nil && changed {
			out = append(make([]zapcore.Field, 0, len(fs)), fs[:i]...)
		}
		if out != nil {
			out = append(out, g)
		}
	}
	if out == nil {
		return fs
	}
	return out
}

// field masks f, reporting whether anything changed.
func (r *redactor) field(f zapcore.Field) (zapcore.Field, bool) {
	switch f.Type {
	case zapcore.NamespaceType, zapcore.SkipType:
		return f, false
	}
	if secretKey(f.Key) {
		return zapcore.Field{Key: f.Key, Type: zapcore.StringType, String: Mask}, true
	}
	switch f.Type {
	case zapcore.StringType:
		s := r.text(f.String)
		changed := s != f.String
		f.String = s
		return f, changed
	case zapcore.ByteStringType:
		if b, ok := f.Interface.([]byte); ok {
			if s := r.text(string(b)); s != string(b) {
				f.Interface = []byte(s)
				return f, true
			}
		}
		return f, false
	case zapcore.StringerType:
		return zapcore.Field{Key: f.Key, Type: zapcore.StringType, String: r.text(stringOf(f.Interface))}, true
	case zapcore.ErrorType:
		if err, ok := f.Interface.(error); ok && err != nil {
			text := errorText(err)
			// A fmt.Formatter is also written in its verbose form (%+v),
			// which could repeat what the text hides: it goes as its text.
			if masked := r.text(text); masked != text || isFormatter(err) {
				return zapcore.Field{Key: f.Key, Type: zapcore.ErrorType, Interface: maskedError(masked)}, true
			}
		}
	case zapcore.ReflectType:
		if f.Interface != nil {
			return r.value(f.Key, f.Interface), true
		}
	case zapcore.ObjectMarshalerType, zapcore.InlineMarshalerType:
		m := zapcore.NewMapObjectEncoder()
		if err := f.Interface.(zapcore.ObjectMarshaler).MarshalLogObject(m); err != nil {
			return zapcore.Field{Key: f.Key + "Error", Type: zapcore.StringType, String: r.text(err.Error())}, true
		}
		f.Interface = object(r.walk(m.Fields).(map[string]any))
		return f, true
	case zapcore.ArrayMarshalerType:
		m := zapcore.NewMapObjectEncoder()
		if err := m.AddArray("a", f.Interface.(zapcore.ArrayMarshaler)); err != nil {
			return zapcore.Field{Key: f.Key + "Error", Type: zapcore.StringType, String: r.text(err.Error())}, true
		}
		return zapcore.Field{Key: f.Key, Type: zapcore.ReflectType, Interface: r.walk(m.Fields["a"])}, true
	}
	return f, false
}

// value masks a value logged by reflection (zap.Any of a struct, a map, an
// http.Header...): it is turned into its JSON form, as the encoder would
// write it, and walked.
func (r *redactor) value(key string, v any) zapcore.Field {
	generic, err := toGeneric(v)
	if err != nil {
		return zapcore.Field{Key: key + "Error", Type: zapcore.StringType, String: r.text(err.Error())}
	}
	return zapcore.Field{Key: key, Type: zapcore.ReflectType, Interface: r.walk(generic)}
}

func toGeneric(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep int64 ids exact
	var out any
	err = dec.Decode(&out)
	return out, err
}

// walk masks a generic value: maps by key, strings by content.
func (r *redactor) walk(v any) any {
	switch v := v.(type) {
	case nil, bool, json.Number, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64,
		uintptr, float32, float64, complex64, complex128, time.Time, time.Duration:
		return v
	case string:
		return r.text(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, val := range v {
			if secretKey(k) {
				out[k] = Mask
			} else {
				out[k] = r.walk(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, val := range v {
			out[i] = r.walk(val)
		}
		return out
	case error:
		return r.text(errorText(v))
	case fmt.Stringer:
		return r.text(stringOf(v))
	}
	// Anything else (a struct or header added with AddReflected): its JSON form.
	generic, err := toGeneric(v)
	if err != nil {
		return "<unloggable: " + r.text(err.Error()) + ">"
	}
	return r.walk(generic)
}

// object writes a walked map back as a zap object.
type object map[string]any

func (o object) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if s, ok := o[k].(string); ok {
			enc.AddString(k, s)
		} else if err := enc.AddReflected(k, o[k]); err != nil {
			return err
		}
	}
	return nil
}

func isFormatter(err error) bool {
	_, ok := err.(fmt.Formatter)
	return ok
}

type maskedError string

func (e maskedError) Error() string { return string(e) }

// errorText and stringOf survive the panics of nil receivers, as zap does.
func errorText(err error) (s string) {
	defer func() {
		if recover() != nil {
			s = "<nil>"
		}
	}()
	return err.Error()
}

func stringOf(v any) (s string) {
	defer func() {
		if recover() != nil {
			s = "<nil>"
		}
	}()
	return v.(fmt.Stringer).String()
}

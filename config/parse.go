package config

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The environment form of values: lists are comma-separated, maps are
// k=v,k2=v2, thresholds and count labels are customers=name, maps of maps
// (texts by language) are JSON. Items are
// trimmed and empty items skipped, so "a, b," is [a b]. Neither items nor
// map keys can contain a comma, nor map keys an "=".

// emptyValue, written as a variable's whole value, sets the key to empty:
// an empty variable means "not set", as it does in most deployment tools.
const emptyValue = `""`

// parseEnv parses the environment form of a value of type t.
func parseEnv(s string, t reflect.Type) (reflect.Value, error) {
	if strings.TrimSpace(s) == emptyValue {
		return reflect.Zero(t), nil
	}
	if nested(t) {
		// Its values are free text, commas and all: JSON holds them.
		return parseJSON(s, t)
	}
	switch t.Kind() {
	case reflect.Slice:
		items := splitList(s)
		if len(items) == 0 {
			return reflect.Zero(t), nil
		}
		out := reflect.MakeSlice(t, 0, len(items))
		for i, item := range items {
			if item == emptyValue { // it would write back as the empty list
				return reflect.Value{}, fmt.Errorf("item %d is %s; leave empty items out", i+1, emptyValue)
			}
			v, err := parseScalar(item, t.Elem())
			if err != nil {
				return reflect.Value{}, fmt.Errorf("item %d %q: %w", i+1, item, err)
			}
			out = reflect.Append(out, v)
		}
		return out, nil
	case reflect.Map:
		out := reflect.MakeMap(t)
		for i, item := range splitList(s) {
			// A map of secrets (webhook URLs by name) never quotes an item:
			// a URL without its name, or written as the name, is the
			// secret. Nor does any map quote a URL (one in webhook_files'
			// place).
			hide := t.Elem() == secretType || looksLikeURL(item)
			k, val, ok := strings.Cut(item, "=")
			k, val = strings.TrimSpace(k), strings.TrimSpace(val)
			if !ok || k == "" {
				if hide {
					return reflect.Value{}, fmt.Errorf("item %d is not name=value", i+1)
				}
				return reflect.Value{}, fmt.Errorf("%q is not key=value", item)
			}
			if out.MapIndex(reflect.ValueOf(k)).IsValid() {
				if hide {
					return reflect.Value{}, fmt.Errorf("item %d repeats an earlier name", i+1)
				}
				return reflect.Value{}, fmt.Errorf("key %q is given twice", k)
			}
			v, err := parseScalar(val, t.Elem())
			if err != nil {
				return reflect.Value{}, fmt.Errorf("%s: %w", k, err)
			}
			out.SetMapIndex(reflect.ValueOf(k), v)
		}
		return out, nil
	}
	return parseScalar(s, t)
}

func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseScalar parses one value of type t, from the environment or from a
// YAML scalar, so that both report a bad value alike.
func parseScalar(s string, t reflect.Type) (reflect.Value, error) {
	v := reflect.New(t).Elem()
	switch {
	case t == durationType:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return reflect.Value{}, errors.New("not a duration")
		}
		v.SetInt(int64(d))
	case t == timeType:
		if strings.TrimSpace(s) == "" {
			return v, nil
		}
		tm, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
		if err != nil {
			return reflect.Value{}, errors.New("not an RFC 3339 time")
		}
		v.Set(reflect.ValueOf(tm))
	case reflect.PointerTo(t).Implements(unmarshalType):
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return reflect.Value{}, err
		}
	case t.Kind() == reflect.String:
		v.SetString(s)
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return reflect.Value{}, errors.New("not true or false")
		}
		v.SetBool(b)
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			return reflect.Value{}, errors.New("not a whole number")
		}
		v.SetInt(n)
	case t.Kind() == reflect.Float64:
		f, err := parseNumber(s)
		if err != nil {
			return reflect.Value{}, err
		}
		v.SetFloat(f)
	default:
		return reflect.Value{}, fmt.Errorf("no parser for %s", t)
	}
	return v, nil
}

func parseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("not a number")
	}
	return f, nil
}

// parsePair reads the customers=name form of thresholds and count labels.
func parsePair(text []byte, what string) (float64, string, error) {
	n, name, ok := strings.Cut(string(text), "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return 0, "", fmt.Errorf("not customers=%s", what)
	}
	f, err := parseNumber(n)
	if err != nil {
		return 0, "", fmt.Errorf("customers: %w", err)
	}
	return f, name, nil
}

// UnmarshalText reads "10=High", "revenue:100000=High" or
// "10|revenue:100000=High".
func (t *Threshold) UnmarshalText(text []byte) error {
	left, prio, ok := strings.Cut(string(text), "=")
	prio = strings.TrimSpace(prio)
	if !ok || prio == "" {
		return errors.New("not customers=priority or revenue:amount=priority")
	}
	*t = Threshold{Priority: prio}
	for _, term := range strings.Split(left, "|") {
		if amount, ok := strings.CutPrefix(strings.TrimSpace(term), "revenue:"); ok {
			f, err := parseNumber(amount)
			if err != nil {
				return fmt.Errorf("revenue: %w", err)
			}
			t.Revenue = f
			continue
		}
		f, err := parseNumber(term)
		if err != nil {
			return fmt.Errorf("customers: %w", err)
		}
		t.Customers = f
	}
	return nil
}

// MarshalText writes "10=High", "revenue:100000=High" or
// "10|revenue:100000=High".
func (t Threshold) MarshalText() ([]byte, error) {
	var terms []string
	if t.Customers != 0 || t.Revenue == 0 {
		terms = append(terms, formatFloat(t.Customers))
	}
	if t.Revenue != 0 {
		terms = append(terms, "revenue:"+formatFloat(t.Revenue))
	}
	return []byte(strings.Join(terms, "|") + "=" + t.Priority), nil
}

// UnmarshalText reads "10=customers-10plus".
func (l *CountLabel) UnmarshalText(text []byte) error {
	var err error
	l.Customers, l.Label, err = parsePair(text, "label")
	return err
}

// MarshalText writes "10=customers-10plus".
func (l CountLabel) MarshalText() ([]byte, error) {
	return []byte(formatFloat(l.Customers) + "=" + l.Label), nil
}

// nested reports whether t is a map of maps or a list of structs without
// a text form (slack.rules), written in JSON in the environment.
func nested(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Map:
		return t.Elem().Kind() == reflect.Map
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Struct && !reflect.PointerTo(t.Elem()).Implements(unmarshalType)
	}
	return false
}

// formatEnv writes v in its environment form; parseEnv reads it back.
func formatEnv(v reflect.Value) string {
	if nested(v.Type()) {
		if v.Len() == 0 {
			return ""
		}
		b, _ := json.Marshal(v.Interface()) // maps of strings always marshal
		return string(b)
	}
	switch v.Kind() {
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = formatScalar(v.Index(i))
		}
		return strings.Join(items, ",")
	case reflect.Map:
		items := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			items = append(items, k.String()+"="+formatScalar(v.MapIndex(k)))
		}
		slices.Sort(items)
		return strings.Join(items, ",")
	}
	return formatScalar(v)
}

func formatScalar(v reflect.Value) string {
	switch {
	case v.Type() == durationType:
		return formatDuration(time.Duration(v.Int()))
	case v.Type() == timeType:
		if tm := v.Interface().(time.Time); !tm.IsZero() {
			return tm.Format(time.RFC3339)
		}
		return ""
	}
	if m, ok := v.Interface().(encoding.TextMarshaler); ok {
		b, _ := m.MarshalText()
		return string(b)
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		return formatFloat(v.Float())
	}
	return fmt.Sprint(v.Interface())
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// formatDuration writes 72h rather than 72h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

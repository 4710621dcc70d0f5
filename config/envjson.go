package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// parseJSON reads the environment form of a nested type t (slack.rules,
// policy.texts.translations): JSON, strictly. Its errors never quote the
// value, which may hold a webhook URL; they name the offset or the item
// and field instead, in JSON's terms rather than Go's.
func parseJSON(s string, t reflect.Type) (reflect.Value, error) {
	if t.Kind() != reflect.Slice {
		v := reflect.New(t)
		if err := decodeJSON(s, v.Interface()); err != nil {
			return reflect.Value{}, jsonError(err, "an object of objects")
		}
		return v.Elem(), nil
	}
	// The items one at a time, so that an error can say which one.
	var items []json.RawMessage
	if err := decodeJSON(s, &items); err != nil {
		return reflect.Value{}, jsonError(err, "a list")
	}
	out := reflect.MakeSlice(t, 0, len(items))
	for i, item := range items {
		v := reflect.New(t.Elem())
		if err := decodeJSON(string(item), v.Interface()); err != nil {
			return reflect.Value{}, fmt.Errorf("item %d: %w", i+1, itemError(err, t.Elem()))
		}
		out = reflect.Append(out, v.Elem())
	}
	return out, nil
}

// itemError is jsonError for an item of type t, listing t's fields when
// the item has an unknown one.
func itemError(err error, t reflect.Type) error {
	err = jsonError(err, "an object")
	if !strings.HasPrefix(err.Error(), "unknown field") || t.Kind() != reflect.Struct {
		return err
	}
	var names []string
	for i := range t.NumField() {
		if n, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); n != "" && n != "-" {
			names = append(names, n)
		}
	}
	return fmt.Errorf("%w; fields: %s", err, strings.Join(names, ", "))
}

// decodeJSON decodes the one JSON value s into v, refusing unknown fields
// and anything after the value.
func decodeJSON(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errTrailing
	}
	return nil
}

var errTrailing = errors.New("more after the value")

// jsonError says what is wrong with the JSON in terms of the JSON, never
// quoting its content: want is what the whole value should be.
func jsonError(err error, want string) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		// The message names one character at most, never a run of the value.
		return fmt.Errorf("not valid JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return errors.New("not valid JSON: it ends early (a closing ] or } or \" missing?)")
	case errors.Is(err, errTrailing):
		return fmt.Errorf("not valid JSON: more after %s's end", want)
	case errors.As(err, &typ):
		got, _, _ := strings.Cut(typ.Value, " ") // "number 1.5": the kind alone
		if typ.Field == "" {
			return fmt.Errorf("a JSON %s, where %s is wanted", got, want)
		}
		return fmt.Errorf("%s: a JSON %s, where %s is wanted", typ.Field, got, jsonKind(typ.Type))
	}
	// encoding/json reports an unknown field in its text alone.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if strings.Contains(name, ":/") {
			return errors.New("unknown field (a URL as a field name)")
		}
		return fmt.Errorf("unknown field %s", name)
	}
	return errors.New("not valid JSON")
}

// jsonKind names the JSON a Go type is written as.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	}
	return "an object"
}

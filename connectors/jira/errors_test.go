package jira

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func TestErrorClassification(t *testing.T) {
	cases := []struct {
		status int
		want   error
	}{
		{400, engine.ErrPermanent}, {401, engine.ErrPermanent}, {403, engine.ErrPermanent}, {404, engine.ErrNotFound},
		{409, engine.ErrConflict}, {410, engine.ErrPermanent}, {413, engine.ErrPermanent}, {422, engine.ErrPermanent},
		{429, nil}, {500, nil}, {502, nil}, {503, nil},
	}
	for _, c := range cases {
		err := newError("edit issue", "PROJ-1 (10001)", c.status, []byte(`{"errorMessages":["m"],"errors":{"b":"y","a":"x"}}`))
		for _, s := range []error{engine.ErrPermanent, engine.ErrNotFound, engine.ErrConflict} {
			if errors.Is(err, s) != (s == c.want) {
				t.Errorf("HTTP %d: errors.Is(%v) = %v", c.status, s, errors.Is(err, s))
			}
		}
		if want := "jira: edit issue PROJ-1 (10001): HTTP "; !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), ": m: a: x: b: y") {
			t.Errorf("message %q", err)
		}
	}
	if e := newError("op", "", 502, []byte("<html>"+strings.Repeat("x", 500)+"</html>")); len(e.Messages) != 1 || len(e.Messages[0]) > 204 {
		t.Errorf("a proxy page must be cut: %q", e.Messages)
	}
}

func TestAbsentValues(t *testing.T) {
	batch := []string{"PROJ-1", "PROJ-2", "PROJ-3"}
	refusal := func(msgs ...string) error { return &Error{Op: "search", Status: 400, Messages: msgs} }
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"absent keys", refusal("An issue with key 'PROJ-2' does not exist for field 'key'.", "An issue with key 'proj-3' does not exist for field 'key'."), []string{"PROJ-2", "PROJ-3"}},
		{"invalid key", refusal("The issue key 'PROJ-1' for field 'key' is invalid."), []string{"PROJ-1"}},
		{"another problem too", refusal("An issue with key 'PROJ-2' does not exist for field 'key'.", "Field 'x' does not exist"), nil},
		{"a key we did not send", refusal("An issue with key 'OPS-9' does not exist for field 'key'."), nil},
		{"not a 400", &Error{Status: 500, Messages: []string{"An issue with key 'PROJ-2' does not exist for field 'key'."}}, nil},
		{"not an Error", errors.New("An issue with key 'PROJ-2' does not exist for field 'key'."), nil},
	}
	for _, c := range cases {
		if got := absentValues(c.err, batch); strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// FuzzNewError feeds arbitrary error bodies (Jira's, a proxy's, garbage):
// the error must build, stay short, and its absent-key reading must only
// ever name values of the batch.
func FuzzNewError(f *testing.F) {
	for _, seed := range []string{
		`{"errorMessages":["An issue with key 'PROJ-2' does not exist for field 'key'."],"errors":{}}`,
		`{"errorMessages":[],"errors":{"priority":"Specify a valid 'id' or 'name' for Priority"}}`,
		`<html><body>Bad gateway</body></html>`, `{"errorMessages":null}`, ``, `"x"`,
	} {
		f.Add([]byte(seed))
	}
	batch := []string{"PROJ-1", "PROJ-2"}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := newError("search", "", 400, body)
		if e.Unwrap() != engine.ErrPermanent || !strings.Contains(e.Error(), "HTTP 400") {
			t.Fatalf("%v", e)
		}
		if !looksJSON(body) && len(e.Messages) == 1 && utf8.RuneCountInString(e.Messages[0]) > 201 {
			t.Fatalf("non-JSON body kept whole: %d runes", utf8.RuneCountInString(e.Messages[0]))
		}
		for _, v := range absentValues(e, batch) {
			if v != "PROJ-1" && v != "PROJ-2" {
				t.Fatalf("absentValues named %q", v)
			}
		}
	})
}

func looksJSON(b []byte) bool { return len(b) > 0 && (b[0] == '{' || b[0] == '[') }

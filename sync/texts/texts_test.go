package texts

import (
	"errors"
	"strings"
	"testing"
)

func TestRenderPicksTheReadersLanguage(t *testing.T) {
	s, err := New("en", map[string]map[string]string{
		"en":    {Reopened: "Reopened for {{len .Bugs}} bug(s)."},
		"de":    {Reopened: "Wieder geöffnet: {{join .Bugs \", \"}}."},
		"pt-BR": {Reopened: "Reaberto (pt-BR)."},
		"pt":    {Reopened: "Reaberto (pt)."},
	})
	if err != nil {
		t.Fatal(err)
	}
	data := Reopen{Bugs: []string{"PROJ-1", "MOB-3"}}
	for _, tt := range []struct{ locale, want string }{
		{"de", "Wieder geöffnet: PROJ-1, MOB-3."},
		{"de-CH", "Wieder geöffnet: PROJ-1, MOB-3."},
		{"DE_at", "Wieder geöffnet: PROJ-1, MOB-3."},
		{"pt-BR", "Reaberto (pt-BR)."},
		{"pt-PT", "Reaberto (pt)."},
		{"fr", "Reopened for 2 bug(s)."}, // no French: the default language
		{"", "Reopened for 2 bug(s)."},
	} {
		if got := s.Render(tt.locale, Reopened, data); got != tt.want {
			t.Errorf("Render(%q) = %q, want %q", tt.locale, got, tt.want)
		}
	}
	// A text a language does not override falls back to the default
	// language's, then to the built-in one.
	if got, want := s.Render("de", Started, Note{Key: "P-1", Summary: "s", Status: "In Progress"}), "Bug P-1 \"s\" is now in progress"; !strings.HasPrefix(got, want) {
		t.Errorf("de started = %q, want the built-in text", got)
	}
	if got := s.Languages(); len(got) != 3 || got[0] != "de" {
		t.Errorf("Languages() = %v", got)
	}
}

func TestNilSetWritesTheBuiltInTexts(t *testing.T) {
	var s *Set
	got := s.Render("de", Customers, CustomerCount{Count: 3, Tiers: []Tier{{"enterprise", 1}, {"pro", 2}}})
	if want := "3 customers (1 enterprise, 2 pro)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := s.Render("", Customers, CustomerCount{Count: 1}); got != "1 customer" {
		t.Errorf("got %q", got)
	}
}

func TestNewRejectsBadTemplates(t *testing.T) {
	for _, tt := range []struct {
		name, lang, text, want string
	}{
		{Fixed, "en", "{{.NoSuchField}}", "can't evaluate field NoSuchField"},
		// Only the sample with fix versions takes this branch.
		{Fixed, "en", "{{if .FixVersions}}{{.Version}}{{else}}none{{end}}", "can't evaluate field Version"},
		{StaleComment, "de", "{{.Customers", "unclosed action"},
		{PriorityComment, "en", "{{nosuchfunc .To}}", `function "nosuchfunc" not defined`},
		{Started, "en", "{{/* nothing */}}  ", "renders no text"},
		{"closed", "en", "x", "no such text; the texts are customers, fixed,"},
	} {
		_, err := New("en", map[string]map[string]string{tt.lang: {tt.name: tt.text}})
		var te *Error
		if !errors.As(err, &te) || te.Name != tt.name || te.Language != tt.lang || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %q: err %v, want an *Error naming %s (%s) saying %q", tt.name, tt.text, err, tt.name, tt.lang, tt.want)
		}
	}
}

// The released note's fields are its own: a note about a resolved bug has
// no version that was released.
func TestReleasedFields(t *testing.T) {
	if _, err := New("", map[string]map[string]string{"en": {Released: "{{.Key}}: {{.Version}} on {{.ReleaseDate}}"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := New("", map[string]map[string]string{"en": {Fixed: "{{.Version}}"}}); err == nil {
		t.Fatal("fixed accepted .Version")
	}
	var s *Set
	got := s.Render("", Released, Release{Note: Note{Key: "MOB-3", Summary: "Upload crashes"}, Version: "5.0.1", ReleaseDate: "2025-03-14"})
	want := "Bug MOB-3 \"Upload crashes\": 5.0.1 is released (2025-03-14).\nTell the customer: the fix is available in 5.0.1."
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// A template that passed its check but fails on other data (here an index
// out of range on a key no sample has) gives way to the built-in text: a
// note always goes out.
func TestRenderFallsBackWhenATemplateFails(t *testing.T) {
	s, err := New("", map[string]map[string]string{"en": {WontFix: `{{if eq .Key "BOOM-1"}}{{index .FixVersions 5}}{{end}}custom`}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Render("", WontFix, Note{Key: "P-1"}); got != "custom" {
		t.Errorf("got %q", got)
	}
	got := s.Render("", WontFix, Note{Key: "BOOM-1", Summary: "s", Status: "Done", Resolution: "Declined"})
	if want := "Bug BOOM-1 \"s\" was closed as Declined (status: Done).\nTell"; !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want the built-in text", got)
	}
}

func TestEveryTemplateHasSamples(t *testing.T) {
	for _, name := range Names() {
		if len(samples[name]) == 0 {
			t.Errorf("%s has no sample data", name)
		}
	}
}

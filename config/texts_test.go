package config

import (
	"strings"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/sync/texts"
)

// A template that does not parse, or names a field its text does not
// have, is a problem naming its key, in the file or in the environment.
func TestTextProblemsNameTheKey(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		env        map[string]string
		key, msg   string
	}{
		{name: "unknown field", yaml: "policy:\n  texts:\n    fixed: 'Fixed: {{.NoSuchField}}'\n",
			key: "policy.texts.fixed", msg: "can't evaluate field NoSuchField in type texts.Note"},
		{name: "field of another text", yaml: "policy:\n  texts:\n    started: '{{.Version}}'\n",
			key: "policy.texts.started", msg: "can't evaluate field Version"},
		{name: "syntax", yaml: "policy:\n  texts:\n    priority_comment: '{{.To'\n",
			key: "policy.texts.priority_comment", msg: "unclosed action"},
		{name: "translation", yaml: "policy:\n  texts:\n    translations:\n      de:\n        wont_fix: '{{.Nope}}'\n",
			key: "policy.texts.translations.de.wont_fix", msg: "can't evaluate field Nope"},
		{name: "translation of an unknown text", yaml: "policy:\n  texts:\n    translations:\n      de:\n        closed: x\n",
			key: "policy.texts.translations.de.closed", msg: "no such text"},
		{name: "translation into the default language", yaml: "policy:\n  texts:\n    translations:\n      en:\n        fixed: x\n",
			key: "policy.texts.translations.en", msg: "en is policy.texts.language"},
		{name: "not a language", yaml: "policy:\n  texts:\n    language: english please\n",
			key: "policy.texts.language", msg: `"english please" is not a language`},
		{name: "environment", env: map[string]string{"HELPDESK_SYNC_POLICY_TEXTS_STALE_COMMENT": "{{.Customers}} for {{.Weeks}}"},
			key: "policy.texts.stale_comment", msg: "can't evaluate field Weeks"},
		{name: "environment translation", env: map[string]string{"HELPDESK_SYNC_POLICY_TEXTS_TRANSLATIONS": `{"fr": {"customers": "{{.Tier}}"}}`},
			key: "policy.texts.translations.fr.customers", msg: "can't evaluate field Tier"},
		{name: "environment translation not JSON", env: map[string]string{"HELPDESK_SYNC_POLICY_TEXTS_TRANSLATIONS": "de=x"},
			key: "policy.texts.translations", msg: "not valid JSON at byte 1"},
		{name: "deprecated form translated", yaml: "policy:\n  stale:\n    comment_text: '{customers} {nope}'\n", // unknown placeholders stay text
			key: "", msg: ""},
		{name: "both forms", yaml: "policy:\n  stale:\n    comment_text: '{customers}'\n  texts:\n    stale_comment: '{{.Customers}}'\n",
			key: "policy.stale.comment_text", msg: "set together with policy.texts.stale_comment"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, "c.yaml", minimal+tt.yaml), envOf(secretEnv, tt.env))
			got := problemsOf(t, err)
			if tt.key == "" {
				if len(got) > 0 {
					t.Fatalf("problems: %v", err)
				}
				return
			}
			if len(got) != 1 || got[0].Key != tt.key || !strings.Contains(got[0].Msg, tt.msg) {
				t.Fatalf("problems %v, want one for %s saying %q", err, tt.key, tt.msg)
			}
			if !strings.HasPrefix(got[0].String(), tt.key) {
				t.Errorf("the message %q does not start with the key", got[0])
			}
		})
	}
}

// The {placeholder} form of stale.comment_text still works: it becomes the
// template that writes the same words, with a warning showing it.
func TestStaleCommentTextIsTranslated(t *testing.T) {
	c, err := Load(writeFile(t, "c.yaml", minimal+"policy:\n  stale:\n    comment_text: '{customers_wait} for {idle} ({days}) at {priority}, {label}; {customers}. {{x}}'\n"), envOf(secretEnv))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "policy.stale.comment_text is deprecated; write it as policy.texts.stale_comment: ") ||
		!strings.Contains(w[0], `{{.Customers}} {{agree .Count \"waits\" \"wait\"}} for {{.Idle}}`) {
		t.Errorf("warnings %q", w)
	}
	got := c.TextSet().Render("", texts.StaleComment, texts.Stale{Customers: "1 customer", Count: 1, Idle: "2 days", Days: 2, Priority: "High", Label: "stale"})
	if want := "1 customer waits for 2 days (2) at High, stale; 1 customer. {{x}}"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// The texts a configuration sets are the ones the set writes, per language.
func TestTextSet(t *testing.T) {
	c, err := Load(writeFile(t, "c.yaml", minimal+`policy:
  texts:
    language: en-GB
    reopened: 'Reopened: {{join .Bugs ", "}}'
    translations:
      de:
        reopened: 'Wieder geöffnet: {{join .Bugs ", "}}'
`), envOf(secretEnv))
	if err != nil {
		t.Fatal(err)
	}
	s, data := c.TextSet(), texts.Reopen{Bugs: []string{"PROJ-1", "MOB-2"}}
	for locale, want := range map[string]string{"de-AT": "Wieder geöffnet: PROJ-1, MOB-2", "en-US": "Reopened: PROJ-1, MOB-2", "": "Reopened: PROJ-1, MOB-2"} {
		if got := s.Render(locale, texts.Reopened, data); got != want {
			t.Errorf("%q: got %q, want %q", locale, got, want)
		}
	}
	if got := Default().TextSet().Render("de", texts.Reopened, data); got != "helpdesk-sync reopened this ticket because its bug changed." {
		t.Errorf("default: %q", got)
	}
}

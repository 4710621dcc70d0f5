// Package texts holds the words the service writes for people: the notes
// agents read on tickets and the comments engineers read on bugs. Each is a
// text/template with documented fields; a team may replace any of them,
// per language, and the built-in ones are the defaults.
//
// A Set is checked when it is made: every template parses and renders
// against sample data covering its branches, so a field that does not exist
// is a configuration error, never a note that fails to go out.
package texts

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/template"
)

// Names of the templates.
const (
	Started         = "started"          // a bug moved to in progress
	Fixed           = "fixed"            // a bug was resolved as fixed
	WontFix         = "wont_fix"         // a bug was resolved as won't fix
	Released        = "released"         // a fix version of a fixed bug was released
	Reopened        = "reopened"         // first line of a note that reopens a solved ticket
	PriorityComment = "priority_comment" // the comment on a bug whose priority changed
	StaleComment    = "stale_comment"    // the comment on a bug that turned stale
	Customers       = "customers"        // how a customer count reads inside the comments
)

// DefaultLanguage is the language of the built-in texts.
const DefaultLanguage = "en"

// Note is the data of the started, fixed and won't fix notes.
type Note struct {
	Key         string   // PROJ-12
	Summary     string   // the bug's summary, cut to 120 characters
	Status      string   // the status name, e.g. In Progress
	Resolution  string   // e.g. Fixed, Won't Fix; "" while unresolved
	FixVersions []string // the fix version names
	Versions    string   // FixVersions joined by ", "
	// Unreleased is set when the bug has fix versions and none of them is
	// released yet (release tracking tells the agent again when one is).
	Unreleased bool
	URL        string // the bug's browse URL
}

// Release is the data of the released note, sent once per ticket when a
// fix version of its bug is released (release tracking).
type Release struct {
	Note
	Version     string // the released version's name, e.g. 5.0.1
	ReleaseDate string // its release date, 2006-01-02; "" when Jira has none
}

// Reopen is the data of the line that opens a note reopening a ticket.
type Reopen struct {
	Bugs []string // keys of the bugs the note tells about
}

// Priority is the data of the priority comment.
type Priority struct {
	Customers     string // the count as the customers template writes it
	Count         int    // distinct customers
	Weighted      bool   // tiers make the weighted count differ from Count
	WeightedCount string // the weighted count, e.g. 39 or 12.5
	Raised        bool   // false when the priority was lowered
	Verb          string // raised or lowered
	From          string // the previous priority, "" when the bug had none
	To            string // the new priority
	Threshold     string // the threshold reached, "" when none (a lowered bug may reach none)
	// Revenue waiting, where it is counted ("" elsewhere): the amount
	// with its currency, e.g. 120,000 EUR; RevenueThreshold is the revenue
	// threshold reached ("" when none is), and Reason what reached the new
	// priority: customers, revenue, or customers and revenue.
	Revenue          string
	RevenueThreshold string
	Reason           string
}

// Stale is the data of the stale comment.
type Stale struct {
	Key       string // the bug's key
	Customers string // the count as the customers template writes it
	Count     int    // distinct customers
	Idle      string // whole days since a person updated the bug: 1 day, 9 days
	Days      int    // the same number alone
	Priority  string // the bug's priority, "" when it has none
	Label     string // the stale label
}

// CustomerCount is the data of the customers template.
type CustomerCount struct {
	Count int    // distinct customers
	Tiers []Tier // tiers weighing more than the default, heaviest first
}

// Tier is how many of the customers have one tier.
type Tier struct {
	Tier  string
	Count int
}

// Defaults are the built-in templates; a Set falls back to them.
var Defaults = map[string]string{
	Started: `Bug {{.Key}} {{quote .Summary}} is now in progress (status: {{.Status}}).
Tell the customer: engineering is working on a fix; we will let them know when it ships.`,
	Fixed: `Bug {{.Key}} {{quote .Summary}} is fixed (status: {{.Status}}{{with .Resolution}}, resolution: {{.}}{{end}}
{{- if .FixVersions}}, {{agree (len .FixVersions) "fix version" "fix versions"}}: {{.Versions}}).
Tell the customer: {{if .Unreleased}}fixed in {{.Versions}}, not yet released; we will let them know the day it ships{{else}}the fix ships in {{.Versions}}{{end}}.
{{- else}}).
Tell the customer: the fix is done and ships with an upcoming release.
{{- end}}`,
	WontFix: `Bug {{.Key}} {{quote .Summary}} was closed as {{.Resolution}} (status: {{.Status}}).
Tell the customer: engineering will not change this; offer a workaround, or escalate if it blocks them.`,
	Released: `Bug {{.Key}} {{quote .Summary}}: {{.Version}} is released{{with .ReleaseDate}} ({{.}}){{end}}.
Tell the customer: the fix is available in {{.Version}}.`,
	Reopened:        `helpdesk-sync reopened this ticket because its bug changed.`,
	PriorityComment: `{{.Customers}} now {{agree .Count "reports" "report"}} this{{with .Revenue}} ({{.}} waiting){{end}}; {{.Verb}} to {{.To}} by helpdesk-sync{{if or .Threshold .RevenueThreshold}} ({{if .Threshold}}{{if .Weighted}}weighted count {{.WeightedCount}}, {{end}}threshold {{.Threshold}}{{end}}{{if and .Threshold .RevenueThreshold}}; {{end}}{{with .RevenueThreshold}}revenue threshold {{.}}{{end}}){{end}}.`,
	StaleComment:    `{{.Customers}} {{agree .Count "waits" "wait"}} on this bug and nobody has updated it for {{.Idle}}; labelled {{.Label}} by helpdesk-sync. The label goes away with the next update.`,
	Customers:       `{{plural .Count "customer" "customers"}}{{range $i, $t := .Tiers}}{{if $i}}, {{else}} ({{end}}{{$t.Count}} {{$t.Tier}}{{end}}{{if .Tiers}}){{end}}`,
}

// Names lists the template names in a stable order.
func Names() []string { return slices.Sorted(maps.Keys(Defaults)) }

// Funcs are the functions templates may call besides text/template's own.
var Funcs = template.FuncMap{
	// plural 3 "day" "days" is "3 days"; plural 1 "day" "days" is "1 day".
	"plural": func(n int, one, many string) string { return strconv.Itoa(n) + " " + agree(n, one, many) },
	// agree 1 "waits" "wait" is "waits": the form that agrees with n.
	"agree": agree,
	// join .FixVersions ", " is "5.0.1, 5.1".
	"join": func(list []string, sep string) string { return strings.Join(list, sep) },
	// quote .Summary is the text in double quotes, escaped as Go does.
	"quote": strconv.Quote,
}

func agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Error is a template that does not parse or render, by language and name.
type Error struct {
	Language, Name string
	Err            error
}

func (e *Error) Error() string {
	return fmt.Sprintf("text %s (%s): %v", e.Name, e.Language, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Set is the templates in use: the defaults, the overrides in the default
// language over them, and per language the overrides of that language.
// The zero Set and a nil *Set render the built-in texts.
type Set struct {
	language string
	byLang   map[string]map[string]*template.Template // language → name → template
}

// New checks and compiles overrides (language → name → template text)
// over the defaults. language is the one the built-in texts and templates
// of unknown languages fall back to ("" is DefaultLanguage). Every problem
// is returned, joined, each an *Error.
func New(language string, overrides map[string]map[string]string) (*Set, error) {
	language = normalize(language)
	if language == "" {
		language = DefaultLanguage
	}
	s := &Set{language: language, byLang: map[string]map[string]*template.Template{}}
	var errs []error
	for _, lang := range slices.Sorted(maps.Keys(overrides)) {
		for _, name := range slices.Sorted(maps.Keys(overrides[lang])) {
			t, err := compile(name, overrides[lang][name])
			if err != nil {
				errs = append(errs, &Error{Language: lang, Name: name, Err: err})
				continue
			}
			l := normalize(lang)
			if s.byLang[l] == nil {
				s.byLang[l] = map[string]*template.Template{}
			}
			s.byLang[l][name] = t
		}
	}
	return s, errors.Join(errs...)
}

// Language is the language texts fall back to.
func (s *Set) Language() string {
	if s == nil || s.language == "" {
		return DefaultLanguage
	}
	return s.language
}

// Languages are the languages with templates of their own, besides the
// default one.
func (s *Set) Languages() []string {
	if s == nil {
		return nil
	}
	var out []string
	for l := range s.byLang {
		if l != s.language {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

// Render writes template name for a reader of locale (a Zendesk locale such
// as de, pt-BR; "" for none), with data of the type that template takes. It
// picks the locale's template, then its language's (pt for pt-BR), then the
// default language's, then the built-in one; a template that fails on data
// it was not checked against gives way to the built-in one, so a text is
// always written.
func (s *Set) Render(locale, name string, data any) string {
	for _, t := range s.candidates(locale, name) {
		var b bytes.Buffer
		if err := t.Execute(&b, data); err == nil {
			return strings.TrimRight(b.String(), " \t\n")
		}
	}
	var b bytes.Buffer
	if err := builtin[name].Execute(&b, data); err != nil {
		// The built-in templates render every value of their data type.
		panic(fmt.Sprintf("texts: built-in %s with %T: %v", name, data, err))
	}
	return strings.TrimRight(b.String(), " \t\n")
}

func (s *Set) candidates(locale, name string) []*template.Template {
	if s == nil {
		return nil
	}
	var out []*template.Template
	l := normalize(locale)
	base, _, _ := strings.Cut(l, "-")
	for _, lang := range []string{l, base, s.language} {
		if t, ok := s.byLang[lang][name]; ok && lang != "" {
			out = append(out, t)
		}
	}
	return out
}

// normalize writes a locale in one form: lower case, "-" between its parts.
func normalize(locale string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(locale), "_", "-"))
}

var builtin = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for name, text := range Defaults {
		t, err := compile(name, text)
		if err != nil {
			panic(fmt.Sprintf("texts: built-in %s: %v", name, err))
		}
		out[name] = t
	}
	return out
}()

// compile parses text as template name and renders it against every sample
// of the data name takes.
func compile(name, text string) (*template.Template, error) {
	data, ok := samples[name]
	if !ok {
		return nil, fmt.Errorf("no such text; the texts are %s", strings.Join(Names(), ", "))
	}
	t, err := template.New(name).Funcs(Funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "template: "))
	}
	for _, d := range data {
		var b bytes.Buffer
		if err := t.Execute(&b, d); err != nil {
			return nil, errors.New(strings.TrimPrefix(err.Error(), "template: "))
		}
		if strings.TrimSpace(b.String()) == "" {
			return nil, fmt.Errorf("renders no text for %+v", d)
		}
	}
	return t, nil
}

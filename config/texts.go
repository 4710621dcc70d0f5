package config

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/helpdesk-sync/helpdesk-sync/sync/texts"
)

// Texts are the words of the notes and comments the service writes, as
// text/template templates; an empty one is the built-in text. Their fields
// are listed in docs/behaviour.md.
type Texts struct {
	Language        string                       `yaml:"language" doc:"Language of the texts below and of the built-in ones, as Zendesk writes locales (en, de, pt-BR): the language a text falls back to."`
	Started         string                       `yaml:"started" doc:"Note when a bug is in progress. Fields: {{.Key}}, {{.Summary}}, {{.Status}}, {{.Resolution}}, {{.FixVersions}} (a list), {{.Versions}} (joined by \", \"), {{.URL}}. Empty is the built-in text."`
	Fixed           string                       `yaml:"fixed" doc:"Note when a bug is fixed; the fields of started."`
	WontFix         string                       `yaml:"wont_fix" doc:"Note when a bug is closed with a wont_fix_resolutions resolution; the fields of started."`
	Released        string                       `yaml:"released" doc:"Note when a fix version of a fixed bug is released (release tracking); the fields of started, and {{.Version}} and {{.ReleaseDate}} (2006-01-02, empty when Jira has none)."`
	Reopened        string                       `yaml:"reopened" doc:"First line of a note that reopens a solved ticket (with reopen_solved). Fields: {{.Bugs}}, the keys the note is about."`
	PriorityComment string                       `yaml:"priority_comment" doc:"Comment on a bug whose priority the service changed. Fields: {{.Customers}} (the count as the customers text writes it), {{.Count}}, {{.Weighted}} (true when tiers weigh the count), {{.WeightedCount}}, {{.Raised}}, {{.Verb}} (raised or lowered), {{.From}}, {{.To}}, {{.Threshold}} (empty when none is reached); where revenue is counted also {{.Revenue}} (the revenue waiting with its currency), {{.RevenueThreshold}} (empty when none is reached) and {{.Reason}} (customers, revenue, or customers and revenue)."`
	StaleComment    string                       `yaml:"stale_comment" doc:"Comment on a bug that turned stale (with stale.comment). Fields: {{.Key}}, {{.Customers}}, {{.Count}}, {{.Idle}} (1 day, 9 days), {{.Days}}, {{.Priority}}, {{.Label}}."`
	Customers       string                       `yaml:"customers" doc:"How a customer count reads in the comments. Fields: {{.Count}}, {{.Tiers}} (each with .Tier and .Count, heaviest first)."`
	Translations    map[string]map[string]string `yaml:"translations" doc:"Texts by language, then by name (started, fixed, …), e.g. de: {fixed: \"…\"}, for a reader whose locale is de or de-CH; a text a language lacks is the one above. Notes are in the language of the ticket's requester (their Zendesk locale), comments on bugs in language. In the environment, JSON: {\"de\": {\"fixed\": \"…\"}}."`
}

// localePattern is a language as Zendesk writes locales: en, de, pt-BR.
var localePattern = regexp.MustCompile(`^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$`)

// textKey is the key of text name in language lang.
func (c *Config) textKey(lang, name string) string {
	if lang == c.textLanguage() {
		if name == texts.StaleComment && c.Policy.Texts.StaleComment == "" && c.Policy.Stale.CommentText != "" {
			return "policy.stale.comment_text"
		}
		return "policy.texts." + name
	}
	return "policy.texts.translations." + lang + "." + name
}

func (c *Config) textLanguage() string {
	if l := strings.TrimSpace(c.Policy.Texts.Language); l != "" {
		return l
	}
	return texts.DefaultLanguage
}

// textOverrides are the templates by language and name, the deprecated
// stale.comment_text translated.
func (c *Config) textOverrides() map[string]map[string]string {
	t := c.Policy.Texts
	own := map[string]string{
		texts.Started: t.Started, texts.Fixed: t.Fixed, texts.WontFix: t.WontFix, texts.Released: t.Released,
		texts.Reopened: t.Reopened, texts.PriorityComment: t.PriorityComment, texts.StaleComment: t.StaleComment,
		texts.Customers: t.Customers,
	}
	if own[texts.StaleComment] == "" && c.Policy.Stale.CommentText != "" {
		own[texts.StaleComment] = translatePlaceholders(c.Policy.Stale.CommentText)
	}
	maps.DeleteFunc(own, func(_, text string) bool { return text == "" })
	out := map[string]map[string]string{c.textLanguage(): own}
	for lang, set := range t.Translations {
		if lang != c.textLanguage() {
			out[lang] = set
		}
	}
	return out
}

// TextSet is the texts the engine writes. Templates Load or Validate
// reported are left out, so their built-in text stands in.
func (c *Config) TextSet() *texts.Set {
	s, _ := texts.New(c.textLanguage(), c.textOverrides())
	return s
}

// checkTexts parses every template and renders it against sample data,
// so a misspelt field is reported at load, naming its key.
func (c *Config) checkTexts(p *problems) {
	t := c.Policy.Texts
	if t.StaleComment != "" && c.Policy.Stale.CommentText != "" {
		p.add("policy.stale.comment_text", "set together with policy.texts.stale_comment", "remove comment_text; policy.texts.stale_comment replaces it", "")
	}
	lang := c.textLanguage()
	if !localePattern.MatchString(lang) {
		p.add("policy.texts.language", fmt.Sprintf("%q is not a language", lang), "write a language code as Zendesk writes locales, e.g. en, de or pt-BR", "en")
	}
	for _, l := range slices.Sorted(maps.Keys(t.Translations)) {
		key := "policy.texts.translations." + l
		switch {
		case strings.EqualFold(l, lang):
			p.add(key, fmt.Sprintf("%s is policy.texts.language", l), "write these texts directly under policy.texts", "")
		case !localePattern.MatchString(l):
			p.add(key, fmt.Sprintf("%q is not a language", l), "write a language code as Zendesk writes locales, e.g. de or pt-BR", "")
		}
	}
	_, err := texts.New(lang, c.textOverrides())
	var each interface{ Unwrap() []error }
	if errors.As(err, &each) {
		for _, e := range each.Unwrap() {
			var te *texts.Error
			if errors.As(e, &te) {
				p.add(c.textKey(te.Language, te.Name), te.Err.Error(), textFix(te), "")
			}
		}
	}
}

func textFix(e *texts.Error) string {
	if _, ok := texts.Defaults[e.Name]; !ok {
		return "use one of the names " + strings.Join(texts.Names(), ", ")
	}
	return "use the fields listed for policy.texts." + e.Name + " in the configuration reference"
}

// translatePlaceholders writes a stale.comment_text of the {placeholder}
// form as a template.
func translatePlaceholders(s string) string {
	return strings.NewReplacer(
		"{{", `{{"{{"}}`,
		"{customers_wait}", `{{.Customers}} {{agree .Count "waits" "wait"}}`,
		"{customers}", "{{.Customers}}",
		"{idle}", "{{.Idle}}",
		"{days}", "{{.Days}}",
		"{priority}", "{{.Priority}}",
		"{label}", "{{.Label}}",
	).Replace(s)
}

// deprecations warns of keys that still work but have a new form.
func (c *Config) deprecations() {
	if s := c.Policy.Stale.CommentText; s != "" && c.Policy.Texts.StaleComment == "" {
		c.warnings = append(c.warnings, fmt.Sprintf("policy.stale.comment_text is deprecated; write it as policy.texts.stale_comment: %q", translatePlaceholders(s)))
	}
}

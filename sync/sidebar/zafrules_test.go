package sidebar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// validateZAF applies to an app package the rules Zendesk applies when a
// package is uploaded. Zendesk's CLI cannot check a package offline:
// `zcli apps:validate` zips the app and POSTs it to the account's
// /api/v2/apps/validate (@zendesk/zcli-apps 1.0.1,
// dist/lib/package.js validatePkg), so it needs an account. The rules are
// those of the validator behind that endpoint, the zendesk_apps_support
// gem (github.com/zendesk/zendesk_apps_support):
//
//   - lib/zendesk_apps_support/validations/manifest.rb: manifest.json at the
//     root; required author and defaultLocale; boolean and string types;
//     author URL http(s); defaultLocale well formed with its translation
//     file; locations present, known hosts and names, URLs absolute https
//     (or localhost) or an existing assets/ file; flexible boolean;
//     frameworkVersion present and served; v2 apps use URL locations only.
//   - lib/zendesk_apps_support/manifest.rb: JSON keys (RUBY_TO_JSON), no
//     duplicate keys (NoOverrideHash), "private" defaults to true.
//   - lib/zendesk_apps_support/app_version.rb: versions served 0.5, 1.0,
//     2.0; new apps 2.0.
//   - lib/zendesk_apps_support/location.rb: support locations.
//   - lib/zendesk_apps_support/validations/translations.rb: locale pattern,
//     JSON objects, en.json "app" keys (name for private apps; name,
//     short_description, installation_instructions, long_description for
//     public ones).
//   - lib/zendesk_apps_support/validations/source.rb: an iframe-only app
//     carries no app.js, lib/*.js or templates.
//   - lib/zendesk_apps_support/validations/marketplace.rb: no experiments
//     but hashParams and newCssCompiler.
//
// It returns every error found, as the gem does.
func validateZAF(files map[string][]byte) []string {
	var errs []string
	add := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }

	raw, ok := files["manifest.json"]
	if !ok {
		for name := range files {
			if strings.HasSuffix(name, "/manifest.json") && strings.Count(name, "/") == 1 {
				return []string{"nested_manifest: " + name}
			}
		}
		return []string{"missing_manifest"}
	}
	if err := noDuplicateKeys(raw); err != nil {
		return []string{"manifest: " + err.Error()}
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return []string{"manifest_not_json: " + err.Error()}
	}

	// Required keys.
	for _, k := range []string{"author", "defaultLocale"} {
		if m[k] == nil {
			add("manifest_keys.missing: %s", k)
		}
	}
	// Booleans: absent is false (private: true), present must be a bool.
	for _, k := range []string{"requirementsOnly", "marketingOnly", "singleInstall", "signedUrls", "private"} {
		if v, present := m[k]; present {
			if _, isBool := v.(bool); !isBool {
				add("unacceptable_boolean: %s", k)
			}
		}
	}
	for _, k := range []string{"defaultLocale", "version", "frameworkVersion", "remoteInstallationURL", "termsConditionsURL", "gaID"} {
		if v, present := m[k]; present && v != nil {
			if _, isStr := v.(string); !isStr {
				add("unacceptable_string: %s", k)
			}
		}
	}
	if exp, present := m["experiments"]; present {
		obj, isObj := exp.(map[string]any)
		if !isObj {
			add("unacceptable_hash: experiments")
		}
		for name, on := range obj {
			if on == true && name != "hashParams" && name != "newCssCompiler" {
				add("invalid_experiment: %s", name)
			}
		}
	}
	if a, present := m["author"]; present && a != nil {
		author, isObj := a.(map[string]any)
		if !isObj {
			add("unacceptable_hash: author")
		}
		for _, k := range []string{"name", "email", "url"} {
			if v, present := author[k]; present && v != nil {
				if _, isStr := v.(string); !isStr {
					add("unacceptable_string: author %s", k)
				}
			}
		}
		if u, isStr := author["url"].(string); isStr && !regexp.MustCompile(`^https?://`).MatchString(u) {
			add("invalid_url: author url")
		}
	}
	// Default locale and its translation file.
	validLocale := regexp.MustCompile(`^[a-z]{2}(-\w{2,3})?$`)
	if loc, isStr := m["defaultLocale"].(string); isStr {
		switch {
		case !validLocale.MatchString(loc):
			add("invalid_default_locale: %s", loc)
		case files["translations/"+loc+".json"] == nil:
			add("missing_translation_file: %s", loc)
		}
	}

	requirementsOnly, _ := m["requirementsOnly"].(bool)
	marketingOnly, _ := m["marketingOnly"].(bool)
	fw, _ := m["frameworkVersion"].(string)
	if requirementsOnly || marketingOnly {
		add("this package has locations: requirementsOnly/marketingOnly must be false")
	} else {
		errs = append(errs, validateLocations(m["location"], files)...)
		switch {
		case m["frameworkVersion"] == nil:
			add("manifest_keys.missing: frameworkVersion")
		case !slices.Contains([]string{"0.5", "1.0", "2.0"}, fw):
			add("invalid_version: %v", m["frameworkVersion"])
		case fw != "2.0":
			add("new apps must target frameworkVersion 2.0 (VALID_FOR_CREATE)")
		}
	}
	if nt, present := m["noTemplate"]; present && nt != false {
		add("no_template_deprecated_in_v2")
	}

	// Source: an iframe-only (v2) app carries no code of its own.
	for name := range files {
		if name == "app.js" || (strings.HasPrefix(name, "lib/") && strings.HasSuffix(name, ".js")) ||
			(strings.HasPrefix(name, "templates/") && strings.HasSuffix(name, ".hdbs")) || name == "app.css" {
			add("no_code_for_ifo_notemplate: %s", name)
		}
	}

	// Translations.
	private := true
	if p, isBool := m["private"].(bool); isBool {
		private = p
	}
	errs = append(errs, validateTranslations(files, private)...)
	sort.Strings(errs)
	return errs
}

var supportLocations = []string{"top_bar", "nav_bar", "ticket_sidebar", "new_ticket_sidebar", "user_sidebar",
	"organization_sidebar", "background", "modal", "ticket_editor", "system_top_bar", "ticket_module"}

func validateLocations(loc any, files map[string][]byte) []string {
	var errs []string
	hosts, isObj := loc.(map[string]any)
	if !isObj || len(hosts) == 0 {
		return []string{"manifest_keys.missing: location (a v2 app names its locations by product)"}
	}
	n := 0
	for host, locs := range hosts {
		known := map[string][]string{"support": supportLocations, "zendesk": supportLocations,
			"chat": {"chat_sidebar", "background"}, "zopim": {"chat_sidebar", "background"}}[host]
		if known == nil {
			errs = append(errs, "invalid_host: "+host)
			continue
		}
		byName, isObj := locs.(map[string]any)
		if !isObj {
			errs = append(errs, "locations_must_be_urls: "+host)
			continue
		}
		for name, opts := range byName {
			n++
			if !slices.Contains(known, name) {
				errs = append(errs, "invalid_location: "+host+"."+name)
			}
			var u string
			switch o := opts.(type) {
			case string:
				u = o
			case map[string]any:
				u, _ = o["url"].(string)
				if f, present := o["flexible"]; present && f != nil {
					if _, isBool := f.(bool); !isBool {
						errs = append(errs, "invalid_location_flexible_type: "+name)
					}
				}
			default:
				errs = append(errs, "locations_must_be_urls: "+name)
				continue
			}
			switch {
			case u == "" || u == "_legacy":
				errs = append(errs, "locations_must_be_urls: "+name)
			case !validLocationURL(u, files):
				errs = append(errs, "invalid_location_uri: "+u)
			}
		}
	}
	if n == 0 {
		errs = append(errs, "manifest_keys.missing: location")
	}
	return errs
}

// validLocationURL: absolute https (or host localhost), or a relative path
// to a file of the package under assets/.
func validLocationURL(raw string, files map[string][]byte) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if u.IsAbs() {
		return u.Scheme == "https" || u.Hostname() == "localhost"
	}
	return strings.HasPrefix(u.Path, "assets/") && files[u.Path] != nil
}

func validateTranslations(files map[string][]byte, private bool) []string {
	var errs []string
	locale := regexp.MustCompile(`^translations/(.*)\.json$`)
	validLocale := regexp.MustCompile(`^[a-z]{2}(-\w{2,3})?$`)
	for name, b := range files {
		mt := locale.FindStringSubmatch(name)
		if mt == nil {
			continue
		}
		if !validLocale.MatchString(mt[1]) {
			errs = append(errs, "translation.invalid_locale: "+name)
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			errs = append(errs, "translation.not_json: "+name)
			continue
		}
		obj, isObj := doc.(map[string]any)
		if !isObj {
			errs = append(errs, "translation.not_json_object: "+name)
			continue
		}
		if name != "translations/en.json" {
			continue
		}
		app, _ := obj["app"].(map[string]any)
		required := []string{"name", "short_description", "installation_instructions", "long_description"}
		if private {
			required = []string{"name"}
		}
		for _, k := range required {
			if _, present := app[k]; !present && !(k == "short_description" && app["description"] != nil) {
				errs = append(errs, "translation.missing_required_key: "+k)
			}
		}
	}
	return errs
}

// noDuplicateKeys refuses JSON objects that repeat a key, as the gem's
// NoOverrideHash does (Go's decoder would keep the last silently).
func noDuplicateKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key := k.(string)
				if seen[key] {
					return fmt.Errorf("duplicate_manifest_keys: %s", strconv.Quote(key))
				}
				seen[key] = true
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	if err := walk(); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the manifest")
	}
	return nil
}

package sidebar

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"slices"
	"strings"
	"testing"
)

var testPackage = PackageOptions{PublicURL: "https://sync.example.com", AuthorName: "Helpdesk Sync",
	AuthorEmail: "ops@example.com", AuthorURL: "https://example.com"}

// readZip returns the files of a zip package.
func readZip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		if !f.Mode().IsRegular() {
			t.Fatalf("%s is not a regular file (Zendesk refuses symlinks)", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func TestWritePackageIsValidForZendesk(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePackage(&buf, testPackage); err != nil {
		t.Fatal(err)
	}
	files := readZip(t, buf.Bytes())
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"assets/logo-small.png", "assets/logo.png", "manifest.json", "translations/en.json"}; !slices.Equal(names, want) {
		t.Fatalf("package files %v, want %v", names, want)
	}
	if errs := validateZAF(files); len(errs) != 0 {
		t.Fatalf("Zendesk's rules refuse the package:\n%s", strings.Join(errs, "\n"))
	}

	var m map[string]any
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	loc := m["location"].(map[string]any)["support"].(map[string]any)["ticket_sidebar"].(map[string]any)
	if loc["url"] != "https://sync.example.com/zendesk/app/sidebar" || loc["flexible"] != true {
		t.Errorf("ticket_sidebar = %v", loc)
	}
	for k, want := range map[string]any{"signedUrls": true, "private": true, "frameworkVersion": "2.0", "defaultLocale": "en", "version": "1.0.0", "name": "Helpdesk Sync"} {
		if m[k] != want {
			t.Errorf("manifest %s = %v, want %v", k, m[k], want)
		}
	}

	for name, size := range map[string]int{"assets/logo.png": 320, "assets/logo-small.png": 128} {
		img, err := png.Decode(bytes.NewReader(files[name]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("%s is %dx%d, want %dx%d", name, b.Dx(), b.Dy(), size, size)
		}
		if len(files[name]) > 500<<10 {
			t.Errorf("%s is %d bytes", name, len(files[name]))
		}
	}
	// The large logo is full bleed (no corners of its own); the small one
	// has transparency.
	logo, _ := png.Decode(bytes.NewReader(files["assets/logo.png"]))
	if _, _, _, a := logo.At(0, 0).RGBA(); a != 0xffff {
		t.Error("logo.png has a transparent corner; Zendesk rounds corners itself")
	}
	small, _ := png.Decode(bytes.NewReader(files["assets/logo-small.png"]))
	if _, _, _, a := small.At(0, 0).RGBA(); a != 0 {
		t.Error("logo-small.png has no transparency")
	}

	// The same options give the same bytes: the package can be diffed.
	var again bytes.Buffer
	if err := WritePackage(&again, testPackage); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two packages of the same options differ")
	}
}

// TestValidateZAFRefuses shows the rules reproduced from zendesk_apps_support
// catch what Zendesk would refuse, so that the test above can fail.
func TestValidateZAFRefuses(t *testing.T) {
	good, err := Files(testPackage)
	if err != nil {
		t.Fatal(err)
	}
	editManifest := func(edit func(m map[string]any)) func(map[string][]byte) {
		return func(files map[string][]byte) {
			var m map[string]any
			if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
				t.Fatal(err)
			}
			edit(m)
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			files["manifest.json"] = b
		}
	}
	sidebar := func(m map[string]any) map[string]any {
		return m["location"].(map[string]any)["support"].(map[string]any)["ticket_sidebar"].(map[string]any)
	}
	tests := []struct {
		name string
		edit func(map[string][]byte)
		want string
	}{
		{"no manifest", func(f map[string][]byte) { delete(f, "manifest.json") }, "missing_manifest"},
		{"nested manifest", func(f map[string][]byte) { f["app/manifest.json"] = f["manifest.json"]; delete(f, "manifest.json") }, "nested_manifest"},
		{"not JSON", func(f map[string][]byte) { f["manifest.json"] = []byte("{") }, "manifest"},
		{"duplicate key", func(f map[string][]byte) { f["manifest.json"] = []byte(`{"name":"a","name":"b"}`) }, "duplicate_manifest_keys"},
		{"no author", editManifest(func(m map[string]any) { delete(m, "author") }), "manifest_keys.missing: author"},
		{"no default locale", editManifest(func(m map[string]any) { delete(m, "defaultLocale") }), "manifest_keys.missing: defaultLocale"},
		{"signedUrls as string", editManifest(func(m map[string]any) { m["signedUrls"] = "true" }), "unacceptable_boolean: signedUrls"},
		{"version as number", editManifest(func(m map[string]any) { m["version"] = 1 }), "unacceptable_string: version"},
		{"author url not http", editManifest(func(m map[string]any) { m["author"].(map[string]any)["url"] = "example.com" }), "invalid_url"},
		{"bad default locale", editManifest(func(m map[string]any) { m["defaultLocale"] = "english" }), "invalid_default_locale"},
		{"default locale without file", editManifest(func(m map[string]any) { m["defaultLocale"] = "fr" }), "missing_translation_file"},
		{"no location", editManifest(func(m map[string]any) { delete(m, "location") }), "location"},
		{"unknown location", editManifest(func(m map[string]any) {
			m["location"].(map[string]any)["support"].(map[string]any)["ticket_panel"] = map[string]any{"url": "https://x.example"}
		}), "invalid_location: support.ticket_panel"},
		{"unknown host", editManifest(func(m map[string]any) { m["location"].(map[string]any)["sell"] = map[string]any{} }), "invalid_host"},
		{"http location", editManifest(func(m map[string]any) { sidebar(m)["url"] = "http://sync.example.com/zendesk/app/sidebar" }), "invalid_location_uri"},
		{"legacy location", editManifest(func(m map[string]any) { sidebar(m)["url"] = "_legacy" }), "locations_must_be_urls"},
		{"relative location without file", editManifest(func(m map[string]any) { sidebar(m)["url"] = "assets/iframe.html" }), "invalid_location_uri"},
		{"flexible as string", editManifest(func(m map[string]any) { sidebar(m)["flexible"] = "yes" }), "invalid_location_flexible_type"},
		{"no framework version", editManifest(func(m map[string]any) { delete(m, "frameworkVersion") }), "manifest_keys.missing: frameworkVersion"},
		{"unknown framework version", editManifest(func(m map[string]any) { m["frameworkVersion"] = "3.0" }), "invalid_version"},
		{"v1 app", editManifest(func(m map[string]any) { m["frameworkVersion"] = "1.0" }), "2.0"},
		{"noTemplate", editManifest(func(m map[string]any) { m["noTemplate"] = true }), "no_template_deprecated_in_v2"},
		{"experiment", editManifest(func(m map[string]any) { m["experiments"] = map[string]any{"beta": true} }), "invalid_experiment"},
		{"app.js in a v2 app", func(f map[string][]byte) { f["app.js"] = []byte("x") }, "no_code_for_ifo_notemplate"},
		{"translation without name", func(f map[string][]byte) { f["translations/en.json"] = []byte(`{"app":{}}`) }, "translation.missing_required_key: name"},
		{"public app needs descriptions", func(f map[string][]byte) {
			editManifest(func(m map[string]any) { m["private"] = false })(f)
			f["translations/en.json"] = []byte(`{"app":{"name":"x"}}`)
		}, "translation.missing_required_key: short_description"},
		{"translation not an object", func(f map[string][]byte) { f["translations/de.json"] = []byte(`[]`) }, "translation.not_json_object"},
		{"bad translation locale", func(f map[string][]byte) { f["translations/xx_YY.json"] = []byte(`{}`) }, "translation.invalid_locale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string][]byte{}
			for k, v := range good {
				files[k] = slices.Clone(v)
			}
			tt.edit(files)
			errs := validateZAF(files)
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tt.want) }) {
				t.Fatalf("errors %q, want one containing %q", errs, tt.want)
			}
		})
	}
}

func TestPackageOptions(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*PackageOptions)
		page    string // sidebar URL when accepted
		wantErr string
	}{
		{"https", func(*PackageOptions) {}, "https://sync.example.com/zendesk/app/sidebar", ""},
		{"trailing slash", func(o *PackageOptions) { o.PublicURL = "https://sync.example.com/" }, "https://sync.example.com/zendesk/app/sidebar", ""},
		{"path prefix kept", func(o *PackageOptions) { o.PublicURL = "https://example.com/helpdesk-sync" }, "https://example.com/helpdesk-sync/zendesk/app/sidebar", ""},
		{"http on localhost", func(o *PackageOptions) { o.PublicURL = "http://localhost:8080" }, "http://localhost:8080/zendesk/app/sidebar", ""},
		{"http elsewhere", func(o *PackageOptions) { o.PublicURL = "http://sync.example.com" }, "", "https only"},
		{"relative", func(o *PackageOptions) { o.PublicURL = "sync.example.com" }, "", "absolute URL"},
		{"empty", func(o *PackageOptions) { o.PublicURL = "" }, "", "absolute URL"},
		{"credentials", func(o *PackageOptions) { o.PublicURL = "https://u:p@sync.example.com" }, "", "credentials"},
		{"query", func(o *PackageOptions) { o.PublicURL = "https://sync.example.com/?a=1" }, "", "no query"},
		{"no author", func(o *PackageOptions) { o.AuthorName = " " }, "", "author name"},
		{"bad email", func(o *PackageOptions) { o.AuthorEmail = "ops" }, "", "author email"},
		{"bad author url", func(o *PackageOptions) { o.AuthorURL = "example.com" }, "", "author URL"},
		{"bad version", func(o *PackageOptions) { o.Version = "v1" }, "", "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testPackage
			tt.edit(&o)
			files, err := Files(o)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one saying %q", err, tt.wantErr)
				}
				if err := WritePackage(io.Discard, o); err == nil {
					t.Fatal("WritePackage accepted what Files refused")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var m manifest
			if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
				t.Fatal(err)
			}
			if got := m.Location["support"]["ticket_sidebar"].URL; got != tt.page {
				t.Fatalf("sidebar URL %q, want %q", got, tt.page)
			}
			if errs := validateZAF(files); len(errs) != 0 {
				t.Fatalf("Zendesk's rules refuse it: %q", errs)
			}
		})
	}
}

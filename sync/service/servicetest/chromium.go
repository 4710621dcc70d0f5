package servicetest

import (
	"os"
	"os/exec"
	"testing"
)

// Chromium finds the browser for a browser test, skipping the test without
// one, except in CI (CI=true), where a missing browser is a failure.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true requires the browser tests: apt-get install -y chromium")
	}
	t.Skip("chromium is not installed: skipping the browser test (apt-get install -y chromium to run it)")
	return ""
}

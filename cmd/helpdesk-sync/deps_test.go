package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The production binary carries what an operator runs and nothing else:
// no simulator, test server, embedded Redis or browser driver. Those build
// into helpdesk-sync-sim, -bench and -demo.
func TestProductionBinaryCarriesNoSimulators(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/simulation", "zendesktest", "jiratest", "net/http/httptest",
			"miniredis", "gopher-lua", "chromedp", "kin-openapi", "/redistest"} {
			if strings.Contains(dep, banned) {
				t.Errorf("cmd/helpdesk-sync depends on %s", dep)
			}
		}
	}
}

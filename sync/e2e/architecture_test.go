package e2e_test

import (
	"flag"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

var updateGraph = flag.Bool("update-graph", false, "rewrite the package graph in docs/architecture.md")

const module = "github.com/helpdesk-sync/helpdesk-sync/"

// TestArchitectureGraph keeps docs/architecture.md's package graph true:
// it is the module's own imports, as `go list` reports them, in the
// section's format. -update-graph rewrites it.
func TestArchitectureGraph(t *testing.T) {
	const doc = "../../docs/architecture.md"
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{len .GoFiles}}", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	want := packageGraph(string(out))

	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "```\ncmd/helpdesk-sync ")
	if start < 0 {
		t.Fatalf("%s has no package graph (a code block starting with cmd/helpdesk-sync)", doc)
	}
	start += len("```\n")
	end := start + strings.Index(text[start:], "```")
	if text[start:end] == want {
		return
	}
	if *updateGraph {
		if err := os.WriteFile(doc, []byte(text[:start]+want+text[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the package graph in %s is out of date; regenerate it with\n\tgo test ./sync/e2e -run TestArchitectureGraph -update-graph\nwant:\n%s", doc, want)
}

// packageGraph formats go list's "path|imports|files" lines: one package
// a line, its module imports after an arrow, wrapped to 110 columns under
// the first.
func packageGraph(list string) string {
	type row struct{ pkg, deps string }
	var rows []row
	width := 0
	for line := range strings.Lines(strings.TrimSpace(list)) {
		f := strings.Split(strings.TrimSpace(line), "|")
		var deps []string
		for imp := range strings.FieldsSeq(f[1]) {
			if d, ok := strings.CutPrefix(imp, module); ok {
				deps = append(deps, d)
			}
		}
		slices.Sort(deps)
		r := row{pkg: strings.TrimPrefix(f[0], module), deps: strings.Join(deps, " ")}
		switch {
		case f[2] == "0":
			r.deps = "(tests only)"
		case len(deps) == 0:
			r.deps = "(none)"
		}
		rows = append(rows, r)
		width = max(width, len(r.pkg))
	}
	var b strings.Builder
	indent := strings.Repeat(" ", width+3)
	for _, r := range rows {
		b.WriteString(r.pkg + strings.Repeat(" ", width-len(r.pkg)) + " →")
		n := 0
		for _, d := range strings.Fields(r.deps) {
			if n > 0 && n+1+len(d) > 110-width-3 {
				b.WriteString("\n" + indent[:len(indent)-1])
				n = 0
			}
			b.WriteString(" " + d)
			n += len(d) + 1
		}
		b.WriteString("\n")
	}
	return b.String()
}

package config

import (
	"fmt"
	"strings"
)

// Reference is the Markdown table of every key: its environment variable,
// default and meaning, generated from the doc tags so that
// docs/configuration.md cannot drift from the code.
func Reference() string {
	var b strings.Builder
	b.WriteString("| Key | Environment variable | Default | Meaning |\n|---|---|---|---|\n")
	for _, l := range Default().leaves() {
		def := formatEnv(l.v)
		if def != "" {
			def = "`" + def + "`"
		}
		doc, env := l.doc, "`"+l.env()+"`"
		if l.v.Type() == secretType {
			doc += " Secret: set it by its variable or through " + leafName(l.key) + "_file, not in the file."
		}
		if r := boundText(l); r != "" {
			doc += " Range: " + r + "."
		}
		if m, ok := secretMins[l.key]; ok {
			doc += fmt.Sprintf(" At least %d characters.", m.n)
		}
		if l.key == "redis.url" {
			env += ", `REDIS_URL`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", l.key, env, def, markdown(doc))
	}
	return b.String()
}

// markdown keeps table cells intact and placeholders such as <project>
// visible.
func markdown(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

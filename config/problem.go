package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with the configuration.
type Problem struct {
	// Key is the YAML path of the value: "jira.projects",
	// "policy.thresholds[1].priority"; "" for the file as a whole.
	Key string
	// Env is the environment variable that sets the key.
	Env string
	// Origin is where the offending value came from ("config.yaml:12",
	// "env HELPDESK_SYNC_JIRA_URL"); "" for a default.
	Origin string
	// Msg says what is wrong, quoting the value unless it is a secret.
	Msg string
	// Fix says what to do, e.g. "set at least one project key, e.g.
	// projects: [PROJ]".
	Fix string
	// EnvExample is the value shown after Env in the fix ("PROJ"), if any.
	EnvExample string
}

// String is the problem on one line:
//
//	jira.projects: empty; set at least one project key, e.g. projects: [PROJ] (env HELPDESK_SYNC_JIRA_PROJECTS=PROJ)
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Key)
	if p.Key == "" {
		b.WriteString("config")
	}
	if p.Origin != "" {
		fmt.Fprintf(&b, " (%s)", p.Origin)
	}
	b.WriteString(": " + p.Msg)
	if p.Fix != "" {
		b.WriteString("; " + p.Fix)
	}
	// The variable is named once: a value that came from it says so already.
	if p.Env != "" && (p.Origin != "env "+p.Env || p.EnvExample != "") {
		b.WriteString(" (env " + p.Env)
		if p.EnvExample != "" {
			b.WriteString("=" + p.EnvExample)
		}
		b.WriteString(")")
	}
	return b.String()
}

// Error is every problem Load or Validate found, one per line.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems, filling in each one's variable and origin.
type problems struct {
	list    []Problem
	leaves  []leaf
	origins map[string]string
}

func newProblems(c *Config) *problems {
	return &problems{leaves: c.leaves(), origins: c.origins}
}

// add records a problem with key. The fix is appended after "; ", and
// envExample after the variable's name.
func (p *problems) add(key, msg, fix, envExample string) {
	pr := Problem{Key: key, Msg: msg, Fix: fix, EnvExample: envExample}
	if l, ok := leafOf(p.leaves, key); ok {
		pr.Env = l.env()
		pr.Origin = p.origins[key]
		if pr.Origin == "" {
			pr.Origin = p.origins[l.key]
		}
	}
	p.list = append(p.list, pr)
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &Error{Problems: p.list}
}

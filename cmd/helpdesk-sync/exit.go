package main

import (
	"fmt"
	"strings"
)

// Exit codes scripts can rely on; README "Commands" lists them too.
const (
	exitOK      = 0 // success
	exitFailure = 1 // runtime failure
	exitUsage   = 2 // bad command line
	exitConfig  = 3 // invalid configuration
	exitOnline  = 4 // an online check against Zendesk, Jira or Redis failed
	exitHeld    = 5 // writes held by the blast-radius guard
)

// exitCodes documents the codes, in help text and in the README.
func exitCodes() []struct {
	code    int
	meaning string
} {
	return []struct {
		code    int
		meaning string
	}{
		{exitOK, "success"},
		{exitFailure, "runtime failure (a vendor or Redis error the command could not get past)"},
		{exitUsage, "usage error: unknown command or flag, missing or extra argument"},
		{exitConfig, "invalid configuration: every problem is listed on stderr"},
		{exitOnline, "an online check of the configuration failed (credentials, fields, projects)"},
		{exitHeld, "writes held by the blast-radius guard: more changes than policy.max_* allow"},
	}
}

func exitCodeHelp() string {
	var b strings.Builder
	b.WriteString("EXIT CODES\n")
	for _, c := range exitCodes() {
		fmt.Fprintf(&b, "  %d  %s\n", c.code, c.meaning)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// exitError ends a command with a code. Its message, if any, is printed
// on stderr; a nil err means the command has already said why.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func exitWith(code int, err error) error { return &exitError{code: code, err: err} }

// usageErrorf is a bad command line.
func usageErrorf(format string, args ...any) error {
	return exitWith(exitUsage, fmt.Errorf(format, args...))
}

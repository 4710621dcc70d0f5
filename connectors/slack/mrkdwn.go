package slack

import (
	"strings"
	"unicode/utf8"
)

// Slack's documented limits, in characters. Lengths here are counted in
// runes of the text as sent (after escaping).
const (
	MaxBlocks       = 50   // blocks per message
	MaxHeaderText   = 150  // a header block's plain_text
	MaxSectionText  = 3000 // a section block's text
	MaxFieldText    = 2000 // each of a section's fields
	MaxFields       = 10   // fields per section
	MaxContextItems = 10   // elements per context block
	// MaxFallbackText bounds the top-level text: Slack accepts far more
	// (it truncates past 40,000), but the fallback is a notification line.
	MaxFallbackText = 3000
)

const ellipsis = "…"

// escapePiece is the mrkdwn form of one rune: Slack's formatting reference
// requires &, < and > as HTML entities, and nothing else.
func escapePiece(r rune) string {
	switch r {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	}
	return string(r)
}

// Escape returns s as mrkdwn text that Slack shows literally: &, < and >
// become entities, so user text cannot form links or mentions.
func Escape(s string) string {
	return clipEscaped(s, -1)
}

// clipEscaped escapes s and cuts it to at most max runes (no limit when
// max < 0), ending with an ellipsis when cut. It cuts between escaped
// runes, so it never leaves half an entity.
func clipEscaped(s string, max int) string {
	var b strings.Builder
	b.Grow(len(s))
	if max < 0 || escapedLen(s) <= max {
		for _, r := range s {
			b.WriteString(escapePiece(r))
		}
		return b.String()
	}
	if max == 0 {
		return ""
	}
	used := 0
	for _, r := range s {
		p := escapePiece(r)
		n := utf8.RuneCountInString(p)
		if used+n > max-1 {
			break
		}
		b.WriteString(p)
		used += n
	}
	b.WriteString(ellipsis)
	return b.String()
}

func escapedLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf8.RuneCountInString(escapePiece(r))
	}
	return n
}

// clipPlain cuts plain text (no escaping: plain_text objects are shown as
// they are) to at most max runes, ending with an ellipsis when cut.
func clipPlain(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	var b strings.Builder
	i := 0
	for _, r := range s {
		if i == max-1 {
			break
		}
		b.WriteRune(r)
		i++
	}
	b.WriteString(ellipsis)
	return b.String()
}

// link is a mrkdwn link to url labelled label (escaped and clipped to
// max runes). A url that is not http(s), or that holds a character that
// would end the link early, is dropped and the label shown alone.
func link(url, label string, max int) string {
	text := clipEscaped(label, max)
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return text
	}
	if strings.ContainsAny(url, "<>| \t\r\n") {
		return text
	}
	return "<" + strings.ReplaceAll(url, "&", "&amp;") + "|" + text + ">"
}

// joinLines joins lines with newlines while the result stays within max
// runes; lines that do not fit are replaced by a count ("…and 3 more") so
// that a long list is cut at a line, never inside a link or an entity.
func joinLines(lines []string, max int) string {
	var b strings.Builder
	used := 0
	for i, l := range lines {
		n := utf8.RuneCountInString(l)
		if i > 0 {
			n++ // the newline
		}
		rest := len(lines) - i - 1
		reserve := 0
		if rest > 0 {
			reserve = len(moreLine(rest)) + 1
		}
		if used+n+reserve > max {
			more := moreLine(len(lines) - i)
			if used+len(more)+1 <= max {
				if i > 0 {
					b.WriteByte('\n')
				}
				b.WriteString(more)
			}
			return b.String()
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
		used += n
	}
	return b.String()
}

func moreLine(n int) string {
	return "_…and " + itoa(n) + " more_"
}

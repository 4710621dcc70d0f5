package slack

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a & b", "a &amp; b"},
		{"<!channel> <@U123>", "&lt;!channel&gt; &lt;@U123&gt;"},
		{"x > y < z", "x &gt; y &lt; z"},
		{"&amp;", "&amp;amp;"},
		{"*bold* ünïcode", "*bold* ünïcode"},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestClipEscapedNeverSplitsAnEntity(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven chars", 10, "eleven ch…"},
		{"ab&cd", 5, "ab…"},       // "&amp;" does not fit in the 2 left
		{"ab&cd", 8, "ab&amp;…"},  // it fits whole
		{"ab&cd", 9, "ab&amp;cd"}, // all of it fits
		{"<<<<", 6, "&lt;…"},      // one entity, then the ellipsis
		{"äöü äöü", 4, "äöü…"},    // runes, not bytes
		{"anything", 0, ""},
	} {
		got := clipEscaped(tc.in, tc.max)
		if got != tc.want {
			t.Errorf("clipEscaped(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
		if n := utf8.RuneCountInString(got); n > tc.max {
			t.Errorf("clipEscaped(%q, %d) has %d runes", tc.in, tc.max, n)
		}
	}
}

func TestClipPlain(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"a<b>", 10, "a<b>"}, // plain_text is not escaped
	} {
		if got := clipPlain(tc.in, tc.max); got != tc.want {
			t.Errorf("clipPlain(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestLink(t *testing.T) {
	for _, tc := range []struct{ url, label, want string }{
		{"https://j.example/browse/P-1", "P-1", "<https://j.example/browse/P-1|P-1>"},
		{"https://j.example/?a=1&b=2", "a<b", "<https://j.example/?a=1&amp;b=2|a&lt;b>"},
		{"javascript:alert(1)", "P-1", "P-1"},
		{"https://j.example/x|evil", "P-1", "P-1"},
		{"", "P-1", "P-1"},
	} {
		if got := link(tc.url, tc.label, 40); got != tc.want {
			t.Errorf("link(%q, %q) = %q, want %q", tc.url, tc.label, got, tc.want)
		}
	}
}

func TestJoinLinesCutsAtALine(t *testing.T) {
	lines := []string{"first line", "second line", "third line", "fourth line"}
	for _, tc := range []struct {
		max  int
		want string
	}{
		{1000, strings.Join(lines, "\n")},
		{45, "first line\nsecond line\n_…and 2 more_"},
		{30, "first line\n_…and 3 more_"},
		{5, ""},
	} {
		got := joinLines(lines, tc.max)
		if got != tc.want {
			t.Errorf("joinLines(max %d) = %q, want %q", tc.max, got, tc.want)
		}
		if n := utf8.RuneCountInString(got); n > tc.max {
			t.Errorf("joinLines(max %d) has %d runes", tc.max, n)
		}
	}
}

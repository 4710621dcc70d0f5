package demo

import (
	"testing"
	"time"
)

// The story's sentences agree with their counts, and start with a capital.
func TestStoryWordsAgree(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{capital(plural(1, "bug", "bugs")), "One bug"},
		{capital(plural(2, "bug", "bugs")), "2 bugs"},
		{plural(0, "bug", "bugs"), "0 bugs"},
		{days(24 * time.Hour), "one day"},
		{days(48 * time.Hour), "2 days"},
		{agree(1, "its", "their") + "/" + agree(2, "its", "their"), "its/their"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

package texts

import "testing"

func TestThousands(t *testing.T) {
	for digits, want := range map[string]string{
		"0": "0", "999": "999", "1000": "1,000", "100000": "100,000", "1234567": "1,234,567",
		"-4200": "-4,200", "-999": "-999", "1000000000000000000000": "1,000,000,000,000,000,000,000",
	} {
		if got := Thousands(digits); got != want {
			t.Errorf("Thousands(%q) = %q, want %q", digits, got, want)
		}
	}
}

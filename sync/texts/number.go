package texts

import "strings"

// Thousands puts a comma between each group of three digits of a decimal
// integer as strconv writes it, sign and all: "-1234567" → "-1,234,567".
// It takes the digits, not a number, so that callers format an int64 or
// a whole float64 of any size without converting it.
func Thousands(digits string) string {
	var b strings.Builder
	if strings.HasPrefix(digits, "-") {
		b.WriteByte('-')
		digits = digits[1:]
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}

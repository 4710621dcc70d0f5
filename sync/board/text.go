package board

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Bounds of the vendors' text on the board. A ticket subject or an
// organization name can be any size (Zendesk does not bound them), and one
// of 200 KB would otherwise go whole into every page, tooltip and JSON
// answer that shows it.
const (
	// maxText bounds summaries, subjects and organization names: Jira's
	// own bound on a summary.
	maxText = 255
	// maxName bounds status and priority names.
	maxName = 64
	// maxTier bounds tiers: the longest a tier filter takes.
	maxTier = 64
)

// clip makes text from a vendor valid UTF-8 of at most n characters,
// ending one it cuts with "…".
func clip(s string, n int) string {
	if len(s) <= n && utf8.ValidString(s) {
		return s // n bytes are at most n characters
	}
	if head, cut := prefix(s, n); !cut {
		return head
	}
	head, _ := prefix(s, n-1)
	return head + "…"
}

// clipTier cuts a tier to maxTier characters without an ellipsis, so that
// the cut value still works as a tier filter.
func clipTier(t string) string {
	head, _ := prefix(t, maxTier)
	return head
}

// prefix is the first n characters of s made valid UTF-8, and whether
// that cut any off.
func prefix(s string, n int) (string, bool) {
	s = strings.ToValidUTF8(s, "\uFFFD")
	i := 0
	for range n {
		if i == len(s) {
			return s, false
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i], i < len(s)
}

// TierCount is how many of a bug's customers are in one tier.
type TierCount struct {
	Tier      string
	Customers int
}

// TierCounts are a bug's customers per tier, the heaviest tier first (by
// the policy's tier weights). As JSON it is an object, tier to count, with
// its members in that order.
type TierCounts []TierCount

// Count is the number of customers of tier.
func (t TierCounts) Count(tier string) int {
	for _, c := range t {
		if c.Tier == tier {
			return c.Customers
		}
	}
	return 0
}

// MarshalJSON writes {"enterprise": 3, "pro": 1}, heaviest tier first.
func (t TierCounts) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range t {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(c.Tier)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		fmt.Fprintf(&b, ":%d", c.Customers)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the object MarshalJSON writes, keeping its order.
func (t *TierCounts) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("customersByTier: want an object of tier to count, got %s", data)
	}
	out := TierCounts{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("customersByTier: %w", err)
		}
		tier, _ := tok.(string)
		var n int
		if err := dec.Decode(&n); err != nil {
			return fmt.Errorf("customersByTier %q: %w", tier, err)
		}
		out = append(out, TierCount{Tier: tier, Customers: n})
	}
	*t = out
	return nil
}

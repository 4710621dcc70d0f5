package zendesk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.uber.org/zap"
)

// maxRevenueWarned bounds the organizations remembered as warned about: an
// account with more bad values than this forgets them all and warns about
// each once more, rather than holding an unbounded set.
const maxRevenueWarned = 10000

// revenueWarnings remembers the organizations whose revenue value was
// reported as unusable, so that each is warned about once, not on every
// page or cycle that reads it again. An organization whose value becomes
// usable is forgotten, so that a later bad value is reported again.
type revenueWarnings struct {
	mu     sync.Mutex
	warned map[int64]struct{}
}

// first reports whether id has not been warned about since its value was
// last usable, and remembers it.
func (w *revenueWarnings) first(id int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.warned[id]; ok {
		return false
	}
	if w.warned == nil || len(w.warned) >= maxRevenueWarned {
		w.warned = make(map[int64]struct{})
	}
	w.warned[id] = struct{}{}
	return true
}

func (w *revenueWarnings) forget(id int64) {
	w.mu.Lock()
	delete(w.warned, id)
	w.mu.Unlock()
}

// revenue reads the revenue field of organization id. Zendesk returns
// integer and decimal fields as JSON numbers (which go-zendesk's types
// cannot decode, notes.md §7) and some as numeric strings; both count. A
// missing, negative or non-numeric value counts 0 and is logged once per
// organization, naming the field, so that an administrator can fix it.
func (c *Client) revenue(id int64, raw json.RawMessage) float64 {
	v, problem := parseRevenue(raw)
	if problem == "" {
		c.revenueWarned.forget(id)
		return v
	}
	if c.revenueWarned.first(id) {
		c.log.Warn("organization revenue counted as 0",
			zap.Int64("organization_id", id), zap.String("field", c.revenueField), zap.String("problem", problem),
			zap.String("value", clip(string(bytes.TrimSpace(raw)), 40)),
			zap.String("fix", "set organization_fields."+c.revenueField+" to a number zero or more in Zendesk"))
	}
	return 0
}

// parseRevenue is the value of a revenue field, or why it is not usable:
// missing, negative, or not a number.
func parseRevenue(raw json.RawMessage) (float64, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, "missing"
	}
	var text string
	switch raw[0] {
	case '"':
		if json.Unmarshal(raw, &text) != nil {
			return 0, "not a number"
		}
		text = strings.TrimSpace(text)
		if text == "" {
			return 0, "missing"
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		text = string(raw)
	default:
		return 0, "not a number"
	}
	v, err := strconv.ParseFloat(text, 64)
	switch {
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return 0, "not a number"
	case v < 0:
		return 0, "negative"
	}
	return v, ""
}

// clip cuts s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// revenueTypes are the organization field types a revenue may be kept in:
// numbers, or text holding one.
var revenueTypes = []string{"integer", "decimal", "text"}

// checkRevenueField checks that the revenue field exists, is active and
// holds numbers.
func (c *Client) checkRevenueField(ctx context.Context) error {
	fields, _, err := c.api.GetOrganizationFields(ctx)
	if err != nil {
		return requestError("list organization fields", err)
	}
	var keys []string
	for _, f := range fields {
		if f.Key != c.revenueField {
			keys = append(keys, f.Key)
			continue
		}
		switch {
		case !f.Active:
			return fmt.Errorf("zendesk: the revenue organization field %q is inactive", c.revenueField)
		case !slices.Contains(revenueTypes, f.Type):
			return fmt.Errorf("zendesk: the revenue organization field %q is of type %q; it must be one of %v (decimal or integer preferred)", c.revenueField, f.Type, revenueTypes)
		}
		return nil
	}
	return fmt.Errorf("zendesk: no organization field has the key %q (keys: %v); create a decimal organization field with that key, or fix revenue.field", c.revenueField, keys)
}

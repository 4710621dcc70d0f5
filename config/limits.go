package config

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// bound is the range a numeric or duration key must lie in, and why: a
// value outside it is a typo, a unit mix-up or a setting that cannot work,
// and is refused at startup rather than found in production.
type bound struct {
	lo, hi  float64 // counts as they are, durations in nanoseconds
	why     string  // what the range protects, for the fix
	example string  // a good value, as written in YAML
}

// Units of the table below.
const (
	sec  = float64(time.Second)
	mins = float64(time.Minute)
	hour = float64(time.Hour)
	day  = 24 * hour
	mib  = 1 << 20

	// maxID is the largest id JSON numbers carry exactly (2^53 - 1).
	maxID = 1<<53 - 1
	// maxPerMinute and maxPerSecond are beyond any vendor plan (Zendesk
	// sells at most 2,500 requests a minute): the benchmarks' "no limit".
	maxPerMinute = 100_000_000
	maxPerSecond = 1_000_000
	// maxCount bounds customer counts: more organizations than any account
	// has, and small enough that sums stay exact.
	maxCount  = 1_000_000
	maxWeight = 1000
)

// bounds holds every numeric and duration key; TestEveryNumberHasABound
// keeps it complete. Map and list keys bound each of their values.
var bounds = map[string]bound{
	"zendesk.keys_field_id":              {0, maxID, "a ticket field's id, or 0 for none", "360001234567"},
	"sidebar.app_id":                     {0, maxID, "the app's id, or 0 while the sidebar is off", "1234567"},
	"sidebar.installation_id":            {0, maxID, "the installation's id, or 0 while the sidebar is off", "360007654321"},
	"zendesk.status_field_id":            {0, maxID, "a ticket field's id, or 0 for none", "360007654321"},
	"zendesk.max_keys_per_ticket":        {1, 100, "a ticket links at most this many bugs; the rest of its keys are ignored", "20"},
	"zendesk.page_size":                  {1, 1000, "Zendesk's export pages hold 1 to 1000 tickets", "1000"},
	"zendesk.requests_per_minute":        {1, maxPerMinute, "Zendesk plans allow 200 to 2,500 requests a minute", "400"},
	"zendesk.export_requests_per_minute": {1, maxPerMinute, "Zendesk allows 10 export requests a minute", "10"},
	"zendesk.note_author_id":             {0, maxID, "a user's id, or 0 for the API user", "0"},

	"jira.requests_per_second": {0.01, maxPerSecond, "under one request in 100 seconds cannot keep up with a poll", "10"},
	"jira.search_overlap":      {mins, hour, "JQL dates have minute resolution; a longer overlap re-reads every change in it on every poll", "2m"},
	"jira.page_size":           {1, 100, "Jira's searches return 1 to 100 issues a page", "100"},

	"policy.tier_weights":              {0, maxWeight, "a weight is a multiplier of one customer", "5"},
	"policy.default_weight":            {0, maxWeight, "a weight is a multiplier of one customer", "1"},
	"policy.thresholds":                {math.SmallestNonzeroFloat64, maxCount, "a threshold is a (weighted) number of customers; count from 1 up, e.g. 10=High", "10"},
	"policy.count_labels":              {math.SmallestNonzeroFloat64, maxCount, "a count label's count is a (weighted) number of customers; count from 1 up", "10"},
	"policy.stale.windows":             {hour, 3650 * day, "stale flags are swept hourly; ten years is never", "168h"},
	"policy.stale.default_window":      {hour, 3650 * day, "stale flags are swept hourly; ten years is never", "720h"},
	"policy.max_priority_changes":      {0, maxCount, "0 is no limit, else the most writes of that kind one cycle may make", "50"},
	"policy.max_ticket_updates":        {0, maxCount, "0 is no limit, else the most writes of that kind one cycle may make", "2000"},
	"policy.max_bug_edits":             {0, maxCount, "0 is no limit, else the most writes of that kind one cycle may make", "2000"},
	"sync.poll_interval":               {0.1 * sec, day, "polling faster only waits on the request budgets; slower than a day leaves changes unseen for a day", "1m"},
	"sync.webhook_poll_interval":       {0.1 * sec, day, "it is the backstop for lost deliveries; slower than a day leaves them unrepaired for a day", "10m"},
	"sync.sweep_interval":              {mins, day, "stale windows are hours to months long", "1h"},
	"sync.release_check_interval":      {mins, day, "a release is news for the day it ships; each check costs a request per project awaited", "15m"},
	"sync.organization_check_interval": {mins, day, "tiers and revenue change rarely; each check costs one export request", "15m"},
	"sync.workers":                     {1, 256, "each worker reconciles one bug at a time within the request budgets", "4"},
	"sync.cache_ttl":                   {mins, 7 * day, "organizations and their tiers change rarely, but do change", "1h"},
	"sync.lease_ttl":                   {sec, 10 * mins, "a standby takes over this long after the leader dies", "30s"},
	"sync.shutdown_grace":              {sec, 10 * mins, "keep it under the orchestrator's kill timeout", "25s"},
	"webhooks.tolerance":               {30 * sec, hour, "a signed delivery can be replayed within this window, and deliveries from a clock further off are refused", "5m"},
	"slack.digest_hour":                {-1, 23, "an hour of the day, or -1 for no digest", "9"},
	"slack.digest_top":                 {1, 50, "a digest section lists this many bugs; Slack messages have a size limit", "10"},
	"slack.max_pending":                {1, maxCount, "each waiting notice is a small Redis hash", "10000"},
	"webhooks.max_body_bytes":          {4 << 10, 64 * mib, "a delivery is a few kilobytes, and the receiver holds it in memory", "1048576"},
}

// checkBounds reports every numeric or duration value outside its bound.
func (c *Config) checkBounds(p *problems) {
	for _, l := range c.leaves() {
		b, ok := bounds[l.key]
		if !ok || strings.HasPrefix(l.key, "policy.stale.") && c.Policy.Stale.Label == "" {
			continue // stale flags off: their windows are unused
		}
		v := l.v
		switch {
		case v.Kind() == reflect.Map:
			keys := v.MapKeys()
			slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
			for _, k := range keys {
				checkBound(p, l.key+"."+k.String(), v.MapIndex(k), b, "")
			}
		case v.Kind() == reflect.Slice:
			for i := range v.Len() {
				e := v.Index(i)
				if r := e.FieldByName("Revenue"); r.IsValid() && e.FieldByName("Customers").Float() == 0 {
					continue // a revenue threshold: checkRevenue checks it
				}
				checkBound(p, fmt.Sprintf("%s[%d].customers", l.key, i), e.FieldByName("Customers"), b, "")
			}
		default:
			checkBound(p, l.key, v, b, b.example)
		}
	}
}

// boundText is the range of a leaf's values for people, "" when it has
// none: "1 to 100", "30s to 1h".
func boundText(l leaf) string {
	b, ok := bounds[l.key]
	if !ok {
		return ""
	}
	show := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	t := l.v.Type()
	if t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t == durationType {
		show = func(x float64) string { return formatDuration(time.Duration(x)) }
	}
	if b.lo == math.SmallestNonzeroFloat64 {
		return "more than 0, up to " + show(b.hi)
	}
	return show(b.lo) + " to " + show(b.hi)
}

// within reports whether v lies in the bound of key, for the rules between
// keys: a value refused on its own is not reported again.
func within(key string, v float64) bool {
	b := bounds[key]
	return v >= b.lo && v <= b.hi
}

// checkBound reports v at key when it lies outside b; envExample is the
// value shown after the variable, "" for one entry of a list or map.
func checkBound(p *problems, key string, v reflect.Value, b bound, envExample string) {
	var f float64
	show := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	switch {
	case v.Type() == durationType:
		f = float64(v.Int())
		show = func(x float64) string { return formatDuration(time.Duration(x)) }
	case v.CanInt():
		f = float64(v.Int())
	case v.CanFloat():
		f = v.Float()
	default:
		return
	}
	var msg string
	switch {
	case math.IsNaN(f):
		msg = "not a number"
	case f < b.lo && f <= 0 && b.lo > 0:
		msg = show(f) + " must be more than 0"
	case f < b.lo && b.lo == 0:
		msg = show(f) + " is negative"
	case f < b.lo:
		msg = show(f) + " is under " + show(b.lo)
	case f > b.hi:
		msg = show(f) + " is over " + show(b.hi)
	default:
		return
	}
	span := show(b.lo) + " to " + show(b.hi)
	if b.lo == math.SmallestNonzeroFloat64 {
		span = "more than 0, up to " + show(b.hi)
	}
	p.add(key, msg, fmt.Sprintf("%s; set %s, e.g. %s: %s", b.why, span, leafName(key), b.example), envExample)
}

// secretMin is the shortest value accepted for a secret its operator
// chooses or copies by hand. The vendors' API tokens are theirs to shape
// and are not checked.
type secretMin struct {
	n        int
	why, fix string
}

var secretMins = map[string]secretMin{
	// HS256 wants a key at least as long as its output (RFC 7518 §3.2).
	"sidebar.session_key": {32, "it alone signs the sidebar's sessions (HS256 wants 32 bytes or more)",
		"generate one, e.g. openssl rand -hex 32 > /run/secrets/sidebar-session-key"},
	"board.token": {16, "it alone opens the board",
		"generate one, e.g. openssl rand -hex 16 > /run/secrets/board-token"},
	"board.basic_password": {16, "with the user name it alone opens the board",
		"generate one, e.g. openssl rand -hex 16 > /run/secrets/board-password"},
	// Jira takes whatever secret the admin types into the webhook (or its
	// Generate secret button makes); one signed delivery lets an
	// eavesdropper try short ones offline.
	"webhooks.jira_secret": {16, "Jira signs deliveries with it, and a short one can be guessed from one signed delivery",
		"use Jira's Generate secret (or openssl rand -hex 16) and set the same value on the webhook and here"},
	// Zendesk generates the signing secret: 32 random bytes in base64, 44
	// characters. A shorter one was cut while copying, or is not Zendesk's.
	"webhooks.zendesk_secret": {32, "Zendesk's signing secrets are 44 characters, so this one was cut short or is not the webhook's",
		"copy the whole secret (Admin Center > Apps and integrations > Webhooks > the webhook > Reveal secret)"},
}

// checkSecretLengths reports secrets shorter than secretMins allows,
// naming their length but never their value.
func (c *Config) checkSecretLengths(p *problems) {
	for _, s := range c.secretFields() {
		m, ok := secretMins[s.key]
		if n := len([]rune(s.value.Value())); ok && n > 0 && n < m.n {
			p.add(s.key, fmt.Sprintf("%s long, under %d: %s", plural(n, "character", "characters"), m.n, m.why), m.fix, "")
		}
	}
}

// plural is n with the form of the noun that agrees with it.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

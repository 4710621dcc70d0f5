package engine

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/sync/texts"
)

// CountBy chooses what a distinct customer is.
type CountBy string

const (
	// CountByOrganization counts organizations, falling back to the requester
	// for tickets without one.
	CountByOrganization CountBy = "organization"
	// CountByRequester counts requesters only.
	CountByRequester CountBy = "requester"
)

// CountTickets chooses which linked tickets count.
type CountTickets string

const (
	CountOpenTickets CountTickets = "open" // new, open, pending, hold
	CountAllTickets  CountTickets = "all"  // every linked ticket that exists
)

// Threshold maps a (weighted) customer count, a revenue waiting, or
// either of the two, to a minimum priority; 0 leaves a criterion unset.
type Threshold struct {
	Customers float64
	Revenue   float64
	Priority  string
}

// CountLabel puts Label on bugs whose (weighted) count reaches Customers.
type CountLabel struct {
	Customers float64
	Label     string
}

// StatusTags are the ticket tags that show the status category of a
// ticket's bug; "" leaves that state untagged.
type StatusTags struct {
	ToDo       string
	InProgress string
	Done       string
	WontFix    string
	Released   string
}

// StalePolicy configures stale-backlog flags. An empty Label disables them.
type StalePolicy struct {
	Label          string
	Windows        map[string]time.Duration // by priority name
	DefaultWindow  time.Duration            // for priorities without a window
	ExemptLabels   []string
	ExemptStatuses []string
	// Silent flags stale bugs with the label alone, without the comment.
	Silent bool
}

// Limits is the blast-radius guard: the most writes of each kind one cycle
// may make without an operator's confirmation. Zero means no limit.
type Limits struct {
	MaxPriorityChanges int // bugs whose priority the cycle would change
	MaxBugEdits        int // bugs the cycle would write to in any way
	MaxTicketUpdates   int // tickets the cycle would update
}

// Policy holds every knob that decides what the engine wants the two systems
// to look like. Its methods are pure.
type Policy struct {
	// Linking.
	Projects      []string // project keys whose bugs may be linked
	LinkTagPrefix string   // tags "<prefix><project>_<number>" link a ticket, e.g. "jira_"
	SubjectKeys   bool     // keys mentioned in a ticket's subject link it too
	TrackerLinks  bool     // a bug's remote link to a ticket URL links them
	// MaxKeys caps the keys one ticket links (0: DefaultMaxKeys); see Keys.
	MaxKeys int

	// Counting.
	CountBy       CountBy
	CountTickets  CountTickets
	TierWeights   map[string]float64 // organization tier → weight
	DefaultWeight float64            // weight of customers without a weighted tier

	// Priority.
	Thresholds          []Threshold
	Priorities          []string // every priority name, highest first
	AllowLower          bool     // lower a priority above the floor down to it
	PriorityLockedLabel string
	CountLabels         []CountLabel

	// Revenue waiting; see RevenuePolicy.
	Revenue RevenuePolicy

	// Status on tickets.
	StatusTags         StatusTags
	WontFixResolutions []string
	Notes              bool // post a private note per status-category change
	ReopenSolved       bool // a note on a solved ticket reopens it (and so may Follow)
	// Follow sets tickets' status from their bugs' (off unless Enabled).
	Follow FollowPolicy

	Stale  StalePolicy
	Limits Limits

	// Texts are the words of notes and comments; nil writes the built-in
	// ones.
	Texts *texts.Set
}

// BugState is what a ticket shows of its bug: the status category, with
// done split into fixed and won't fix.
type BugState int

const (
	StateToDo BugState = iota
	StateInProgress
	StateWontFix
	StateDone
	// StateReleased is done with a fix version that has shipped: the
	// customer can have the fix. A bug without fix versions stays done.
	StateReleased
)

func (s BugState) String() string {
	switch s {
	case StateToDo:
		return "todo"
	case StateInProgress:
		return "in_progress"
	case StateWontFix:
		return "wont_fix"
	case StateDone:
		return "done"
	case StateReleased:
		return "released"
	}
	return fmt.Sprintf("BugState(%d)", int(s))
}

// Finished reports whether engineering is through with a bug in state s:
// won't fix, fixed, or fixed and released. Such a bug is nobody's backlog.
func (s BugState) Finished() bool {
	return s == StateWontFix || s == StateDone || s == StateReleased
}

// Validate reports the first inconsistency, naming the knob, or nil.
func (p Policy) Validate() error {
	var errs []error
	if len(p.Projects) == 0 {
		errs = append(errs, errors.New("projects: at least one project key is required"))
	}
	for _, pr := range p.Projects {
		if !projectPattern.MatchString(pr) {
			errs = append(errs, fmt.Errorf("projects: %q is not a project key (A-Z, 0-9, _; 2-10 characters, starting with a letter)", pr))
		}
	}
	if p.LinkTagPrefix != strings.ToLower(p.LinkTagPrefix) {
		errs = append(errs, fmt.Errorf("link_tag_prefix: %q must be lower case (the helpdesk lowercases tags)", p.LinkTagPrefix))
	}
	if p.MaxKeys < 0 {
		errs = append(errs, fmt.Errorf("max_keys: %d must be zero (the default, %d) or more", p.MaxKeys, DefaultMaxKeys))
	}
	switch p.CountBy {
	case CountByOrganization, CountByRequester:
	default:
		errs = append(errs, fmt.Errorf("count_by: %q is not organization or requester", p.CountBy))
	}
	switch p.CountTickets {
	case CountOpenTickets, CountAllTickets:
	default:
		errs = append(errs, fmt.Errorf("count_tickets: %q is not open or all", p.CountTickets))
	}
	if p.DefaultWeight < 0 || math.IsNaN(p.DefaultWeight) {
		errs = append(errs, fmt.Errorf("default_weight: %v must be zero or more", p.DefaultWeight))
	}
	for tier, w := range p.TierWeights {
		if w < 0 || math.IsNaN(w) {
			errs = append(errs, fmt.Errorf("tier_weights.%s: %v must be zero or more", tier, w))
		}
	}
	errs = append(errs, p.validateThresholds()...)
	for i, l := range p.CountLabels {
		if l.Label == "" || strings.ContainsAny(l.Label, " \t\n") {
			errs = append(errs, fmt.Errorf("count_labels[%d].label: %q must be one word", i, l.Label))
		}
	}
	if p.Stale.Label != "" {
		if p.Stale.DefaultWindow <= 0 {
			errs = append(errs, errors.New("stale.default_window: must be more than zero when stale.label is set"))
		}
		for prio, w := range p.Stale.Windows {
			if w <= 0 {
				errs = append(errs, fmt.Errorf("stale.windows.%s: must be more than zero", prio))
			}
		}
	}
	if err := p.Follow.validate(); err != nil {
		errs = append(errs, err)
	}
	if p.Limits.MaxPriorityChanges < 0 || p.Limits.MaxBugEdits < 0 || p.Limits.MaxTicketUpdates < 0 {
		errs = append(errs, errors.New("limits: max_priority_changes, max_bug_edits and max_ticket_updates must be zero (no limit) or more"))
	}
	return errors.Join(errs...)
}

// HasProject reports whether bugs of project may be linked.
func (p Policy) HasProject(project string) bool {
	return slices.Contains(p.Projects, project)
}

// Rank is the position of a priority, 0 being the highest. The empty
// priority (a bug without one) ranks below every named one. ok is false for
// a name the policy does not know: such a bug's priority is left alone.
func (p Policy) Rank(priority string) (rank int, ok bool) {
	if priority == "" {
		return len(p.Priorities), true
	}
	i := slices.Index(p.Priorities, priority)
	return i, i >= 0
}

// Floor is the minimum priority for a weighted count alone: the priority
// of the highest threshold the count reaches, or "" when it reaches none.
// Reach weighs revenue too.
func (p Policy) Floor(count float64) string {
	return p.Reach(count, 0).Priority
}

// Weight is the weight of a customer in tier ("" when it has none).
func (p Policy) Weight(tier string) float64 {
	if w, ok := p.TierWeights[tier]; ok && tier != "" {
		return w
	}
	return p.DefaultWeight
}

// Weighted reports whether tiers change the count, i.e. whether organization
// tiers need to be known at all.
func (p Policy) Weighted() bool {
	for _, w := range p.TierWeights {
		if w != p.DefaultWeight {
			return true
		}
	}
	return false
}

// CountLabel is the label for a weighted count: the one of the highest
// count_labels entry reached, or "".
func (p Policy) CountLabel(count float64) string {
	label, best := "", math.Inf(-1)
	for _, l := range p.CountLabels {
		if count >= l.Customers && l.Customers > best {
			label, best = l.Label, l.Customers
		}
	}
	return label
}

// ManagedCountLabels are the labels CountLabel may return; the engine removes
// the ones that no longer apply.
func (p Policy) ManagedCountLabels() []string {
	out := make([]string, 0, len(p.CountLabels))
	for _, l := range p.CountLabels {
		out = append(out, l.Label)
	}
	return out
}

// carriesOwnWrites reports whether the bug shows something only the
// service writes: a customer count, a count label, the stale label. One
// that shows none has not been edited by the service (its first edit sets
// the count), so its update time is someone else's.
func (p Policy) carriesOwnWrites(b Bug) bool {
	if b.CustomerCount != nil || b.Revenue != nil {
		return true
	}
	return slices.ContainsFunc(b.Labels, func(l string) bool {
		return l == p.Stale.Label && l != "" || slices.Contains(p.ManagedCountLabels(), l)
	})
}

// Window is how long a bug of priority may go untouched before it is stale.
func (p Policy) Window(priority string) time.Duration {
	if w, ok := p.Stale.Windows[priority]; ok {
		return w
	}
	return p.Stale.DefaultWindow
}

// StaleExempt reports whether the bug is never flagged stale.
func (p Policy) StaleExempt(b Bug) bool {
	if p.Stale.Label == "" {
		return true
	}
	for _, l := range b.Labels {
		if slices.Contains(p.Stale.ExemptLabels, l) {
			return true
		}
	}
	return slices.ContainsFunc(p.Stale.ExemptStatuses, func(s string) bool { return strings.EqualFold(s, b.Status) })
}

// StateOf is the state a ticket shows for b.
func (p Policy) StateOf(b Bug) BugState {
	switch b.StatusCategory {
	case CategoryInProgress:
		return StateInProgress
	case CategoryDone:
		if slices.ContainsFunc(p.WontFixResolutions, func(r string) bool { return strings.EqualFold(r, b.Resolution) }) {
			return StateWontFix
		}
		if len(b.Released) > 0 {
			return StateReleased
		}
		return StateDone
	}
	return StateToDo
}

// Tag is the ticket tag for state, "" when none is configured.
func (t StatusTags) Tag(s BugState) string {
	switch s {
	case StateToDo:
		return t.ToDo
	case StateInProgress:
		return t.InProgress
	case StateDone:
		return t.Done
	case StateWontFix:
		return t.WontFix
	case StateReleased:
		return t.Released
	}
	return ""
}

// All lists the configured tags; these are the only ticket tags the engine
// ever adds or removes.
func (t StatusTags) All() []string {
	var out []string
	for _, tag := range []string{t.ToDo, t.InProgress, t.Done, t.WontFix, t.Released} {
		if tag != "" && !slices.Contains(out, tag) {
			out = append(out, tag)
		}
	}
	return out
}

// StateOfTag is the state a status tag stands for.
func (t StatusTags) StateOfTag(tag string) (BugState, bool) {
	for _, s := range []BugState{StateToDo, StateInProgress, StateWontFix, StateDone, StateReleased} {
		if tag != "" && t.Tag(s) == tag {
			return s, true
		}
	}
	return 0, false
}

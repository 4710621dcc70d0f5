package sidebar

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

func (h *handler) ticketJSON(w http.ResponseWriter, r *http.Request, _ Session) {
	id, ok := ticketID(r)
	if !ok {
		h.jsonError(w, http.StatusBadRequest, "not a ticket id")
		return
	}
	v, err := h.ticketView(r.Context(), id)
	if err != nil {
		h.log.Error("sidebar ticket view", zap.Int64("ticket", id), zap.Error(err))
		h.jsonError(w, http.StatusServiceUnavailable, "the service's state cannot be read now; try again shortly")
		return
	}
	h.json(w, http.StatusOK, v)
}

// Candidate is a bug a search found.
type Candidate struct {
	Key       string   `json:"key"`
	URL       string   `json:"url"`
	Summary   string   `json:"summary"`
	Status    string   `json:"status"`
	Category  string   `json:"category"`
	Customers *float64 `json:"customers,omitempty"` // the bug's customer-count field, when set
}

func (h *handler) searchJSON(w http.ResponseWriter, r *http.Request, _ Session) {
	q := r.URL.Query().Get("q")
	if utf8.RuneCountInString(q) > maxQuery {
		h.jsonError(w, http.StatusBadRequest, fmt.Sprintf("search with at most %d characters", maxQuery))
		return
	}
	found, err := h.find(r.Context(), q, searchLimit)
	if err != nil {
		h.log.Warn("sidebar search", zap.Error(err))
		h.jsonError(w, http.StatusBadGateway, "Jira did not answer the search; try again shortly")
		return
	}
	h.json(w, http.StatusOK, map[string]any{"candidates": found})
}

// find searches the synced projects; only bugs of a synced project come
// back, whatever the tracker answers.
func (h *handler) find(ctx context.Context, q string, limit int) ([]Candidate, error) {
	out := []Candidate{}
	if strings.TrimSpace(q) == "" {
		return out, nil
	}
	bugs, err := h.opts.Tracker.FindBugs(ctx, q, limit)
	if err != nil {
		return nil, err
	}
	for _, b := range bugs {
		if !h.opts.Policy.ValidKey(b.Key) {
			continue
		}
		out = append(out, Candidate{Key: b.Key, URL: b.URL, Summary: b.Summary, Status: b.Status,
			Category: categoryNames[b.StatusCategory], Customers: b.CustomerCount})
	}
	return out, nil
}

type linkRequest struct {
	Key string `json:"key"`
}

func (h *handler) linkJSON(w http.ResponseWriter, r *http.Request, s Session) {
	h.editLink(w, r, s, true)
}

func (h *handler) unlinkJSON(w http.ResponseWriter, r *http.Request, s Session) {
	h.editLink(w, r, s, false)
}

func (h *handler) editLink(w http.ResponseWriter, r *http.Request, s Session, link bool) {
	id, ok := ticketID(r)
	if !ok {
		h.jsonError(w, http.StatusBadRequest, "not a ticket id")
		return
	}
	var req linkRequest
	if !h.decode(w, r, &req) {
		return
	}
	key := strings.ToUpper(strings.TrimSpace(req.Key))
	if !h.opts.Policy.ValidKey(key) {
		h.jsonError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a key of a synced project (%s)", clip(req.Key, 40), strings.Join(h.opts.Policy.Projects, ", ")))
		return
	}
	edit, verb := addKey, "linked"
	if !link {
		edit, verb = removeKey, "unlinked"
	}
	if status, msg := h.writeKeys(r.Context(), id, key, edit, !link); status != http.StatusOK {
		h.jsonError(w, status, msg)
		return
	}
	h.log.Info("sidebar: "+verb, zap.Int64("agent", s.UserID), zap.Int64("ticket", id), zap.String("bug", key))
	h.json(w, http.StatusOK, map[string]string{"key": key, "done": verb})
}

// writeKeys edits the ticket's keys field and has the engine reconcile the
// ticket at once. An unlink of a key the field does not hold (a link tag,
// or Jira's remote link) is refused with the place to remove it.
func (h *handler) writeKeys(ctx context.Context, id int64, key string, edit func(string, string) string, unlink bool) (int, string) {
	absent := false
	_, err := h.opts.Keys.EditKeysField(ctx, id, func(cur string) string {
		absent = unlink && !hasKey(cur, key)
		return edit(cur, key)
	})
	switch {
	case errors.Is(err, engine.ErrNotFound):
		return http.StatusNotFound, fmt.Sprintf("ticket %d was not found in Zendesk", id)
	case errors.Is(err, engine.ErrPermanent):
		h.log.Warn("sidebar keys field", zap.Int64("ticket", id), zap.Error(err))
		return http.StatusConflict, "Zendesk refused to write the ticket's keys field: " + err.Error()
	case err != nil:
		h.log.Warn("sidebar keys field", zap.Int64("ticket", id), zap.Error(err))
		return http.StatusBadGateway, "Zendesk did not take the change; try again shortly"
	case absent:
		return http.StatusConflict, key + " is not in the ticket's keys field: it is linked by a tag or from Jira; remove it there"
	}
	if err := h.opts.Queue.Enqueue(ctx, []int64{id}, []string{key}); err != nil {
		// The field is written: the next poll reconciles the ticket anyway.
		h.log.Warn("sidebar: ticket not queued; the next poll picks it up", zap.Int64("ticket", id), zap.Error(err))
	}
	return http.StatusOK, ""
}

type createRequest struct {
	Summary     string `json:"summary"`
	Description string `json:"description"`
	// Confirm files the bug; without it the candidates are returned.
	Confirm bool `json:"confirm"`
	// IdempotencyKey names one filing: the same key files at most one bug.
	IdempotencyKey string `json:"idempotency_key"`
	// Labels are the bug's labels; absent is the configured ones.
	Labels *[]string `json:"labels"`
}

// Limits on a filed bug's labels: Jira's on one label, and the form's on
// how many.
const (
	MaxLabel  = 255
	MaxLabels = 20
)

// CheckLabels returns what is wrong with labels to file a bug with, for
// the agent; "" when nothing.
func CheckLabels(labels []string) string {
	if len(labels) > MaxLabels {
		return fmt.Sprintf("%d labels; at most %d.", len(labels), MaxLabels)
	}
	for _, l := range labels {
		switch {
		case l == "":
			return "A label is empty."
		case strings.ContainsFunc(l, unicode.IsSpace):
			return fmt.Sprintf("The label %q has a space; Jira labels are one word (use - or _).", clip(l, 40))
		case !utf8.ValidString(l):
			return "A label is not valid UTF-8."
		case utf8.RuneCountInString(l) > MaxLabel:
			return fmt.Sprintf("A label has %d characters; Jira takes at most %d.", utf8.RuneCountInString(l), MaxLabel)
		}
	}
	return ""
}

var idempotencyKey = regexp.MustCompile(`^[A-Za-z0-9-]{16,64}$`)

func (h *handler) createJSON(w http.ResponseWriter, r *http.Request, s Session) {
	id, ok := ticketID(r)
	if !ok {
		h.jsonError(w, http.StatusBadRequest, "not a ticket id")
		return
	}
	var req createRequest
	if !h.decode(w, r, &req) {
		return
	}
	summary := strings.TrimSpace(req.Summary)
	labels := h.opts.Labels
	if req.Labels != nil {
		labels = slices.Compact(slices.Sorted(slices.Values(*req.Labels)))
	}
	if msg := cmp.Or(checkFiling(summary, req.Description), CheckLabels(labels)); msg != "" {
		h.jsonError(w, http.StatusUnprocessableEntity, msg)
		return
	}
	ctx := r.Context()
	if !req.Confirm {
		dups, err := h.duplicates(ctx, summary)
		if err != nil {
			h.log.Warn("sidebar duplicate search", zap.Error(err))
			h.jsonError(w, http.StatusBadGateway, "Jira did not answer the duplicate search; try again shortly")
			return
		}
		h.json(w, http.StatusOK, map[string]any{"candidates": dups, "created": ""})
		return
	}
	if !idempotencyKey.MatchString(req.IdempotencyKey) {
		h.jsonError(w, http.StatusBadRequest, "idempotency_key: want 16 to 64 letters, digits or hyphens")
		return
	}
	ledger := fmt.Sprintf("%d:%s", id, req.IdempotencyKey)
	filed, reserved, err := h.opts.Filings.Reserve(ctx, ledger)
	switch {
	case err != nil:
		h.log.Error("sidebar filing ledger", zap.Error(err))
		h.jsonError(w, http.StatusServiceUnavailable, "the service cannot record the filing now; nothing was filed; try again shortly")
		return
	case !reserved && filed == "":
		h.jsonError(w, http.StatusConflict, "this bug is already being filed; wait a moment, then reload the ticket before trying again")
		return
	case !reserved:
		h.finishFiling(ctx, w, s, id, filed, false)
		return
	}
	key, err := h.opts.Tracker.CreateBug(ctx, engine.NewBug{Project: h.opts.Project, IssueType: h.opts.IssueType,
		Summary: summary, Description: h.description(ctx, id, req.Description), Labels: slices.Clone(labels),
		Components: slices.Clone(h.opts.Components)})
	if err != nil {
		h.log.Warn("sidebar: bug not filed", zap.Int64("agent", s.UserID), zap.Int64("ticket", id), zap.Error(err))
		if errors.Is(err, engine.ErrPermanent) {
			// Jira refused it: nothing was filed, so the same form may retry.
			if rerr := h.opts.Filings.Release(context.WithoutCancel(ctx), ledger); rerr != nil {
				h.log.Warn("sidebar filing ledger", zap.Error(rerr))
			}
			h.jsonError(w, http.StatusUnprocessableEntity, "Jira refused the bug: "+err.Error())
			return
		}
		// The outcome is unknown: the reservation stays, so a retry of this
		// form cannot file a second bug.
		h.jsonError(w, http.StatusBadGateway, "Jira did not confirm the filing; search for the bug before filing it again")
		return
	}
	if err := h.opts.Filings.Filed(context.WithoutCancel(ctx), ledger, key); err != nil {
		h.log.Error("sidebar filing ledger", zap.String("bug", key), zap.Error(err))
	}
	h.log.Info("sidebar: filed", zap.Int64("agent", s.UserID), zap.Int64("ticket", id), zap.String("bug", key))
	h.finishFiling(ctx, w, s, id, key, true)
}

// duplicates are the likely duplicates of a summary: the bugs with all
// its words, else with its two longest words, else with its longest
// one, since an agent's wording rarely matches the first reporter's word
// for word. At most three searches.
func (h *handler) duplicates(ctx context.Context, summary string) ([]Candidate, error) {
	found, err := h.find(ctx, summary, dupLimit)
	if err != nil || len(found) > 0 {
		return found, err
	}
	words := strings.FieldsFunc(strings.ToLower(summary), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	slices.Sort(words)
	words = slices.Compact(words)
	slices.SortStableFunc(words, func(a, b string) int { return cmp.Compare(utf8.RuneCountInString(b), utf8.RuneCountInString(a)) })
	for _, q := range [][]string{words[:min(2, len(words))], words[:min(1, len(words))]} {
		if len(q) == 0 || len(q) == len(words) || utf8.RuneCountInString(q[len(q)-1]) < 4 {
			continue
		}
		if found, err = h.find(ctx, strings.Join(q, " "), dupLimit); err != nil || len(found) > 0 {
			return found, err
		}
	}
	return found, nil
}

// finishFiling links the filed bug to the ticket.
func (h *handler) finishFiling(ctx context.Context, w http.ResponseWriter, s Session, id int64, key string, fresh bool) {
	if status, msg := h.writeKeys(ctx, id, key, addKey, false); status != http.StatusOK {
		h.jsonError(w, status, key+" was filed, but not linked: "+msg)
		return
	}
	h.log.Info("sidebar: linked", zap.Int64("agent", s.UserID), zap.Int64("ticket", id), zap.String("bug", key))
	h.json(w, http.StatusOK, map[string]any{"created": key, "new": fresh, "candidates": []Candidate{}})
}

// checkFiling returns what is wrong with a bug to file, for the agent.
func checkFiling(summary, description string) string {
	switch n := utf8.RuneCountInString(summary); {
	case n == 0:
		return "The summary is empty: say in one line what is broken."
	case n > MaxSummary:
		return fmt.Sprintf("The summary has %d characters; Jira takes at most %d. Shorten it and put the details in the description.", n, MaxSummary)
	case strings.ContainsAny(summary, "\r\n"):
		return "The summary must be one line."
	case len(description) > MaxDescription:
		return fmt.Sprintf("The description is %d KB; at most %d KB is filed. Shorten it, or attach the rest in Jira.", (len(description)+1023)>>10, MaxDescription>>10)
	case !utf8.ValidString(summary) || !utf8.ValidString(description):
		return "The text is not valid UTF-8."
	}
	return ""
}

// description is the agent's text with a link back to the ticket.
func (h *handler) description(ctx context.Context, id int64, text string) string {
	link := fmt.Sprintf("https://%s.zendesk.com/agent/tickets/%d", h.opts.Subdomain, id)
	if recs, err := h.opts.State.Tickets(ctx, []int64{id}); err == nil && recs[id].URL != "" {
		link = recs[id].URL
	}
	back := fmt.Sprintf("Filed from Zendesk ticket #%d: %s", id, link)
	if strings.TrimSpace(text) == "" {
		return back
	}
	return strings.TrimRight(text, "\n") + "\n\n" + back
}

// clip cuts s to n runes for a message.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

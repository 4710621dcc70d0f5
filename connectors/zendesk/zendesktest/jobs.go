package zendesktest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// job is a background job of update_many [ZD-JOB].
type job struct {
	id       string
	status   string // queued, working, completed, failed, killed
	message  string
	total    int
	progress int
	results  []jobResult
	items    []jobItem
	user     int64
}

type jobItem struct {
	id int64
	p  patch
}

// jobResult is one entry of job_status.results for a ticket update: id,
// action "update", success, status "Updated"/"Failed" [ZD-JOB]; failures
// add the error code and Zendesk's message (their key names are
// UNCONFIRMED, notes.md §2: clients should read error, errors and details).
type jobResult struct {
	ID      int64  `json:"id"`
	Action  string `json:"action"`
	Success bool   `json:"success"`
	Status  string `json:"status"`
	Error   string `json:"error,omitempty"`
	Errors  string `json:"errors,omitempty"`
	Details string `json:"details,omitempty"`
}

type jobJSON struct {
	ID       string      `json:"id"`
	URL      string      `json:"url"`
	Total    int         `json:"total"`
	Progress int         `json:"progress"`
	Status   string      `json:"status"`
	Message  *string     `json:"message"`
	Results  []jobResult `json:"results"`
	JobType  string      `json:"job_type"`
}

const maxUpdateMany = 100

// FailNextJobs makes the next n background jobs end with status ("failed"
// or "killed") before they touch any ticket.
func (s *Server) FailNextJobs(n int, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.jobFaults = append(s.jobFaults, status)
	}
}

// Jobs returns the ids of all jobs started so far, oldest first.
func (s *Server) Jobs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.jobOrder)
}

// updateMany answers PUT /api/v2/tickets/update_many [ZD-OAS
// TicketsUpdateMany]: "an array of up to 100 ticket objects" (batch:
// {"tickets":[{"id":…},…]}) "or a comma-separated list of up to 100 ticket
// ids" (bulk: ?ids=1,2 with {"ticket":{…}}). It answers 200 with a queued
// job_status and applies the updates in the background.
func (s *Server) updateMany(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Ticket  *ticketIn  `json:"ticket"`
		Tickets []ticketIn `json:"tickets"`
	}
	if apiErr := decodeBody(r, &body); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	var items []jobItem
	if r.URL.Query().Has("ids") {
		ids, apiErr := queryIDs(r, "ids", maxUpdateMany)
		if apiErr != nil {
			writeError(w, apiErr)
			return
		}
		if body.Ticket == nil {
			writeError(w, badRequest("InvalidValue", "ticket is required with ids"))
			return
		}
		p, apiErr := body.Ticket.patch()
		if apiErr != nil {
			writeError(w, apiErr)
			return
		}
		for _, id := range ids {
			items = append(items, jobItem{id: id, p: p})
		}
	} else {
		if len(body.Tickets) == 0 {
			writeError(w, badRequest("InvalidValue", "tickets or ids is required"))
			return
		}
		if len(body.Tickets) > maxUpdateMany {
			writeError(w, badRequest("TooManyValues", fmt.Sprintf("tickets accepts at most %d values", maxUpdateMany)))
			return
		}
		for _, t := range body.Tickets {
			if t.ID == 0 {
				writeError(w, badRequest("InvalidValue", "every ticket needs an id"))
				return
			}
			p, apiErr := t.patch()
			if apiErr != nil {
				writeError(w, apiErr)
				return
			}
			items = append(items, jobItem{id: t.ID, p: p})
		}
	}

	j := &job{id: newJobID(), status: "queued", total: len(items), items: items, user: userFrom(r.Context())}
	s.mu.Lock()
	s.jobs[j.id] = j
	s.jobOrder = append(s.jobOrder, j.id)
	out := renderJob(baseURL(r), j)
	s.mu.Unlock()
	s.workers.Add(1)
	go s.runJob(j)
	writeJSON(w, http.StatusOK, map[string]any{"job_status": out})
}

func (s *Server) runJob(j *job) {
	defer s.workers.Done()
	s.mu.Lock()
	delay := s.jobDelay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-s.closing:
			return
		}
	}
	s.mu.Lock()
	if len(s.jobFaults) > 0 {
		j.status, s.jobFaults = s.jobFaults[0], s.jobFaults[1:]
		j.message = "Job " + j.status + " by the simulator"
		s.mu.Unlock()
		return
	}
	j.status = "working"
	s.mu.Unlock()

	for _, it := range j.items {
		select {
		case <-s.closing:
			return
		default:
		}
		s.mu.Lock()
		_, _, apiErr := s.applyPatch(it.id, it.p, j.user)
		res := jobResult{ID: it.id, Action: "update", Success: apiErr == nil, Status: "Updated"}
		if apiErr != nil {
			msg := errorText(apiErr)
			res.Status, res.Error, res.Errors, res.Details = "Failed", apiErr.body.Error, msg, msg
		}
		j.results = append(j.results, res)
		j.progress++
		s.mu.Unlock()
	}
	s.mu.Lock()
	j.status = "completed"
	j.message = "Completed at " + s.now().Format("2006-01-02 15:04:05 -0700")
	s.mu.Unlock()
}

// errorText flattens a Zendesk error body to its most specific message:
// the details' descriptions when there are some, else the description.
func errorText(e *apiError) string {
	fields := make([]string, 0, len(e.body.Details))
	for k := range e.body.Details {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	var msgs []string
	for _, k := range fields {
		for _, d := range e.body.Details[k] {
			msgs = append(msgs, fmt.Sprint(d["description"]))
		}
	}
	if len(msgs) > 0 {
		return strings.Join(msgs, "; ")
	}
	return e.body.Description
}

func newJobID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func renderJob(base string, j *job) jobJSON {
	out := jobJSON{ID: j.id, URL: fmt.Sprintf("%s/api/v2/job_statuses/%s.json", base, j.id), Total: j.total,
		Progress: j.progress, Status: j.status, JobType: "bulk_update"}
	if j.message != "" {
		m := j.message
		out.Message = &m
	}
	if j.status == "completed" {
		out.Results = slices.Clone(j.results)
	}
	return out
}

// showJob answers GET /api/v2/job_statuses/{id} [ZD-JOB].
func (s *Server) showJob(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[strings.TrimSuffix(r.PathValue("id"), ".json")]
	if !ok {
		writeError(w, notFound())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"job_status": renderJob(baseURL(r), j)})
}

// showManyJobs answers GET /api/v2/job_statuses/show_many?ids=a,b
// [ZD-OAS ShowManyJobStatuses]; unknown ids are left out.
func (s *Server) showManyJobs(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("ids")
	if raw == "" {
		writeError(w, badRequest("InvalidValue", "ids is required"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []jobJSON{}
	for id := range strings.SplitSeq(raw, ",") {
		if j, ok := s.jobs[strings.TrimSpace(id)]; ok {
			out = append(out, renderJob(baseURL(r), j))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"job_statuses": out})
}

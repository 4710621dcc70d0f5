package zendesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// jobWire is a job status [ZD-JOB]: status is queued, working, completed,
// failed or killed; results lists one entry per ticket once completed.
type jobWire struct {
	ID      string          `json:"id"`
	Status  string          `json:"status"`
	Message string          `json:"message"`
	Total   int             `json:"total"`
	Results []jobResultWire `json:"results"`
}

// jobResultWire is one ticket's outcome. The documented keys are id,
// action, success and status ("Updated"); the failure keys are not
// (notes.md §2), so error, errors and details are all read, as text or
// JSON.
type jobResultWire struct {
	ID      int64           `json:"id"`
	Success *bool           `json:"success"`
	Status  string          `json:"status"`
	Error   string          `json:"error"`
	Errors  json.RawMessage `json:"errors"`
	Details json.RawMessage `json:"details"`
}

// follow polls the jobs (show_many when several) with a doubling wait until
// each one ends or JobTimeout passes, and fills in the results of their
// tickets. No ticket of a job is reported written unless the job completed
// with a successful result for it. The waits and the timeout run on
// c.pace; JobTimeout also bounds the polls in real time.
func (c *Client) follow(ctx context.Context, jobs []pendingJob, updates []engine.TicketUpdate, results []engine.TicketResult) {
	ctx, cancel := context.WithTimeout(ctx, c.jobTimeout)
	defer cancel()
	deadline := c.pace.Now().Add(c.jobTimeout)
	pending := make(map[string]pendingJob, len(jobs))
	for _, j := range jobs {
		pending[j.id] = j
	}
	failAll := func(j pendingJob, err error) {
		for _, i := range j.indexes {
			results[i].Err = err
		}
		delete(pending, j.id)
	}
	wait := c.jobPoll
	// lastErr is the last poll's failure, for the timeout's message: the
	// vendor's answer, not the cut of a poll by the timeout itself.
	var lastErr error
	for len(pending) > 0 {
		left := deadline.Sub(c.pace.Now())
		var err error
		if left > 0 {
			err = c.pace.Sleep(ctx, min(wait, left))
		}
		if left <= 0 || err != nil {
			for _, j := range pending {
				failAll(j, &Error{Op: fmt.Sprintf("follow job %s for tickets %s", j.id, jobTickets(j, updates)),
					Message: fmt.Sprintf("job not finished after %s", c.jobTimeout), cause: errors.Join(err, lastErr)})
			}
			return
		}
		wait = min(2*wait, 8*c.jobPoll)

		statuses, err := c.jobStatuses(ctx, pending)
		if err != nil {
			if errors.Is(err, engine.ErrPermanent) {
				for _, j := range pending {
					failAll(j, err)
				}
				return
			}
			if ctx.Err() == nil {
				lastErr = err // transient: try again until the timeout
			}
			continue
		}
		for id, j := range pending {
			st, ok := statuses[id]
			if !ok {
				failAll(j, &Error{Op: fmt.Sprintf("follow job %s for tickets %s", id, jobTickets(j, updates)),
					Message: "job status not found (expired or never created); the updates may or may not have been applied"})
				continue
			}
			switch st.Status {
			case "completed":
				c.jobResults(j, st, updates, results)
				delete(pending, id)
			case "failed", "killed":
				failAll(j, &Error{Op: fmt.Sprintf("update tickets %s (job %s)", jobTickets(j, updates), id),
					Message: fmt.Sprintf("job %s: %s", st.Status, st.Message)})
				c.log.Warn("zendesk update job ended without completing", zap.String("job", id),
					zap.String("status", st.Status), zap.String("message", st.Message), zap.Int("tickets", len(j.indexes)))
			}
		}
	}
}

// jobStatuses reads the statuses of the pending jobs in one request.
func (c *Client) jobStatuses(ctx context.Context, pending map[string]pendingJob) (map[string]jobWire, error) {
	ids := make([]string, 0, len(pending))
	for id := range pending {
		ids = append(ids, id)
	}
	op := "read job statuses " + strings.Join(ids, ",")
	out := make(map[string]jobWire, len(ids))
	if len(ids) == 1 {
		body, err := c.api.Get(ctx, "/job_statuses/"+ids[0]+".json")
		if err != nil {
			err = requestError(op, err)
			if errors.Is(err, engine.ErrNotFound) {
				return out, nil // reported as not found by the caller
			}
			return nil, err
		}
		var resp struct {
			JobStatus jobWire `json:"job_status"`
		}
		if err := json.Unmarshal(body, &resp); err != nil {
			return nil, decodeError(op, body, err)
		}
		out[resp.JobStatus.ID] = resp.JobStatus
		return out, nil
	}
	body, err := c.api.Get(ctx, "/job_statuses/show_many.json?ids="+strings.Join(ids, ","))
	if err != nil {
		return nil, requestError(op, err)
	}
	var resp struct {
		JobStatuses []jobWire `json:"job_statuses"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, decodeError(op, body, err)
	}
	for _, st := range resp.JobStatuses {
		out[st.ID] = st
	}
	return out, nil
}

// jobResults maps a completed job's results to its tickets. Results are
// matched by position when the ids line up (the same ticket may appear
// twice in a batch), else by id; a ticket without a result is a failure.
func (c *Client) jobResults(j pendingJob, st jobWire, updates []engine.TicketUpdate, results []engine.TicketResult) {
	failed := 0
	for k, i := range j.indexes {
		id := updates[i].ID
		var res *jobResultWire
		if k < len(st.Results) && st.Results[k].ID == id {
			res = &st.Results[k]
		} else {
			for r := range st.Results {
				if st.Results[r].ID == id {
					res = &st.Results[r]
					break
				}
			}
		}
		op := fmt.Sprintf("update ticket %d (job %s)", id, j.id)
		switch {
		case res == nil:
			results[i].Err = &Error{Op: op, Message: "job completed without a result for this ticket"}
		case res.succeeded():
			results[i].Err = nil
		default:
			results[i].Err = res.err(op)
		}
		if results[i].Err != nil {
			failed++
		}
	}
	c.log.Info("zendesk update job completed", zap.String("job", j.id), zap.Int("tickets", len(j.indexes)),
		zap.Int("failed", failed), zap.Duration("took", time.Since(j.started)))
}

func (r *jobResultWire) succeeded() bool {
	if r.Success != nil {
		return *r.Success
	}
	return r.Error == "" && len(r.Errors) == 0 && !strings.EqualFold(r.Status, "Failed")
}

// err classifies a failed result: not found, refused (closed ticket,
// invalid value, no permission) or, when the reason is unknown, retryable.
func (r *jobResultWire) err(op string) error {
	msg := detailsText(r.Errors)
	if d := detailsText(r.Details); d != "" && d != msg {
		if msg != "" {
			msg += ": "
		}
		msg += d
	}
	e := &Error{Op: op, Code: r.Error, Message: msg}
	lower := strings.ToLower(r.Error + " " + msg)
	switch {
	case strings.Contains(lower, "notfound") || strings.Contains(lower, "not found"):
		e.kind = engine.ErrNotFound
	case strings.Contains(lower, "recordinvalid") || strings.Contains(lower, "ticketupdatefailed") ||
		strings.Contains(lower, "permission") || strings.Contains(lower, "forbidden") ||
		strings.Contains(lower, "closed prevents"):
		e.kind = engine.ErrPermanent
	}
	if e.Message == "" && e.Code == "" {
		e.Message = "job reported a failure without a reason"
	}
	return e
}

// pace is the time that following a job takes: the wall clock, or a fake
// one that lets a test follow a job through its timeout without waiting.
type pace interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type wallPace struct{}

func (wallPace) Now() time.Time { return time.Now() }

func (wallPace) Sleep(ctx context.Context, d time.Duration) error { return clock.Sleep(ctx, d) }

func jobTickets(j pendingJob, updates []engine.TicketUpdate) string {
	ids := make([]int64, len(j.indexes))
	for k, i := range j.indexes {
		ids[k] = updates[i].ID
	}
	return joinIDs(ids)
}

package ops

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/sync/singleflight"
)

// Check is one readiness condition.
type Check struct {
	Name string
	// Run returns a short description of what it found, and an error
	// saying what is wrong when the condition fails. It should honour ctx;
	// one that does not still cannot hold /readyz past CheckTimeout.
	Run func(ctx context.Context) (detail string, err error)
	// Advisory checks are shown but never make the service unready.
	Advisory bool
}

// Readiness is the body of /readyz.
type Readiness struct {
	Status string `json:"status"` // "ready", "not ready" or "shutting down"
	// Checks are left out on a public listener when an admin one serves
	// them (Options.AdminAddr).
	Checks []CheckResult `json:"checks,omitempty"`
}

// CheckResult is one check's outcome.
type CheckResult struct {
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
	Advisory bool   `json:"advisory,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Error    string `json:"error,omitempty"`
}

// checkOutcome is what one run of a check found.
type checkOutcome struct {
	detail string
	err    error
}

// Ready runs every check concurrently and answers by CheckTimeout: a check
// that has not returned by then fails with "no answer within …". A check
// still running from an earlier call is joined, not started again, so
// probes against a stalled dependency answer on time and do not pile up.
func (s *Server) Ready(ctx context.Context) Readiness {
	runs := make([]<-chan singleflight.Result, len(s.opts.Checks))
	for i, c := range s.opts.Checks {
		runs[i] = s.flight.DoChan(c.Name, func() (any, error) {
			// Not the caller's context: later callers may join this run.
			cctx, cancel := context.WithTimeout(context.Background(), s.opts.CheckTimeout)
			defer cancel()
			detail, err := c.Run(cctx)
			return checkOutcome{detail, err}, nil
		})
	}
	deadline := time.NewTimer(s.opts.CheckTimeout)
	defer deadline.Stop()
	late := false
	r := Readiness{Status: "ready", Checks: make([]CheckResult, len(s.opts.Checks))}
	for i, c := range s.opts.Checks {
		res := CheckResult{Name: c.Name, Advisory: c.Advisory,
			Error: fmt.Sprintf("no answer within %s", s.opts.CheckTimeout)}
		var got singleflight.Result
		answered := false
		if late {
			select {
			case got = <-runs[i]:
				answered = true
			default:
			}
		} else {
			select {
			case got = <-runs[i]:
				answered = true
			case <-deadline.C:
				late = true
			case <-ctx.Done():
				late = true
			}
		}
		if answered {
			o := got.Val.(checkOutcome)
			res.OK, res.Detail, res.Error = o.err == nil, o.detail, ""
			if o.err != nil {
				res.Error = o.err.Error()
			}
		}
		if !res.OK && !res.Advisory {
			r.Status = "not ready"
		}
		r.Checks[i] = res
	}
	if s.draining.Load() {
		r.Status = "shutting down"
	}
	return r
}

// readyz answers with every check's result.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	rd := s.Ready(r.Context())
	writeJSON(w, readyCode(rd), rd)
}

// readyzStatus answers with the status alone, for a public listener.
func (s *Server) readyzStatus(w http.ResponseWriter, r *http.Request) {
	rd := s.Ready(r.Context())
	writeJSON(w, readyCode(rd), Readiness{Status: rd.Status})
}

func readyCode(rd Readiness) int {
	if rd.Status != "ready" {
		return http.StatusServiceUnavailable
	}
	return http.StatusOK
}

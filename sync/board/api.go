package board

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// bugsPayload is GET /api/v1/bugs.
type bugsPayload struct {
	AsOf    time.Time `json:"asOf"`
	Total   int       `json:"total"`
	Page    int       `json:"page"`
	PerPage int       `json:"perPage"`
	Pages   int       `json:"pages"`
	Bugs    []Bug     `json:"bugs"`
}

// customersPayload is GET /api/v1/customers.
type customersPayload struct {
	AsOf      time.Time  `json:"asOf"`
	Total     int        `json:"total"`
	Page      int        `json:"page"`
	PerPage   int        `json:"perPage"`
	Pages     int        `json:"pages"`
	Customers []Customer `json:"customers"`
}

// bugsJSON lists bugs as the board does, with every linked ticket.
func (h *handler) bugsJSON(w http.ResponseWriter, r *http.Request) {
	q, err := ParseQuery(r.URL.Query())
	if err == nil && q.PerPage > maxAPIPerPage {
		err = errPerPage
	}
	if err != nil {
		h.jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	list, err := h.m.Bugs(r.Context(), q, AllTickets)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	p := bugsPayload{AsOf: list.AsOf, Total: list.Total, Page: list.Query.Page, PerPage: list.Query.PerPage, Pages: list.Pages(), Bugs: list.Bugs}
	if p.Bugs == nil {
		p.Bugs = []Bug{}
	}
	h.json(w, p)
}

func (h *handler) customersJSON(w http.ResponseWriter, r *http.Request) {
	q, err := ParseCustomerQuery(r.URL.Query())
	if err == nil && q.PerPage > maxAPIPerPage {
		err = errPerPage
	}
	if err != nil {
		h.jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	list, err := h.m.Customers(r.Context(), q)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	p := customersPayload{AsOf: list.AsOf, Total: list.Total, Page: list.Query.Page, PerPage: list.Query.PerPage, Pages: list.Pages(), Customers: list.Customers}
	if p.Customers == nil {
		p.Customers = []Customer{}
	}
	h.json(w, p)
}

func (h *handler) healthJSON(w http.ResponseWriter, r *http.Request) {
	health, err := h.m.Health(r.Context())
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.json(w, health)
}

var errPerPage = fmt.Errorf("per_page: the JSON API pages at most %d at a time", maxAPIPerPage)

func (h *handler) json(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		h.log.Debug("board JSON not fully written", zap.Error(err))
	}
}

func (h *handler) jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

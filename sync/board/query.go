package board

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

// Query selects, orders and pages the bugs of the board. The zero value is
// the board's first page: every bug, most weighted customers first.
type Query struct {
	Project  string                // a project key; "" is every project
	Category engine.StatusCategory // "" is every category
	Tier     string                // bugs with a customer of this tier; "" is any
	Stale    Stale
	Sort     Sort
	Desc     bool // reverse the sort's natural order
	Page     int  // from 1; 0 is 1
	PerPage  int  // 0 is DefaultPerPage
}

// Stale filters bugs by their stale flag.
type Stale string

const (
	StaleAny Stale = ""
	StaleYes Stale = "yes"
	StaleNo  Stale = "no"
)

// Sort names a column to order bugs by. Each has a natural order, the one
// a person wants first: the ranking top down, the most customers first, the
// longest idle first, keys and priorities from the top.
type Sort string

const (
	SortRank      Sort = "rank"
	SortKey       Sort = "key"
	SortPriority  Sort = "priority"
	SortStatus    Sort = "status"
	SortCustomers Sort = "customers"
	SortOpen      Sort = "open"
	SortAge       Sort = "age"
)

// SortRevenue orders bugs by revenue waiting, where revenue is counted
// (elsewhere every bug has none, and the ranking stands). It is left out
// of sorts, which error messages list, so that a board without revenue
// never names it.
const SortRevenue Sort = "revenue"

var sorts = []Sort{SortRank, SortKey, SortPriority, SortStatus, SortCustomers, SortOpen, SortAge}

// Paging bounds.
const (
	DefaultPerPage = 100
	MaxPerPage     = 10000
)

// Values are short enough for a URL and match what the engine accepts:
// project keys as in Jira, tiers as Zendesk dropdown values.
var (
	projectPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)
	tierPattern    = regexp.MustCompile(`^[\pL\pN_.:-]{1,64}$`)
)

// ParseQuery reads a query from URL parameters: project, category (new,
// indeterminate, done), tier, stale (yes, no), sort, dir (asc, desc),
// page and per_page. Unknown parameters are ignored; a bad value of a known
// one is an error naming it.
func ParseQuery(v url.Values) (Query, error) {
	var q Query
	if p := v.Get("project"); p != "" {
		if !projectPattern.MatchString(p) {
			return Query{}, fmt.Errorf("project %q: want a project key such as PROJ", p)
		}
		q.Project = p
	}
	switch c := engine.StatusCategory(v.Get("category")); c {
	case "", engine.CategoryToDo, engine.CategoryInProgress, engine.CategoryDone:
		q.Category = c
	default:
		return Query{}, fmt.Errorf("category %q: want new, indeterminate or done", c)
	}
	tier, err := parseTier(v)
	if err != nil {
		return Query{}, err
	}
	q.Tier = tier
	switch s := Stale(v.Get("stale")); s {
	case StaleAny, StaleYes, StaleNo:
		q.Stale = s
	default:
		return Query{}, fmt.Errorf("stale %q: want yes or no", s)
	}
	q.Sort = SortRank
	if s := Sort(v.Get("sort")); s != "" {
		if !validSort(s) {
			return Query{}, fmt.Errorf("sort %q: want one of %v", s, sorts)
		}
		q.Sort = s
	}
	if q.Desc, err = parseDir(v, q.Sort.natural()); err != nil {
		return Query{}, err
	}
	if q.Page, q.PerPage, err = parsePaging(v); err != nil {
		return Query{}, err
	}
	return q, nil
}

// Values encodes q as URL parameters, leaving out what is the default.
func (q Query) Values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("project", q.Project)
	set("category", string(q.Category))
	set("tier", q.Tier)
	set("stale", string(q.Stale))
	if q.Sort != "" && q.Sort != SortRank {
		v.Set("sort", string(q.Sort))
	}
	if q.Desc != q.sort().natural() {
		v.Set("dir", dirName(q.Desc))
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.PerPage != 0 && q.PerPage != DefaultPerPage {
		v.Set("per_page", strconv.Itoa(q.PerPage))
	}
	return v
}

func (q Query) sort() Sort {
	if q.Sort == "" {
		return SortRank
	}
	return q.Sort
}

// natural reports whether a column reads best in descending order.
func (s Sort) natural() (desc bool) {
	switch s {
	case SortCustomers, SortOpen, SortAge, SortRevenue:
		return true
	}
	return false
}

func validSort(s Sort) bool {
	if s == SortRevenue {
		return true
	}
	for _, k := range sorts {
		if s == k {
			return true
		}
	}
	return false
}

// CustomerQuery selects, orders and pages the customers view.
type CustomerQuery struct {
	Tier    string
	Sort    CustomerSort
	Desc    bool
	Page    int
	PerPage int
}

// CustomerSort names a column of the customers view.
type CustomerSort string

const (
	// SortBugs: organizations waiting on the most bugs first.
	SortBugs CustomerSort = "bugs"
	// SortWait: organizations waiting the longest first.
	SortWait CustomerSort = "wait"
	// SortName: by name (by id when names are not shown).
	SortName CustomerSort = "name"
)

func (s CustomerSort) natural() (desc bool) { return s != SortName }

// ParseCustomerQuery reads a customers query from URL parameters: tier,
// sort (bugs, wait, name), dir, page and per_page.
func ParseCustomerQuery(v url.Values) (CustomerQuery, error) {
	var q CustomerQuery
	tier, err := parseTier(v)
	if err != nil {
		return CustomerQuery{}, err
	}
	q.Tier = tier
	switch s := CustomerSort(v.Get("sort")); s {
	case "":
		q.Sort = SortBugs
	case SortBugs, SortWait, SortName:
		q.Sort = s
	default:
		return CustomerQuery{}, fmt.Errorf("sort %q: want bugs, wait or name", s)
	}
	if q.Desc, err = parseDir(v, q.Sort.natural()); err != nil {
		return CustomerQuery{}, err
	}
	if q.Page, q.PerPage, err = parsePaging(v); err != nil {
		return CustomerQuery{}, err
	}
	return q, nil
}

// Values encodes q as URL parameters, leaving out what is the default.
func (q CustomerQuery) Values() url.Values {
	v := url.Values{}
	if q.Tier != "" {
		v.Set("tier", q.Tier)
	}
	s := q.Sort
	if s == "" {
		s = SortBugs
	}
	if s != SortBugs {
		v.Set("sort", string(s))
	}
	if q.Desc != s.natural() {
		v.Set("dir", dirName(q.Desc))
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.PerPage != 0 && q.PerPage != DefaultPerPage {
		v.Set("per_page", strconv.Itoa(q.PerPage))
	}
	return v
}

func parseTier(v url.Values) (string, error) {
	t := v.Get("tier")
	if t != "" && !tierPattern.MatchString(t) {
		return "", fmt.Errorf("tier %q: want a tier value such as enterprise", t)
	}
	return t, nil
}

func parseDir(v url.Values, natural bool) (desc bool, err error) {
	switch d := v.Get("dir"); d {
	case "":
		return natural, nil
	case "asc":
		return false, nil
	case "desc":
		return true, nil
	default:
		return false, fmt.Errorf("dir %q: want asc or desc", d)
	}
}

func dirName(desc bool) string {
	if desc {
		return "desc"
	}
	return "asc"
}

func parsePaging(v url.Values) (page, perPage int, err error) {
	page, perPage = 1, DefaultPerPage
	if s := v.Get("page"); s != "" {
		if page, err = strconv.Atoi(s); err != nil || page < 1 || page > 1_000_000 {
			return 0, 0, fmt.Errorf("page %q: want a number from 1", s)
		}
	}
	if s := v.Get("per_page"); s != "" {
		if perPage, err = strconv.Atoi(s); err != nil || perPage < 1 || perPage > MaxPerPage {
			return 0, 0, fmt.Errorf("per_page %q: want a number from 1 to %d", s, MaxPerPage)
		}
	}
	return page, perPage, nil
}

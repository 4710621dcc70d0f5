package simulation_test

import (
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/helpdesk-sync/helpdesk-sync/connectors/simulation"
)

func generate(t testing.TB, seed int64, size simulation.Size) simulation.Dataset {
	t.Helper()
	d, err := simulation.Generate(seed, size)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := generate(t, 42, simulation.DemoSize), generate(t, 42, simulation.DemoSize)
	other := generate(t, 43, simulation.DemoSize)
	same := func(x, y simulation.Dataset) bool {
		for j := range simulation.DemoSize.Orgs {
			if !reflect.DeepEqual(x.Org(j), y.Org(j)) {
				return false
			}
		}
		for i := range simulation.DemoSize.Bugs {
			if !reflect.DeepEqual(x.Bug(i), y.Bug(i)) {
				return false
			}
		}
		for i := range simulation.DemoSize.Tickets {
			if !reflect.DeepEqual(x.Ticket(i), y.Ticket(i)) {
				return false
			}
		}
		return true
	}
	if !same(a, b) {
		t.Fatal("the same seed generated different data")
	}
	if same(a, other) {
		t.Fatal("seeds 42 and 43 generated the same data")
	}
	// A record does not depend on which records were generated before it.
	if !reflect.DeepEqual(a.Ticket(250), generate(t, 42, simulation.DemoSize).Ticket(250)) {
		t.Fatal("ticket 250 depends on generation order")
	}
}

func TestGenerateRefusesEmptySizes(t *testing.T) {
	for _, size := range []simulation.Size{{Tickets: 1}, {Tickets: 1, Bugs: 1}, {Tickets: -1, Bugs: 1, Orgs: 1}} {
		if _, err := simulation.Generate(1, size); err == nil {
			t.Errorf("size %+v accepted", size)
		}
	}
	// One bug and one organization is the smallest account.
	d := generate(t, 1, simulation.Size{Tickets: 50, Bugs: 1, Orgs: 1})
	for tk := range d.Tickets() {
		for _, b := range tk.Bugs {
			if b != 0 {
				t.Fatalf("ticket %d names bug %d of one", tk.ID, b)
			}
		}
	}
}

// shape is what the distribution tests look at.
type shape struct {
	tickets, orgs, bugs int
	tiers               map[string]int
	ticketStatus        map[string]int
	bugStatus           map[string]int
	resolutions         map[string]int
	priorities          map[string]int
	forms               map[simulation.LinkForm]int
	noOrg, locked       int
	idleOverTwoMonths   int
	customers           []int // distinct waiting customers per bug, by bug index
}

func measure(d simulation.Dataset) shape {
	s := shape{tiers: map[string]int{}, ticketStatus: map[string]int{}, bugStatus: map[string]int{},
		resolutions: map[string]int{}, priorities: map[string]int{}, forms: map[simulation.LinkForm]int{}}
	for o := range d.Orgs() {
		s.orgs++
		s.tiers[o.Tier]++
	}
	for b := range d.Bugs() {
		s.bugs++
		s.bugStatus[b.Status]++
		s.resolutions[b.Resolution]++
		s.priorities[b.Priority]++
		if slices.Contains(b.Labels, simulation.LockedLabel) {
			s.locked++
		}
		if b.Idle > 60*24*time.Hour {
			s.idleOverTwoMonths++
		}
	}
	seen := make([]map[int64]bool, d.Size.Bugs)
	for tk := range d.Tickets() {
		s.tickets++
		s.ticketStatus[tk.Status]++
		s.forms[tk.Link]++
		if tk.OrganizationID == 0 {
			s.noOrg++
		}
		if tk.Status == "solved" || tk.Status == "closed" {
			continue
		}
		who := tk.OrganizationID
		if who == 0 {
			who = -tk.RequesterID
		}
		for _, b := range tk.Bugs {
			if seen[b] == nil {
				seen[b] = map[int64]bool{}
			}
			seen[b][who] = true
		}
	}
	for _, m := range seen {
		s.customers = append(s.customers, len(m))
	}
	return s
}

func share(n, of int) float64 { return float64(n) / float64(of) }

// TestDistributions checks the shape of the data, loosely: who the
// customers are, what state tickets and bugs are in, how tickets name bugs
// and how popularity is skewed.
func TestDistributions(t *testing.T) {
	tests := []struct {
		name string
		seed int64
		size simulation.Size
		// Big enough for shares to be near their targets.
		large bool
	}{
		{"demo seed 42", 42, simulation.DemoSize, false},
		{"demo seed 7", 7, simulation.DemoSize, false},
		{"demo seed 2024", 2024, simulation.DemoSize, false},
		{"a fifth of the benchmark", 3, simulation.Size{Tickets: 20_000, Bugs: 2_000, Orgs: 400}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := measure(generate(t, tc.seed, tc.size))
			if s.tickets != tc.size.Tickets || s.bugs != tc.size.Bugs || s.orgs != tc.size.Orgs {
				t.Fatalf("generated %d tickets, %d bugs, %d orgs; want %+v", s.tickets, s.bugs, s.orgs, tc.size)
			}
			for _, tier := range []string{simulation.TierEnterprise, simulation.TierPro, simulation.TierFree} {
				if s.tiers[tier] == 0 {
					t.Errorf("no %s organization: %v", tier, s.tiers)
				}
			}
			if s.tiers[simulation.TierFree] < s.tiers[simulation.TierPro] || s.tiers[simulation.TierPro] <= s.tiers[simulation.TierEnterprise] {
				t.Errorf("tiers %v: want free ≥ pro > enterprise", s.tiers)
			}
			if e, p := share(s.tiers[simulation.TierEnterprise], s.orgs), share(s.tiers[simulation.TierPro], s.orgs); tc.large &&
				(e < 0.08 || e > 0.12 || p < 0.25 || p > 0.35) {
				t.Errorf("tiers %v: want about 10%% enterprise, 30%% pro, 60%% free", s.tiers)
			}
			waiting := s.ticketStatus["open"] + s.ticketStatus["pending"]
			done := s.ticketStatus["solved"] + s.ticketStatus["closed"]
			if share(waiting, s.tickets) < 0.5 || done == 0 || done > waiting {
				t.Errorf("ticket statuses %v: want mostly open or pending, some solved or closed", s.ticketStatus)
			}
			if s.noOrg == 0 || share(s.noOrg, s.tickets) > 0.2 {
				t.Errorf("%d of %d tickets without organization: want a few", s.noOrg, s.tickets)
			}
			for _, st := range []string{"To Do", "In Progress", "Done"} {
				if s.bugStatus[st] == 0 {
					t.Errorf("no bug in %s: %v", st, s.bugStatus)
				}
			}
			if s.resolutions["Done"] == 0 || s.resolutions["Done"] == s.bugStatus["Done"] {
				t.Errorf("resolutions %v: want fixed and won't-fix bugs", s.resolutions)
			}
			if len(s.priorities) < 4 {
				t.Errorf("priorities %v: want them spread", s.priorities)
			}
			if s.locked < 2 {
				t.Errorf("%d locked bugs, want a couple", s.locked)
			}
			if s.idleOverTwoMonths == 0 || share(s.idleOverTwoMonths, s.bugs) > 0.5 {
				t.Errorf("%d of %d bugs idle for months: want some", s.idleOverTwoMonths, s.bugs)
			}
			for _, f := range []simulation.LinkForm{simulation.LinkNone, simulation.LinkKey, simulation.LinkLowerCase,
				simulation.LinkTwoKeys, simulation.LinkBrowseURL, simulation.LinkTag, simulation.LinkUnknownProject,
				simulation.LinkMissingIssue} {
				if s.forms[f] == 0 {
					t.Errorf("no ticket links by %s: %v", f, s.forms)
				}
			}
			if s.forms[simulation.LinkKey] <= s.forms[simulation.LinkMissingIssue] {
				t.Errorf("link forms %v: plain keys should be the common case", s.forms)
			}

			// Popularity: the top bug has many times the customers of the
			// typical one, and bugs with one customer outnumber those with
			// several.
			c := slices.Clone(s.customers)
			slices.Sort(c)
			slices.Reverse(c)
			linked := slices.DeleteFunc(slices.Clone(c), func(n int) bool { return n == 0 })
			median := linked[len(linked)/2]
			if c[0] < 5*median {
				t.Errorf("top bug has %d customers, median %d: want a long tail", c[0], median)
			}
			ones, fives := 0, 0
			for _, n := range c {
				switch n {
				case 1:
					ones++
				case 5:
					fives++
				}
			}
			if ones <= fives {
				t.Errorf("%d bugs with one customer, %d with five: want most with one", ones, fives)
			}
			if tc.large && (c[0] < 100 || c[9] < 50) {
				t.Errorf("top bugs have %v customers: want hundreds", c[:10])
			}
		})
	}
}

// TestKeysAreWrittenAsTheFormSays checks every ticket's keys field and tags
// against its link form and the bugs it names, and that keys of missing
// issues really are past the last issue of their project.
func TestKeysAreWrittenAsTheFormSays(t *testing.T) {
	d := generate(t, 42, simulation.Size{Tickets: 3000, Bugs: 200, Orgs: 100})
	last := map[string]int{}
	keys := map[int]string{}
	for b := range d.Bugs() {
		keys[b.Index] = b.Key
		project, n, _ := strings.Cut(b.Key, "-")
		num, _ := strconv.Atoi(n)
		if project != b.Project || num != last[project]+1 {
			t.Fatalf("bug %d is %s after %s-%d: keys must number each project from 1", b.Index, b.Key, project, last[project])
		}
		last[project] = num
	}
	tag := func(key string) string { return "jira_" + strings.ToLower(strings.Replace(key, "-", "_", 1)) }
	keyRE := regexp.MustCompile(`^([A-Z]+)-(\d+)$`)
	for tk := range d.Tickets() {
		var named []string
		for _, b := range tk.Bugs {
			named = append(named, keys[b])
		}
		field, tags := tk.KeysField, tk.Tags
		var ok bool
		switch tk.Link {
		case simulation.LinkNone:
			ok = field == "" && len(named) == 0
		case simulation.LinkKey:
			ok = len(named) == 1 && field == named[0]
		case simulation.LinkLowerCase:
			ok = len(named) == 1 && field == strings.ToLower(named[0])
		case simulation.LinkTwoKeys:
			ok = len(named) == 2 && named[0] != named[1] && field == named[0]+", "+named[1]
		case simulation.LinkBrowseURL:
			ok = len(named) == 1 && field == d.BrowseURL+"/browse/"+named[0]
		case simulation.LinkTag:
			ok = len(named) == 1 && field == "" && slices.Contains(tags, tag(named[0]))
		case simulation.LinkFieldAndTag:
			ok = len(named) == 1 && field == named[0] && slices.Contains(tags, tag(named[0]))
		case simulation.LinkUnknownProject:
			ok = strings.Contains(field, simulation.UnknownProject+"-") &&
				(len(named) == 0 || len(named) == 1 && strings.HasPrefix(field, named[0]+" "))
		case simulation.LinkMissingIssue:
			m := keyRE.FindStringSubmatch(field)
			n := 0
			if m != nil {
				n, _ = strconv.Atoi(m[2])
			}
			ok = len(named) == 0 && m != nil && n > last[m[1]]
		}
		if !ok {
			t.Fatalf("ticket %d (%s): field %q, tags %v, bugs %v", tk.ID, tk.Link, field, tags, named)
		}
	}
}

func TestOrganizationsAndRequesters(t *testing.T) {
	d := generate(t, 42, simulation.DemoSize)
	users := map[int64]int64{} // user → organization
	names := map[string]bool{}
	for o := range d.Orgs() {
		if names[o.Name] {
			t.Fatalf("organization name %q twice", o.Name)
		}
		names[o.Name] = true
		if len(o.Users) == 0 {
			t.Fatalf("organization %s has no requesters", o.Name)
		}
		for _, u := range o.Users {
			if _, dup := users[u.ID]; dup {
				t.Fatalf("user id %d twice", u.ID)
			}
			users[u.ID] = o.ID
		}
	}
	for u := range d.Individuals() {
		if _, dup := users[u.ID]; dup || u.OrganizationID != 0 {
			t.Fatalf("individual %+v clashes", u)
		}
		users[u.ID] = 0
	}
	for tk := range d.Tickets() {
		org, ok := users[tk.RequesterID]
		if !ok || org != tk.OrganizationID {
			t.Fatalf("ticket %d: requester %d (of %d) does not belong to organization %d", tk.ID, tk.RequesterID, org, tk.OrganizationID)
		}
	}
}

func TestOrgNamesStayUniquePastTheWordLists(t *testing.T) {
	d := generate(t, 1, simulation.Size{Tickets: 0, Bugs: 1, Orgs: 1000})
	seen := map[string]int64{}
	for o := range d.Orgs() {
		if id, dup := seen[o.Name]; dup {
			t.Fatalf("organizations %d and %d are both %q", id, o.ID, o.Name)
		}
		seen[o.Name] = o.ID
	}
}

// The summary that simulate and the demo print agrees with its counts.
func TestSummaryAgreesWithCounts(t *testing.T) {
	one := simulation.Summary{Orgs: 1, Users: 1, Bugs: 1, Tickets: 1, Links: 1}.String()
	two := simulation.Summary{Orgs: 2, Users: 0, Bugs: 2, Tickets: 2, Links: 2}.String()
	for _, want := range []string{"1 organization (", "with 1 requester;", "1 bug in", "1 ticket (", "naming bugs 1 time"} {
		if !strings.Contains(one, want) {
			t.Errorf("%q lacks %q", one, want)
		}
	}
	for _, want := range []string{"2 organizations (", "with 0 requesters;", "2 bugs in", "2 tickets (", "naming bugs 2 times"} {
		if !strings.Contains(two, want) {
			t.Errorf("%q lacks %q", two, want)
		}
	}
}

// Organizations carry an annual revenue by tier, the same for a seed
// however often it is generated.
func TestOrganizationRevenue(t *testing.T) {
	d := generate(t, 42, simulation.DemoSize)
	again := generate(t, 42, simulation.DemoSize)
	ranges := map[string][2]float64{simulation.TierEnterprise: {120_000, 600_000}, simulation.TierPro: {12_000, 60_000}, simulation.TierFree: {0, 0}}
	n := 0
	for o := range d.Orgs() {
		r := ranges[o.Tier]
		if o.ARR < r[0] || o.ARR > r[1] || o.ARR != float64(int64(o.ARR)/100*100) {
			t.Fatalf("organization %d (%s): ARR %v outside %v or not whole hundreds", o.ID, o.Tier, o.ARR, r)
		}
		if o2 := again.Org(n); o2.ARR != o.ARR {
			t.Fatalf("organization %d: ARR %v, then %v", o.ID, o.ARR, o2.ARR)
		}
		n++
	}
}

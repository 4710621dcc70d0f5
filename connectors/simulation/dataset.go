package simulation

import (
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"time"
)

// Size is how much a dataset holds.
type Size struct {
	Tickets int
	Bugs    int
	Orgs    int
}

var (
	// DemoSize is the demo's data: a backfill of a few seconds that still
	// has a bug crossing every threshold, locked and stale bugs, and every
	// form of link.
	DemoSize = Size{Tickets: 300, Bugs: 40, Orgs: 60}
	// BenchmarkSize is the scale the service is benchmarked at.
	BenchmarkSize = Size{Tickets: 100_000, Bugs: 10_000, Orgs: 2_000}
)

func (s Size) validate() error {
	var errs []error
	if s.Tickets < 0 {
		errs = append(errs, fmt.Errorf("tickets %d: must not be negative", s.Tickets))
	}
	if s.Bugs < 1 {
		errs = append(errs, fmt.Errorf("bugs %d: need at least one", s.Bugs))
	}
	if s.Orgs < 1 {
		errs = append(errs, fmt.Errorf("orgs %d: need at least one", s.Orgs))
	}
	return errors.Join(errs...)
}

// Dataset is a generated helpdesk and tracker, described rather than held:
// every organization, bug and ticket is computed from the seed and its index
// on demand, so a hundred thousand tickets stream into the simulators without
// the dataset itself taking memory. The same seed and size give the same data.
type Dataset struct {
	Seed int64
	Size Size
	// BrowseURL is the Jira site whose browse links agents paste into the
	// keys field ("…/browse/PROJ-12"). Only the key in it matters for linking.
	BrowseURL string

	zipfV          float64 // flattens the head of the popularity curve as bugs grow
	stride, offset int     // permutation of popularity ranks onto bug indexes
}

// Generate describes the dataset of seed and size.
func Generate(seed int64, size Size) (Dataset, error) {
	if err := size.validate(); err != nil {
		return Dataset{}, fmt.Errorf("simulation: size: %w", err)
	}
	d := Dataset{Seed: seed, Size: size, BrowseURL: "https://acme.atlassian.net",
		zipfV: max(1, float64(size.Bugs)/500)}
	// Popularity rank r lands on bug (r*stride+offset) mod Bugs: popular
	// bugs are spread over projects and statuses instead of being the
	// first ones created.
	d.stride = 7919 % size.Bugs
	for d.stride == 0 || gcd(d.stride, size.Bugs) != 1 {
		d.stride++
	}
	d.offset = d.rng(streamLayout, 0).IntN(size.Bugs)
	return d, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Random streams: each kind of record draws from its own, per index, so
// that a record does not depend on how many others were generated.
const (
	streamLayout uint64 = iota + 1
	streamOrg
	streamUser
	streamBug
	streamTicket
	streamTier
	streamRevenue
)

func (d Dataset) rng(stream uint64, i int) *rand.Rand {
	h := splitmix(uint64(d.Seed))
	h = splitmix(h ^ stream)
	h = splitmix(h ^ uint64(i))
	return rand.New(rand.NewPCG(h, splitmix(h)))
}

// splitmix is SplitMix64's finalizer: nearby inputs give unrelated outputs,
// which PCG seeds need.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// pick returns the index of the weight a uniform draw falls on.
func pick(r *rand.Rand, weights ...float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	u := r.Float64() * total
	for i, w := range weights {
		if u < w {
			return i
		}
		u -= w
	}
	return len(weights) - 1
}

func days(r *rand.Rand, from, to float64) time.Duration {
	return time.Duration((from + r.Float64()*(to-from)) * float64(24*time.Hour)).Truncate(time.Second)
}

// Orgs yields every organization, in index order.
func (d Dataset) Orgs() iter.Seq[Org] {
	return func(yield func(Org) bool) {
		for j := range d.Size.Orgs {
			if !yield(d.Org(j)) {
				return
			}
		}
	}
}

// Bugs yields every bug, in index order (the order they must be created in
// for their keys to come out as computed).
func (d Dataset) Bugs() iter.Seq[Bug] {
	return func(yield func(Bug) bool) {
		for i := range d.Size.Bugs {
			if !yield(d.Bug(i)) {
				return
			}
		}
	}
}

// Tickets yields every ticket, in index order.
func (d Dataset) Tickets() iter.Seq[Ticket] {
	return func(yield func(Ticket) bool) {
		for i := range d.Size.Tickets {
			if !yield(d.Ticket(i)) {
				return
			}
		}
	}
}

// Individuals yields the requesters who belong to no organization.
func (d Dataset) Individuals() iter.Seq[User] {
	return func(yield func(User) bool) {
		for k := range d.individuals() {
			if !yield(d.individual(k)) {
				return
			}
		}
	}
}

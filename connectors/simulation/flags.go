package simulation

import (
	"flag"
	"fmt"
)

// Default addresses of the simulators that helpdesk-sync-sim serves, which
// config/simulators.yaml points at.
const (
	ZendeskAddr = ":8081"
	JiraAddr    = ":8082"
)

// Flags are the command-line flags that choose a generated account:
// --seed and --tickets, and with shape --bugs and --orgs; without those
// two, bugs and organizations scale with --tickets from def.
type Flags struct {
	seed                *int64
	tickets, bugs, orgs *int
	def                 Size
}

// NewFlags puts the flags on fs with def's size as their defaults.
func NewFlags(fs *flag.FlagSet, def Size, shape bool) *Flags {
	f := &Flags{
		seed:    fs.Int64("seed", 42, "seed of the generated data"),
		tickets: fs.Int("tickets", def.Tickets, "Zendesk tickets to seed"),
		def:     def,
	}
	if shape {
		f.bugs = fs.Int("bugs", def.Bugs, "Jira bugs to seed")
		f.orgs = fs.Int("orgs", def.Orgs, "customer organizations to seed")
	}
	return f
}

// Dataset generates the account the parsed flags describe.
func (f *Flags) Dataset() (Dataset, error) {
	size := Size{Tickets: *f.tickets}
	if f.bugs != nil {
		size.Bugs, size.Orgs = *f.bugs, *f.orgs
	} else {
		size.Bugs = max(10, size.Tickets*f.def.Bugs/max(f.def.Tickets, 1))
		size.Orgs = max(10, size.Tickets*f.def.Orgs/max(f.def.Tickets, 1))
	}
	d, err := Generate(*f.seed, size)
	if err != nil {
		return d, fmt.Errorf("simulation: %w", err)
	}
	return d, nil
}

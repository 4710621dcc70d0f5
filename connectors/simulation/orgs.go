package simulation

import (
	"fmt"
	"math"
	"strings"
)

// Customer tiers, as the organization field TierField holds them.
const (
	TierEnterprise = "enterprise"
	TierPro        = "pro"
	TierFree       = "free"
)

// Org is a customer organization with its people.
type Org struct {
	ID    int64
	Name  string
	Tier  string
	Users []User
	// ARR is its annual recurring revenue in EUR, as the organization
	// field RevenueField holds it: whole hundreds, by tier (free
	// organizations pay nothing).
	ARR float64
}

// User is a requester: a member of an organization, or an individual
// (OrganizationID 0).
type User struct {
	ID             int64
	Name           string
	Email          string
	OrganizationID int64
}

// Ids are spaced so that each kind has its own range and none needs a
// lookup to be assigned (Zendesk's own ids are just as arbitrary).
const (
	orgBase     int64 = 90_000
	userBase    int64 = 100_000
	maxOrgUsers       = 8
)

// tierTickets is how many tickets an organization of each tier files,
// relative to the others (bigger customers use more of the product and
// write in more).
var (
	tiers       = []string{TierEnterprise, TierPro, TierFree}
	tierTickets = map[string]float64{TierEnterprise: 4, TierPro: 2, TierFree: 1}
	tierUsers   = map[string]int{TierEnterprise: 6, TierPro: 3, TierFree: 2}
)

// Org is organization j (0 ≤ j < Size.Orgs).
func (d Dataset) Org(j int) Org {
	r := d.rng(streamOrg, j)
	tier := d.orgTier(j)
	o := Org{ID: orgBase + int64(j) + 1, Name: orgName(j), Tier: tier, ARR: d.orgARR(j, tier)}
	domain := strings.ToLower(strings.ReplaceAll(o.Name, " ", "-")) + ".example"
	for k := range tierUsers[tier] {
		first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		o.Users = append(o.Users, User{
			ID:             userBase + int64(j)*maxOrgUsers + int64(k),
			Name:           first + " " + last,
			Email:          fmt.Sprintf("%s.%s%d@%s", strings.ToLower(first), strings.ToLower(last), k, domain),
			OrganizationID: o.ID,
		})
	}
	return o
}

// orgTier is Org(j).Tier without building the rest. Every tenth
// organization is an enterprise, so that even a small account has some;
// the others are pro or free, one to two.
func (d Dataset) orgTier(j int) string {
	if j%10 == 0 {
		return TierEnterprise
	}
	return []string{TierPro, TierFree}[pick(d.rng(streamTier, j), 1, 2)]
}

// tierARR is the range of annual revenue of each tier, in EUR.
var tierARR = map[string][2]float64{TierEnterprise: {120_000, 600_000}, TierPro: {12_000, 60_000}}

// orgARR is Org(j).ARR, from a stream of its own so that the rest of the
// organization does not depend on it.
func (d Dataset) orgARR(j int, tier string) float64 {
	lo, hi := tierARR[tier][0], tierARR[tier][1]
	if hi == 0 {
		return 0
	}
	return math.Round((lo+d.rng(streamRevenue, j).Float64()*(hi-lo))/100) * 100
}

// orgName is unique per index: a combination of two word lists, numbered
// once the combinations run out.
func orgName(j int) string {
	n := len(orgPrefixes) * len(orgSuffixes)
	name := orgPrefixes[j%len(orgPrefixes)] + " " + orgSuffixes[(j/len(orgPrefixes))%len(orgSuffixes)]
	if j >= n {
		name += fmt.Sprintf(" %d", j/n+1)
	}
	return name
}

// individuals is how many requesters write in without an organization.
func (d Dataset) individuals() int { return max(5, d.Size.Tickets/40) }

func (d Dataset) individual(k int) User {
	r := d.rng(streamUser, k)
	first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	return User{
		ID:    userBase + int64(d.Size.Orgs)*maxOrgUsers + int64(k),
		Name:  first + " " + last,
		Email: fmt.Sprintf("%s.%s%d@mail.example", strings.ToLower(first), strings.ToLower(last), k),
	}
}

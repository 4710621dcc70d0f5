// Package simulation runs the Zendesk and Jira simulators together, seeded
// with one coherent, realistic account: customer organizations in tiers,
// requesters, bugs across three projects in every status category, and
// tickets naming them the ways agents really do (upper and lower case,
// two keys, pasted browse links, link tags, keys of projects the service
// does not sync, keys of issues that do not exist).
//
// A Dataset is computed from a seed, record by record, so that the same
// seed gives the same account and a benchmark-sized one streams into the
// simulators without being held in memory twice. Bug popularity follows a
// Zipf law: a few bugs collect hundreds of customers, most collect one.
//
// Stack starts both simulators on listeners, seeds them and tells the
// service how to reach them; the simulate and demo subcommands and the
// benchmarks are built on it.
package simulation

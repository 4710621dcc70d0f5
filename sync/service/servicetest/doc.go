// Package servicetest is the test environment of helpdesk-sync: the
// options that tune the assembled service for tests, the demo and the
// benchmarks, and Env, the whole stack over real HTTP and a real Redis
// (both simulators, the service as production assembles it, a policy
// fixture, one event recorder and one fake clock) that end-to-end,
// webhook and board tests drive.
//
// The production binary never imports it: it pulls in the simulators.
package servicetest

// Package board is the impact board: which bugs hurt the most customers
// right now, which customers wait on which bugs and for how long, whether
// the backlog shrinks, and whether the sync is healthy.
//
// It reads the read models the engine's state keeps in Redis (sync/state:
// the ranking by weighted customers, the waits per organization, the
// customers waiting per status category and the shared health record), so
// every replica shows the same board, and it never calls a vendor.
//
// Model answers the queries; NewHandler serves them as a server-rendered
// page (/board, /board/customers) and as JSON (/api/v1/bugs,
// /api/v1/customers) behind a bearer token or basic auth; Monitor records
// the health the board shows at the end of each engine step.
package board

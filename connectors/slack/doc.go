// Package slack posts the service's notices to Slack incoming webhooks as
// Block Kit messages, exactly once per event as far as Slack allows.
//
// It has three parts:
//
//   - message builders (PriorityRaised, WentStale, Fixed, Released,
//     DailyDigest): pure functions from small structs to a Message that
//     keeps within Slack's limits whatever the input, escaping &, < and >
//     as Slack's mrkdwn requires;
//   - Client: one webhook. 429 waits out Retry-After (bounded), 5xx and
//     transport errors are retried with backoff, other 4xx are permanent
//     and name Slack's error code. The webhook URL is a secret: it appears
//     in no error and no log line, only the webhook's configured name;
//   - Outbox and Sender: a Redis outbox keyed by event id. Enqueue is one
//     Redis call and never talks to Slack, so a failing Slack never delays
//     the caller; Senders (one per replica) claim due events under a lease,
//     post them and mark them done.
//
// # Delivery guarantee, and its one window
//
// An event id is enqueued at most once (later enqueues of the same id are
// no-ops for Retention after delivery). A sender claims an event, records
// that it is about to post, posts, and marks the event done, each step
// fenced by the claim's token, and the lease covers the whole post. Slack's
// incoming webhooks take no idempotency key, so the one thing that cannot
// be made exactly-once is a sender dying after it recorded "posting" and
// before it recorded the outcome: the next sender cannot know whether
// Slack took the message. What happens then is the Sender's Interrupted
// policy: ResendInterrupted (the default) posts it again with a note that
// it may be a repeat — at most one extra copy per interruption;
// DropInterrupted gives it up and records it as uncertain — never a second
// copy, but possibly none. A sender dying anywhere else (after the claim
// and before posting, or after marking) costs nothing: the event is posted
// once. The window lasts one HTTP round trip; nothing else runs inside it,
// and a shutdown lets an in-flight post finish instead of cutting it.
package slack

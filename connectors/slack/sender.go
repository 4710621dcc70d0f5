package slack

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/clock"
)

// Interrupted is what a Sender does with an event whose previous sender
// died while posting it (see the package documentation).
type Interrupted int

const (
	// ResendInterrupted posts it again, marked as a possible repeat:
	// at least once.
	ResendInterrupted Interrupted = iota
	// DropInterrupted records it as uncertain and does not post it: at
	// most once.
	DropInterrupted
)

// Poster posts one message to one webhook; *Client is one.
type Poster interface {
	Post(ctx context.Context, m Message) error
}

// SenderOptions configure a Sender; zero values are usable defaults.
type SenderOptions struct {
	Webhooks    map[string]Poster // by name, as events name them
	Clock       clock.Clock       // default clock.Real
	Logger      *zap.Logger
	Interrupted Interrupted
	// Budget bounds one event's post, the Client's retries included;
	// default 2 minutes. The claim's lease is Budget plus a margin, so
	// no other sender takes an event while it is being posted.
	Budget time.Duration
	// Poll is the wait when nothing is due; default 2s.
	Poll time.Duration
	// MaxAttempts bounds the posts of one event across retries and
	// senders before it is recorded as failed; default 10.
	MaxAttempts int
	// RetryDelay is the first wait before a failed event is tried again,
	// doubling up to an hour; default 30s. A longer Retry-After wins.
	RetryDelay time.Duration
	// Outcome, when set, hears how each claimed event ended: "sent",
	// "retried" (due again later), "failed" or "uncertain" (dropped after
	// an interrupted post); for metrics. It must be quick.
	Outcome func(outcome string)
}

// Sender works an Outbox: run one per replica, in its own goroutine.
type Sender struct {
	box *Outbox
	opt SenderOptions
	log *zap.Logger
}

// leaseMargin covers the Redis calls around a post and clock skew
// between replicas.
const leaseMargin = 30 * time.Second

// NewSender returns a Sender for box.
func NewSender(box *Outbox, opt SenderOptions) *Sender {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Budget <= 0 {
		opt.Budget = 2 * time.Minute
	}
	if opt.Poll <= 0 {
		opt.Poll = 2 * time.Second
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 10
	}
	if opt.RetryDelay <= 0 {
		opt.RetryDelay = 30 * time.Second
	}
	log := opt.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &Sender{box: box, opt: opt, log: log}
}

// Run sends due events until ctx ends. A post under way when ctx ends is
// finished (within Budget) and recorded, so a shutdown does not widen the
// window in which a post's outcome is unknown.
func (s *Sender) Run(ctx context.Context) {
	for ctx.Err() == nil {
		err := s.Next(ctx)
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrNothingDue) && ctx.Err() == nil {
			s.log.Warn("slack sender", zap.Error(err))
		}
		select {
		case <-ctx.Done():
		case <-s.opt.Clock.After(s.opt.Poll):
		}
	}
}

// Next claims one due event and sends it; it returns an error wrapping
// ErrNothingDue when none is due.
func (s *Sender) Next(ctx context.Context) error {
	c, err := s.box.claim(ctx, s.opt.Budget+leaseMargin)
	if err != nil {
		if c.token != "" { // claimed but unreadable: nothing will fix it
			book, cancel := s.bookkeeping(ctx)
			defer cancel()
			return errors.Join(err, s.box.finish(book, c, "failed", err.Error()))
		}
		return err
	}
	return s.send(ctx, c)
}

// bookkeeping is a context for recording an outcome: it outlives ctx's
// cancellation, briefly, so a shutdown still records what was posted.
func (s *Sender) bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func (s *Sender) send(ctx context.Context, c claim) error {
	book, cancel := s.bookkeeping(ctx)
	defer cancel()
	log := s.log.With(zap.String("event", c.id), zap.String("webhook", c.webhook))
	msg := c.message
	if c.interrupted {
		if s.opt.Interrupted == DropInterrupted {
			log.Warn("slack event dropped: its sender died while posting it, so Slack may or may not have it")
			s.outcome("uncertain")
			return s.box.finish(book, c, "uncertain", "the sender died while posting; dropped (at most once)")
		}
		log.Warn("slack event resent: its sender died while posting it; the message may repeat")
		msg = withRepeatNote(msg)
	}
	hook := s.opt.Webhooks[c.webhook]
	if hook == nil {
		s.outcome("failed")
		return s.box.finish(book, c, "failed", "no webhook named "+c.webhook+" is configured")
	}
	if err := s.box.begin(ctx, c, s.opt.Budget+leaseMargin); err != nil {
		return err
	}
	// Only the post runs between begin and finish: that is the window.
	post, stop := context.WithTimeout(context.WithoutCancel(ctx), s.opt.Budget)
	err := hook.Post(post, msg)
	stop()
	if err == nil {
		s.outcome("sent")
		return s.box.finish(book, c, "done", "")
	}
	var se *Error
	temporary := !errors.As(err, &se) || se.Temporary()
	if !temporary || c.attempts+1 >= s.opt.MaxAttempts {
		log.Error("slack event failed", zap.Int("attempts", c.attempts+1), zap.Error(err))
		s.outcome("failed")
		return errors.Join(err, s.box.finish(book, c, "failed", err.Error()))
	}
	wait := s.retryDelay(c.attempts)
	if se != nil && se.RetryAfter > wait {
		wait = se.RetryAfter
	}
	log.Warn("slack event will be retried", zap.Duration("in", wait), zap.Error(err))
	s.outcome("retried")
	return s.box.retry(book, c, s.opt.Clock.Now().Add(wait), err.Error())
}

func (s *Sender) outcome(o string) {
	if s.opt.Outcome != nil {
		s.opt.Outcome(o)
	}
}

func (s *Sender) retryDelay(attempts int) time.Duration {
	d := s.opt.RetryDelay
	for range min(attempts, 20) {
		d *= 2
		if d >= time.Hour {
			return time.Hour
		}
	}
	return d
}

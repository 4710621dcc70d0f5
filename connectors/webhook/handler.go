package webhook

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/helpdesk-sync/helpdesk-sync/sync/engine"
)

var (
	errNoSecret     = errors.New("no secret configured for this source")
	errUnsigned     = errors.New("signature headers missing")
	errBadSignature = errors.New("signature does not match")
	errBadTimestamp = errors.New("signature timestamp outside the tolerance window")
	errMalformed    = errors.New("malformed body")
	errIgnored      = errors.New("names nothing the service follows")
)

// source is one vendor's webhook dialect.
type source struct {
	name string
	// precheck refuses, from the headers alone and before the body is
	// read, a delivery that cannot be authentic: no secret to check it
	// against, a signature missing or malformed, a timestamp outside the
	// window.
	precheck func(h http.Header, now time.Time) error
	// verify authenticates a delivery and returns the MAC it computed over
	// what the signature covers, which identifies the delivery for
	// deduplication whatever the spelling of its headers.
	verify func(h http.Header, body []byte, now time.Time) (mac []byte, err error)
	// parse names what a delivery is about: errMalformed when it cannot
	// tell, errIgnored when it is about nothing the service follows.
	parse func(body []byte) (names, error)
}

// names are what one delivery is about.
type names struct {
	event   string // the vendor's event name, for logs
	tickets []int64
	bugs    []string
	// versions are the ids of versions released (jira:version_released).
	versions []string
}

// outcome is how a delivery ended.
type outcome struct {
	result string
	status int
	names  names
	err    error // why, for the log: never a secret nor a signature
}

// endpoint serves one source.
func (r *Receiver) endpoint(src source, q Enqueuer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		o := r.receive(req, src, q)
		switch o.status {
		case http.StatusUnauthorized:
			w.WriteHeader(o.status) // nothing that would help a forger
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, http.StatusText(o.status), o.status)
		case http.StatusServiceUnavailable:
			w.Header().Set("Retry-After", "1")
			http.Error(w, http.StatusText(o.status), o.status)
		default:
			http.Error(w, http.StatusText(o.status), o.status)
		}
		r.record(req, src.name, o, time.Since(start))
	})
}

// receive checks, deduplicates and queues one delivery.
func (r *Receiver) receive(req *http.Request, src source, q Enqueuer) outcome {
	if req.Method != http.MethodPost {
		return outcome{result: ResultMethod, status: http.StatusMethodNotAllowed}
	}
	if req.ContentLength > r.opts.MaxBodyBytes {
		return outcome{result: ResultTooLarge, status: http.StatusRequestEntityTooLarge}
	}
	if err := src.precheck(req.Header, r.now()); err != nil {
		return refused(err)
	}
	mac, n, o := r.authentic(req, src)
	if o.status != 0 {
		return o
	}
	ctx := req.Context()
	seen := r.opts.Prefix + "webhooks:seen:" + src.name + ":" + hex.EncodeToString(mac[:16])
	fresh, err := r.opts.Redis.SetNX(ctx, seen, "1", 2*r.opts.Tolerance).Result()
	switch {
	case err != nil:
		return outcome{result: ResultFailed, status: http.StatusServiceUnavailable, names: n, err: err}
	case !fresh:
		return outcome{result: ResultDuplicate, status: http.StatusOK, names: n}
	}
	if err := enqueue(ctx, q, n); err != nil {
		if errors.Is(err, engine.ErrPermanent) {
			return outcome{result: ResultIgnored, status: http.StatusOK, names: n, err: err}
		}
		// Forget the delivery, so that the vendor's retry is not taken
		// for a duplicate.
		_ = r.opts.Redis.Del(context.WithoutCancel(ctx), seen).Err()
		return outcome{result: ResultFailed, status: http.StatusServiceUnavailable, names: n, err: err}
	}
	_, err = r.opts.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		if r.opts.Backstop > 0 {
			p.Set(ctx, r.healthKey(src.name), strconv.FormatInt(r.now().UnixMilli(), 10), r.opts.Backstop)
		}
		r.notify(ctx, p)
		return nil
	})
	if err != nil {
		// Queued: a worker finds it at its next period even unwoken.
		r.log.Warn("webhook queued, but the queue workers could not be woken", zap.String("source", src.name), zap.Error(err))
	}
	return outcome{result: ResultAccepted, status: http.StatusAccepted, names: n}
}

// authentic reads the body within the read budget, authenticates it and
// names what it is about. It returns the MAC that identifies the delivery,
// or an outcome with a status when the delivery ends here. The budget is
// held until the body is no longer needed.
func (r *Receiver) authentic(req *http.Request, src source) (mac []byte, n names, o outcome) {
	share := req.ContentLength
	if share < 0 {
		share = r.opts.MaxBodyBytes // unknown until read
	}
	ctx, cancel := context.WithTimeout(req.Context(), r.opts.ReadWait)
	err := r.reads.Acquire(ctx, share)
	cancel()
	if err != nil {
		return nil, n, outcome{result: ResultBusy, status: http.StatusServiceUnavailable,
			err: fmt.Errorf("no share of the read budget (%d bytes) within %s: %w", r.opts.ReadBudget, r.opts.ReadWait, err)}
	}
	defer r.reads.Release(share)
	body, err := readBody(req, r.opts.MaxBodyBytes)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, n, outcome{result: ResultTooLarge, status: http.StatusRequestEntityTooLarge}
	case err != nil:
		return nil, n, outcome{result: ResultMalformed, status: http.StatusBadRequest, err: err}
	}
	if mac, err = src.verify(req.Header, body, r.now()); err != nil {
		return nil, n, refused(err)
	}
	n, err = src.parse(body)
	switch {
	case errors.Is(err, errIgnored):
		return nil, n, outcome{result: ResultIgnored, status: http.StatusOK, names: n}
	case err != nil:
		return nil, n, outcome{result: ResultMalformed, status: http.StatusBadRequest, names: n, err: err}
	}
	return mac, n, outcome{}
}

var errTooLarge = errors.New("body over the limit")

// readBody reads the whole body, in one allocation when its length is
// known (receive has refused one declared longer than limit).
func readBody(req *http.Request, limit int64) ([]byte, error) {
	if req.ContentLength >= 0 {
		body := make([]byte, req.ContentLength)
		if _, err := io.ReadFull(req.Body, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err == nil && int64(len(body)) > limit {
		return nil, errTooLarge
	}
	return body, err
}

// refused is the outcome of a delivery that failed authentication.
func refused(err error) outcome {
	if errors.Is(err, errBadTimestamp) {
		return outcome{result: ResultBadTimestamp, status: http.StatusUnauthorized, err: err}
	}
	return outcome{result: ResultUnauthorized, status: http.StatusUnauthorized, err: err}
}

// record counts and logs a delivery: refusals loudly, the rest at debug
// (a busy account delivers many a second).
func (r *Receiver) record(req *http.Request, source string, o outcome, took time.Duration) {
	if r.opts.Observer != nil {
		r.opts.Observer.Delivery(source, o.result)
	}
	fields := []zap.Field{
		zap.String("source", source), zap.String("result", o.result), zap.Int("status", o.status),
		zap.Duration("took", took), zap.String("remote", req.RemoteAddr),
	}
	if o.names.event != "" {
		fields = append(fields, zap.String("event", o.names.event))
	}
	if len(o.names.tickets) > 0 {
		fields = append(fields, zap.Int64s("tickets", o.names.tickets))
	}
	if len(o.names.versions) > 0 {
		fields = append(fields, zap.Strings("versions", o.names.versions))
	}
	if len(o.names.bugs) > 0 {
		fields = append(fields, zap.Strings("bugs", o.names.bugs))
	}
	if o.err != nil {
		fields = append(fields, zap.Error(o.err))
	}
	switch o.result {
	case ResultAccepted, ResultDuplicate, ResultIgnored:
		r.log.Debug("webhook delivery", fields...)
	case ResultFailed:
		r.log.Error("webhook delivery not queued; the vendor will retry", fields...)
	default:
		r.log.Warn("webhook delivery refused", fields...)
	}
}

// enqueue queues what a delivery names: released versions on a
// ReleaseEnqueuer (an Enqueuer that is not one ignores them, wrapping
// engine.ErrPermanent), tickets and bugs on the Enqueuer.
func enqueue(ctx context.Context, q Enqueuer, n names) error {
	if len(n.versions) > 0 {
		rq, ok := q.(ReleaseEnqueuer)
		if !ok {
			return fmt.Errorf("webhook: versions %v released, but releases are not tracked: %w", n.versions, engine.ErrPermanent)
		}
		return rq.EnqueueReleases(ctx, n.versions)
	}
	return q.Enqueue(ctx, n.tickets, n.bugs)
}

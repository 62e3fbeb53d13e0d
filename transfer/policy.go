package transfer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/haul-s3/haul/object"
)

// Policy is how a failed request is sent again: the one policy of every request haul makes,
// the engine's transfers and every other command's listings, deletes and aborts alike.
type Policy struct {
	// Retries is how many times one failed request is sent again (0: never).
	Retries int
	// Base and Max shape the exponential backoff between attempts: a random wait up to
	// Base·2^n, capped at Max (full jitter).
	Base, Max time.Duration
	// StallTimeout cancels and retries an attempt that moves nothing for this long (no
	// byte of a body, no entry of a listing: see Touch); 0 never does.
	StallTimeout time.Duration
	// ThrottleTimeout is how long a streak of throttled answers (no success between them)
	// may last before the request fails with a *ThrottledError; 0 is no limit. Throttled
	// attempts do not count against Retries.
	ThrottleTimeout time.Duration

	gate  *throttleGate // the engine's, shared by all its requests; nil: a gate of the call's own
	limit *limiter      // the engine's request limit, which listings take a slot of per page; nil: none
}

// Policy returns the engine's retry policy (from its Options). Its throttle backoff is
// the engine's, shared by every request made under it.
func (e *Engine) Policy() Policy {
	return Policy{Retries: e.opts.Retries, Base: e.opts.RetryBase, Max: e.opts.RetryMax, StallTimeout: e.opts.StallTimeout,
		ThrottleTimeout: e.opts.ThrottleTimeout, gate: e.gate, limit: e.limit}
}

// Do runs attempt until it succeeds, fails for good (an error that is not Retryable), runs
// out of retries, or ctx ends; each attempt is watched for stalls. A throttled attempt
// (an error with a Throttled method that says so) is retried after the shared throttle
// backoff without counting against Retries, until ThrottleTimeout. onRetry, when not nil,
// hears of each failed attempt that will be retried, with the wait before the next. attempt
// must be safe to run again.
func (p Policy) Do(ctx context.Context, attempt func(context.Context) error, onRetry func(err error, attempt int, delay time.Duration)) error {
	return p.retry(ctx, func(ctx context.Context) error { return watchStall(ctx, p.StallTimeout, attempt) }, onRetry)
}

// List runs a listing under the policy (Do). For each attempt it calls list with fresh, which
// list calls for each entry it receives: fresh touches the stall watch and says whether the
// entry is new. A listing that fails part way is listed again from the start, and the
// entries the failed attempts delivered are passed over by count: servers list in a fixed
// order (not always byte order: a posix backend walks directories), so the first seen are
// the same.
func (p Policy) List(ctx context.Context, list func(ctx context.Context, fresh func() bool) error) error {
	delivered := 0
	return p.Do(ctx, func(ctx context.Context) error {
		n := 0
		return list(ctx, func() bool {
			Touch(ctx)
			if n++; n <= delivered {
				return false
			}
			delivered = n
			return true
		})
	}, nil)
}

// ListPrefix calls fn for every object under prefix, in the listing's order, under the
// engine's retry policy (Policy.ListPrefix with the engine's store).
func (e *Engine) ListPrefix(ctx context.Context, bucket, prefix string, fn func(context.Context, object.Info) error) error {
	return e.Policy().ListPrefix(ctx, e.store, bucket, prefix, fn)
}

// ListPrefix calls fn for every object of st under prefix, in the listing's order, under
// the policy, each once: a listing that fails part way goes on from the page that failed
// when st can (PageLister, ListerResume), passing over the keys of that page it gave
// already, and is otherwise listed again from the start with every key already given
// passed over (List). fn is called from one goroutine at a time, with a context for Hold
// and each object; its own errors end the listing (return one that is not Retryable).
//
// Under the engine's policy (Engine.Policy) a store that lists page by page (PageLister)
// is listed with a request slot per page and, when the prefix holds large common
// prefixes, in parallel (see the comment at the top of listing.go). Otherwise the
// listing is one stream of pages.
func (p Policy) ListPrefix(ctx context.Context, st Lister, bucket, prefix string, fn func(context.Context, object.Info) error) error {
	if pl, ok := st.(PageLister); ok && p.limit != nil {
		return p.listPages(ctx, pl, bucket, prefix, fn)
	}
	lr, ok := st.(ListerResume)
	if !ok {
		return p.List(ctx, func(ctx context.Context, fresh func() bool) error {
			return st.List(ctx, bucket, prefix, func(info object.Info) error {
				if !fresh() {
					return nil
				}
				return fn(ctx, info)
			})
		})
	}
	token := ""     // of the page to list next, or again
	pageToken := "" // of the page the keys counted in given come from
	given := 0      // keys of that page given to fn
	return p.doResuming(ctx, func(ctx context.Context, progressed *bool) error {
		skip := 0
		if token == pageToken {
			skip = given // the page that failed comes again from its first key
		}
		pageToken, given = token, 0
		return lr.ListResume(ctx, bucket, prefix, &token, func(info object.Info) error {
			Touch(ctx)
			if token != pageToken { // a new page
				pageToken, given, skip = token, 0, 0
			}
			if given++; given <= skip {
				return nil
			}
			*progressed = true
			return fn(ctx, info)
		})
	})
}

// doResuming runs attempt under the policy (Do). An attempt that fails, retryably, having
// got further than the one before it (it sets *progressed) ends Do, and Do starts again
// with its retries afresh: a long listing goes on from where it stopped, and is failed only
// by failures that come one after another, not by ones far apart.
func (p Policy) doResuming(ctx context.Context, attempt func(ctx context.Context, progressed *bool) error) error {
	for {
		err := p.Do(ctx, func(ctx context.Context) error {
			progressed := false
			err := attempt(ctx, &progressed)
			if err != nil && progressed && IsRetryable(err) {
				return resumeFrom{err}
			}
			return err
		}, nil)
		if !errors.As(err, new(resumeFrom)) {
			return err
		}
	}
}

// resumeFrom ends an attempt at a listing that got further than the one before it, so that
// its retries start afresh from where it stopped.
type resumeFrom struct{ error }

func (r resumeFrom) Unwrap() error { return r.error }
func (resumeFrom) Retryable() bool { return false }

// retry is Do without the stall watch (the engine's requests watch stalls themselves, once
// they hold a request slot).
func (p Policy) retry(ctx context.Context, attempt func(context.Context) error, onRetry func(err error, attempt int, delay time.Duration)) error {
	gate := p.gate
	if gate == nil {
		gate = &throttleGate{}
	}
	for n := 1; ; n++ {
		if err := gate.wait(ctx); err != nil {
			return err
		}
		err := attempt(ctx)
		if err == nil {
			gate.ok()
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if throttled(err) {
			delay, lasted := gate.throttled(p.Base, p.Max)
			if p.ThrottleTimeout > 0 && lasted > p.ThrottleTimeout {
				return &ThrottledError{For: lasted, Err: err}
			}
			if onRetry != nil {
				onRetry(err, n, delay)
			}
			n-- // the wait is the gate's; the retries are for real failures
			continue
		}
		if n > p.Retries || !IsRetryable(err) {
			return err
		}
		delay := p.backoff(n)
		if onRetry != nil {
			onRetry(err, n, delay)
		}
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		}
	}
}

func (p Policy) backoff(attempt int) time.Duration {
	limit := p.Base << min(attempt, 20)
	if limit > p.Max || limit <= 0 {
		limit = p.Max
	}
	if limit <= 0 {
		return time.Millisecond
	}
	return rand.N(limit) + time.Millisecond
}

// IsRetryable reports whether err says that sending the same request again may succeed:
// it (or an error it wraps) has a Retryable method that returns true, and it is not a
// failure of the local source.
func IsRetryable(err error) bool {
	var src *SourceError
	if errors.As(err, &src) {
		return false
	}
	var r interface{ Retryable() bool }
	return errors.As(err, &r) && r.Retryable()
}

// retry runs attempt under the engine's policy, reporting each retry as an event of the
// task's item.
func (t *task) retry(ctx context.Context, attempt func(context.Context) error) error {
	return t.e.Policy().retry(ctx, attempt, func(err error, n int, delay time.Duration) {
		t.emit(Event{Kind: Retrying, Item: t.it, Err: err, Attempt: n, Delay: delay})
	})
}

// Retry runs fn, a request made outside a copy (a listing, a delete), under the engine's
// policy (Policy.Do): retried when it fails retryably, and cancelled and retried when it
// stalls. fn must be safe to run again; a listing should call Touch for each entry.
func (e *Engine) Retry(ctx context.Context, fn func(context.Context) error) error {
	return e.Policy().Do(ctx, fn, nil)
}

// StallError is an attempt cancelled because it moved no byte for the stall timeout. It is
// retried like a dropped connection.
type StallError struct{ After time.Duration }

func (e *StallError) Error() string {
	return fmt.Sprintf("no byte moved for %s: request cancelled", e.After)
}

// Retryable reports true: the next attempt may find a live connection.
func (e *StallError) Retryable() bool { return true }

type stallKey struct{}

// stallTimer cancels an attempt unless it is touched at least every d.
type stallTimer struct {
	t *time.Timer
	d time.Duration
}

func (s *stallTimer) touch() { s.t.Reset(s.d) }

// Touch tells the stall watch of the attempt running under ctx (Policy.Do, Engine.Retry)
// that it is moving: a listing calls it for each entry it receives. Without a watch it does
// nothing.
func Touch(ctx context.Context) {
	if st, ok := ctx.Value(stallKey{}).(*stallTimer); ok {
		st.touch()
	}
}

// Hold stops the stall watch of the attempt running under ctx while the caller waits on
// something other than the server (a listing handing an item to a busy scheduler); the
// function it returns starts the watch again.
func Hold(ctx context.Context) func() {
	st, ok := ctx.Value(stallKey{}).(*stallTimer)
	if !ok {
		return func() {}
	}
	st.t.Stop()
	return st.touch
}

// watchStall runs one attempt with a context that is cancelled when the attempt moves no
// byte for d (0: no watch); the readers and writers of its bodies report bytes through
// moved, listings through Touch.
func watchStall(ctx context.Context, d time.Duration, do func(context.Context) error) error {
	if d <= 0 {
		return do(ctx)
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := &StallError{After: d}
	st := &stallTimer{t: time.AfterFunc(d, func() { cancel(stall) }), d: d}
	defer st.t.Stop()
	err := do(context.WithValue(actx, stallKey{}, st))
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(actx), stall) {
		return stall
	}
	return err
}

package transfer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/haul-s3/haul/object"
)

// run is the state of one call into the Engine: its events and its summary.
type run struct {
	e      *Engine
	obs    Observer       // the call's observer, else the engine's
	object object.Options // the call's object options, for items that bring none
	start  time.Time
	parent context.Context         // the caller's context: cancelled means interrupted
	stop   context.CancelCauseFunc // cancels the run's own context, derived from parent

	dirs sync.Map // directories made for downloads

	mu      sync.Mutex // guards sum and stopped, and serialises Observe
	sum     Summary
	stopped error // the failure that stopped the run, when one did
}

// newRun starts a call into the Engine. The context it returns is the run's: it ends when
// ctx does, or when a failure that every item would meet stops the run (see stopsRun).
// The caller must end the run with finish.
func (e *Engine) newRun(ctx context.Context, c *callOptions) (*run, context.Context) {
	rctx, stop := context.WithCancelCause(ctx)
	r := &run{e: e, obs: e.opts.Observer, object: e.opts.Object, start: time.Now(), parent: ctx, stop: stop}
	if c != nil {
		if c.observer != nil {
			r.obs = c.observer
		}
		if c.object != nil {
			r.object = *c.object
		}
	}
	return r, rctx
}

func (r *run) emit(ev Event) {
	if r.obs == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.obs.Observe(ev)
}

// task is one item being carried out: what it reports (progress, retries, notes, aborts)
// names the item.
type task struct {
	*run
	it       Item
	verified string // what the item's bytes were checked against, once they were
}

func (t *task) progress(n int64) {
	if n != 0 {
		t.emit(Event{Kind: Progress, Item: t.it, Bytes: n})
	}
}

func (t *task) notice(note string) {
	t.emit(Event{Kind: Notice, Item: t.it, Note: note})
}

// runItem carries out one item and records its outcome. ctx is the run's context.
func (r *run) runItem(ctx context.Context, it Item) {
	if it.Err != nil {
		r.failed(ctx, it, it.Err)
		return
	}
	t := &task{run: r, it: it}
	start := time.Now()
	size, err := t.do(ctx)
	t.it.Size = size
	switch {
	case errors.Is(err, errAlreadyDone):
		r.mu.Lock()
		r.sum.Done++
		r.sum.Skipped++
		r.sum.Bytes += size
		r.mu.Unlock()
		r.emit(Event{Kind: Skipped, Item: t.it})
	case err != nil:
		r.failed(ctx, t.it, err)
	default:
		r.mu.Lock()
		r.sum.Done++
		r.sum.Bytes += size
		r.mu.Unlock()
		r.emit(Event{Kind: Done, Item: t.it, Elapsed: time.Since(start), Verified: t.verified})
	}
}

// failed records an item that was not transferred. An item cut short because the run was
// cancelled or stopped is not done, not failed; a failure that every other item would meet
// too (see stopsRun) is recorded as failed once and stops the run.
func (r *run) failed(ctx context.Context, it Item, err error) {
	r.mu.Lock()
	stops := false
	switch {
	case ctx.Err() != nil || r.stopped != nil:
		cause := context.Cause(ctx)
		if r.stopped != nil {
			cause = r.stopped
		}
		if cause == nil {
			cause = err
		}
		r.sum.NotDone++
		r.sum.Unfinished = append(r.sum.Unfinished, Failure{Item: it, Err: cause})
		r.mu.Unlock()
		r.emit(Event{Kind: NotDone, Item: it, Err: cause})
		return
	case stopsRun(err, r.sum.Done == 0):
		stops = true
		r.stopped = err
		r.stop(&StoppedError{Err: err})
	}
	r.sum.Failed++
	r.sum.Failures = append(r.sum.Failures, Failure{Item: it, Err: err})
	r.mu.Unlock()
	r.emit(Event{Kind: Failed, Item: it, Err: err, StopsRun: stops})
}

// finish ends the run and returns its summary and error:
//   - a *StoppedError when a failure that every item would meet stopped it;
//   - the caller's context's error when the call was cancelled before every item it had
//     found was finished (or before it had found them all); a call whose items all
//     finished before the cancel returns as if it had not been cancelled;
//   - err, the producer's own failure (a listing that failed), when there is one;
//   - the one item's error when the run had one item and it failed;
//   - an *ItemsError, which wraps ErrSomeFailed and every failed item's error, when some
//     items failed.
func (r *run) finish(err error) (Summary, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.stop(nil)
	r.sum.Elapsed = time.Since(r.start)
	sum := r.sum
	interrupted := r.parent.Err() != nil && (sum.NotDone > 0 || errors.Is(err, r.parent.Err()))
	switch {
	case r.stopped != nil:
		return sum, &StoppedError{Err: r.stopped}
	case interrupted:
		return sum, r.parent.Err()
	case err != nil && stopsRun(err, sum.Done == 0):
		return sum, &StoppedError{Err: err}
	case err != nil:
		return sum, err
	case sum.Failed > 0 && sum.Done+sum.Failed == 1:
		return sum, sum.Failures[0].Err
	case sum.Failed > 0:
		return sum, &ItemsError{Total: sum.Failed + sum.Done, Failures: sum.Failures}
	}
	return sum, nil
}

// ItemsError is the error of a run of several items in which some failed. errors.Is and
// errors.As search through it to every failed item's error, and errors.Is(err,
// ErrSomeFailed) holds.
type ItemsError struct {
	Total    int       // items done and failed
	Failures []Failure // the failed items, with their errors
}

func (e *ItemsError) Error() string {
	return fmt.Sprintf("%d of %d items failed", len(e.Failures), e.Total)
}

// Unwrap returns ErrSomeFailed and each failed item's error.
func (e *ItemsError) Unwrap() []error {
	errs := make([]error, 0, len(e.Failures)+1)
	errs = append(errs, ErrSomeFailed)
	for _, f := range e.Failures {
		errs = append(errs, f.Err)
	}
	return errs
}

// StoppedError is the error of a run that a failure every other item would meet too
// stopped early: credentials the server refused, a bucket that does not exist, a server
// that cannot be reached, or access denied before anything was transferred. Err is that
// failure; the item it happened to is in Summary.Failures, and the items left unfinished
// are in Summary.Unfinished.
type StoppedError struct{ Err error }

func (e *StoppedError) Error() string { return "run stopped: " + e.Err.Error() }

// Unwrap returns the failure that stopped the run.
func (e *StoppedError) Unwrap() error { return e.Err }

// stopsRun reports whether err, an item's failure, will be every other item's failure too,
// so that the run should stop rather than fail each item in turn: the store says so of it
// (a StopsRun method: refused credentials, a missing bucket, an unreachable server), or it
// is a denial (a Denied method) and nothing has been transferred yet. A failure of a local
// source never stops a run.
func stopsRun(err error, nothingDone bool) bool {
	var src *SourceError
	if errors.As(err, &src) {
		return false
	}
	var s interface{ StopsRun() bool }
	if errors.As(err, &s) && s.StopsRun() {
		return true
	}
	var d interface{ Denied() bool }
	return nothingDone && errors.As(err, &d) && d.Denied()
}

// errAlreadyDone is returned by an item's transfer when the journal shows it was done.
var errAlreadyDone = errors.New("already done")

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

// retry runs attempt until it succeeds, fails for good, runs out of retries or ctx ends.
// Between attempts it waits a random time up to an exponentially growing cap (full jitter).
func (t *task) retry(ctx context.Context, attempt func(context.Context) error) error {
	for n := 1; ; n++ {
		err := attempt(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if n > t.e.opts.Retries || !IsRetryable(err) {
			return err
		}
		delay := t.backoff(n)
		t.emit(Event{Kind: Retrying, Item: t.it, Err: err, Attempt: n, Delay: delay})
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		}
	}
}

// Retry runs fn, a request made outside a copy (a listing, a delete), under the engine's
// retry policy: Options.Retries attempts more when it fails retryably, with the same
// backoff. fn must be safe to run again.
func (e *Engine) Retry(ctx context.Context, fn func(context.Context) error) error {
	r, rctx := e.newRun(ctx, nil)
	defer r.stop(nil)
	return (&task{run: r}).retry(rctx, fn)
}

func (r *run) backoff(attempt int) time.Duration {
	limit := r.e.opts.RetryBase << min(attempt, 20)
	if limit > r.e.opts.RetryMax || limit <= 0 {
		limit = r.e.opts.RetryMax
	}
	return rand.N(limit) + time.Millisecond
}

// call is retry for a request that needs a request slot: each attempt takes one and gives
// it back. When held is true the caller already took the slot for the first attempt. An
// attempt that moves no byte for the stall timeout is cancelled and retried.
func (t *task) call(ctx context.Context, held bool, do func(context.Context) error) error {
	return t.slotted(ctx, held, t.e.opts.StallTimeout, do)
}

// slotted is call with the stall timeout given (0: none).
func (t *task) slotted(ctx context.Context, held bool, stall time.Duration, do func(context.Context) error) error {
	return t.retry(ctx, func(ctx context.Context) error {
		if !held {
			if err := t.e.limit.acquire(ctx); err != nil {
				return err
			}
		}
		held = false
		epoch := t.e.limit.current()
		var err error
		if stall <= 0 {
			err = do(ctx)
		} else {
			err = watchStall(ctx, stall, do)
		}
		if note := t.e.limit.release(epoch, err); note != "" {
			t.emit(Event{Kind: Notice, Note: note})
		}
		return err
	})
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

// watchStall runs one attempt with a context that is cancelled when the attempt moves no
// byte for d; the readers and writers of its bodies report bytes through moved.
func watchStall(ctx context.Context, d time.Duration, do func(context.Context) error) error {
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

// moved returns the progress function for the bodies of one attempt: it reports progress
// and tells the attempt's stall timer that bytes are moving.
func (t *task) moved(ctx context.Context) func(int64) {
	st, ok := ctx.Value(stallKey{}).(*stallTimer)
	if !ok {
		return t.progress
	}
	return func(n int64) {
		st.touch()
		t.progress(n)
	}
}

// cleanupTimeout bounds the requests made after a cancel (aborting uploads).
const cleanupTimeout = 2 * time.Minute

// detached returns a context that is not cancelled with ctx, for requests that must finish
// even when the run is being cancelled: learning an upload ID, completing, aborting.
func detached(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

package transfer

import (
	"context"
	"errors"
	"fmt"
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
	it         Item
	verified   string          // what the item's bytes were checked against, once they were
	unverified string          // why a download's bytes could not be checked, when they could not
	noGrants   string          // why a copy's source grants could not be read, when they could not
	etag       string          // the ETag of the object an upload wrote, once it did
	version    string          // and its version ID, when the bucket keeps versions
	whole      object.Checksum // the whole-file checksum an upload recorded (haul-checksum), or a download was checked against
	meta       seenMetadata    // the user metadata a download's GET brought
	share      *ShareOutcome   // what a shared upload (Item.Share) did, once it knew its shard
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
	if it.Move && (err == nil || errors.Is(err, errAlreadyDone)) {
		if merr := t.removeSource(ctx); merr != nil {
			err = merr
		}
	}
	if (t.it.Op == Upload || t.it.Op == Copy) && t.etag != "" {
		t.it.ETag = t.etag
	}
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
		r.emit(Event{Kind: Done, Item: t.it, Elapsed: time.Since(start), Verified: t.verified, Unverified: t.unverified, NoGrants: t.noGrants, Checksum: t.whole, VersionID: t.version, Share: t.share})
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
		if len(r.sum.Unfinished) < MaxListed {
			r.sum.Unfinished = append(r.sum.Unfinished, Failure{Item: it, Err: cause})
		}
		r.mu.Unlock()
		r.emit(Event{Kind: NotDone, Item: it, Err: cause})
		return
	case stopsRun(err, r.sum.Done == 0):
		stops = true
		r.stopped = err
		r.stop(&StoppedError{Err: err})
	}
	r.sum.Failed++
	if len(r.sum.Failures) < MaxListed {
		r.sum.Failures = append(r.sum.Failures, Failure{Item: it, Err: err})
	}
	r.mu.Unlock()
	r.emit(Event{Kind: Failed, Item: it, Err: err, StopsRun: stops})
}

// ignored records an entry a producer passed over on purpose (Item.Skip).
func (r *run) ignored(it Item) {
	r.mu.Lock()
	r.sum.Ignored++
	r.mu.Unlock()
	r.emit(Event{Kind: Ignored, Item: it, Err: it.Skip})
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
		return sum, &ItemsError{Total: sum.Failed + sum.Done, Failed: sum.Failed, Failures: sum.Failures}
	}
	return sum, nil
}

// MaxListed is how many items a Summary lists in Failures, and how many in Unfinished: the
// first ones, while its counts (Failed, NotDone) count every one. A run in which a million
// files fail holds a thousand of them, not a million; an Observer sees each in its Failed
// or NotDone event.
const MaxListed = 1000

// ItemsError is the error of a run of several items in which some failed. errors.Is and
// errors.As search through it to the error of each failed item it lists, and errors.Is(err,
// ErrSomeFailed) holds.
type ItemsError struct {
	Total    int       // items done and failed
	Failed   int       // items that failed
	Failures []Failure // the failed items, with their errors: the first MaxListed of them
}

func (e *ItemsError) Error() string {
	return fmt.Sprintf("%d of %d items failed", max(e.Failed, len(e.Failures)), e.Total)
}

// Unwrap returns ErrSomeFailed and each listed failed item's error.
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
		err := watchStall(ctx, stall, do)
		if note := t.e.limit.release(epoch, err); note != "" {
			t.emit(Event{Kind: Notice, Note: note})
		}
		return err
	})
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

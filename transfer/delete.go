package transfer

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/haul-s3/haul/object"
)

// Delete is the operation of an item that removes an object (Item.Object) or, for an item
// with no object, a local file (Item.Path).
const Delete Op = "delete"

// Deleter is the store capability Delete needs for objects: deleting up to 1,000 keys of a
// bucket in one request (S3's DeleteObjects). failed holds the keys the server could not
// delete, with why; err is a failure of the request as a whole. A key that does not exist
// counts as deleted.
type Deleter interface {
	DeleteObjects(ctx context.Context, bucket string, keys []string) (failed map[string]error, err error)
}

// deleteBatch is the most keys one DeleteObjects request takes.
const deleteBatch = 1000

// errNoDeleter is returned by Delete on a store that cannot delete.
var errNoDeleter = errors.New("this store cannot delete objects")

// deletes sends Delete items of objects in DeleteObjects batches, up to the engine's
// concurrency of batches at once, and records each key's outcome in its run. One goroutine
// (the producer's) calls add, send and end; each batch runs on a goroutine of its own, its
// request under the engine's request limit and retry policy. At most concurrency+1 batches
// of keys are held: one being filled and the ones in flight.
type deletes struct {
	t     *task
	d     Deleter
	batch []Item      // the batch being filled
	free  chan []Item // buffers for batches: a send takes one, its batch gives it back
	wg    sync.WaitGroup

	failing atomic.Bool // err is set
	mu      sync.Mutex
	err     error               // the first batch request that failed for good
	failed  map[string]struct{} // when listing again: keys the server could not delete (they stay listed)
}

func newDeletes(r *run, d Deleter) *deletes {
	n := r.e.opts.Concurrency
	b := &deletes{t: &task{run: r}, d: d, free: make(chan []Item, n)}
	for range n {
		b.free <- nil
	}
	return b
}

func (b *deletes) done(it Item, start time.Time) {
	r := b.t.run
	r.mu.Lock()
	r.sum.Done++
	r.mu.Unlock()
	r.emit(Event{Kind: Done, Item: it, Elapsed: time.Since(start)})
}

// failure returns the error of the batch that failed for good and ends the run, if one did.
func (b *deletes) failure() error {
	if !b.failing.Load() {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// failedBefore reports whether key is one the server could not delete in this run.
func (b *deletes) failedBefore(key string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.failed[key]
	return ok
}

// add queues an object's deletion; the batch is sent when it is full or it (the next item)
// is of another bucket. ctx is the run's. It waits while every batch is in flight, and
// returns the error that ends the run: that of a batch that failed for good, or ctx's.
// An item it refuses is recorded as not done.
func (b *deletes) add(ctx context.Context, it Item) error {
	if err := b.stopping(ctx); err != nil {
		b.notDone(ctx, it, err)
		return err
	}
	if len(b.batch) > 0 && b.batch[0].Object.Bucket != it.Object.Bucket {
		if err := b.send(ctx); err != nil {
			b.notDone(ctx, it, err)
			return err
		}
	}
	b.t.emit(Event{Kind: Queued, Item: it})
	b.batch = append(b.batch, it)
	if len(b.batch) < deleteBatch {
		return nil
	}
	return b.send(ctx)
}

// stopping returns why no more keys are sent: ctx ended, or a batch failed for good.
func (b *deletes) stopping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.failure()
}

// send starts the batch being filled, if any, once fewer than concurrency batches are in
// flight. When the run is ending instead its keys are recorded as not done, and the error
// that ends it is returned.
func (b *deletes) send(ctx context.Context) error {
	if len(b.batch) == 0 {
		return b.stopping(ctx)
	}
	var buf []Item
	took := false
	select {
	case buf = <-b.free:
		took = true
	case <-ctx.Done():
	}
	if err := b.stopping(ctx); err != nil {
		if took {
			b.free <- buf
		}
		for _, it := range b.batch {
			b.notDone(ctx, it, err)
		}
		b.batch = b.batch[:0]
		return err
	}
	batch := b.batch
	b.batch = buf[:0]
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		b.delete(ctx, batch)
		b.free <- batch
	}()
	return nil
}

// end sends the batch being filled (unless the run is ending: then its keys are recorded
// as not done) and waits for every batch in flight.
func (b *deletes) end(ctx context.Context) {
	_ = b.send(ctx)
	b.wg.Wait()
}

// delete sends one batch and records each of its keys as done or failed; a request that
// fails for good ends the run.
func (b *deletes) delete(ctx context.Context, batch []Item) {
	keys := make([]string, len(batch))
	for i, it := range batch {
		keys[i] = it.Object.Key
	}
	start := time.Now()
	var failed map[string]error
	err := b.t.call(ctx, false, func(ctx context.Context) error {
		var err error
		failed, err = b.d.DeleteObjects(ctx, batch[0].Object.Bucket, keys)
		return err
	})
	if err != nil {
		b.mu.Lock()
		if b.err == nil {
			b.err = err
			b.failing.Store(true)
		}
		b.mu.Unlock()
	} else if len(failed) > 0 {
		b.mu.Lock()
		if b.failed != nil { // a listing again would find them
			for k := range failed {
				b.failed[k] = struct{}{}
			}
		}
		b.mu.Unlock()
	}
	for _, it := range batch {
		switch {
		case err != nil:
			b.t.failed(ctx, it, err)
		case failed[it.Object.Key] != nil:
			b.t.failed(ctx, it, failed[it.Object.Key])
		default:
			b.done(it, start)
		}
	}
}

// notDone records a key queued or found that will not be sent: the run was cancelled or
// stopped (the run's own record), or a batch failed for good (cause).
func (b *deletes) notDone(ctx context.Context, it Item, cause error) {
	r := b.t.run
	r.mu.Lock()
	if ctx.Err() != nil || r.stopped != nil {
		r.mu.Unlock()
		r.failed(ctx, it, cause)
		return
	}
	r.sum.NotDone++
	if len(r.sum.Unfinished) < MaxListed {
		r.sum.Unfinished = append(r.sum.Unfinished, Failure{Item: it, Err: cause})
	}
	r.mu.Unlock()
	r.emit(Event{Kind: NotDone, Item: it, Err: cause})
}

// Delete carries out the Delete items that produce makes: objects in DeleteObjects batches
// of up to 1,000 keys of one bucket, up to Options.Concurrency batches in flight at once
// (each request takes one of the engine's request slots) while produce goes on, under the
// engine's retry policy; local files (items with no Object) by removing them as they come,
// a file already gone counting as removed. Each item is reported once: Done, Failed, or
// NotDone when the run ends before it is sent. A batch whose request fails after its
// retries fails its keys and ends the run: the producer is told to stop, the batches in
// flight finish, and the keys queued but not sent are not done. Objects need a store that
// is a Deleter.
func (e *Engine) Delete(ctx context.Context, produce Producer, opts ...CallOption) (Summary, error) {
	r, ctx := e.newRun(ctx, collect(opts))
	d, _ := e.store.(Deleter)
	b := newDeletes(r, d)
	err := produce(ctx, func(it Item) bool {
		switch {
		case ctx.Err() != nil:
			r.failed(ctx, it, ctx.Err())
			return false
		case it.Err != nil:
			r.failed(ctx, it, it.Err)
			return true
		case it.Object.Bucket == "":
			r.emit(Event{Kind: Queued, Item: it})
			start := time.Now()
			if err := os.Remove(it.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
				r.failed(ctx, it, err)
			} else {
				b.done(it, start)
			}
			return true
		case d == nil:
			r.failed(ctx, it, errNoDeleter)
			return true
		}
		return b.add(ctx, it) == nil
	})
	b.end(ctx)
	return r.finish(err)
}

// DeletePrefix deletes every object whose key starts with src.Key (a prefix, which should be
// empty or end in "/", or a whole key) that f (nil: every key) matches, the path the filter
// sees being the key relative to src.Key, in batches of up to 1,000 keys per request, up to
// Options.Concurrency batches in flight while the listing goes on, under the engine's retry
// policy. Each key is an item of the Delete operation: the Summary and the events (Done,
// Failed or NotDone, once per key) say which were deleted. A batch whose request fails
// after its retries ends the run, as in Delete.
//
// A store that lists page by page (PageLister) is listed as ListPrefix lists: in parallel
// over large common prefixes, each page's request under the request limit the batches
// share, and a listing that fails part way goes on from the page that failed (whose keys
// were not given yet; the keys deleted since are simply gone from it). Another store is
// listed again from the start once the batches in flight have finished: the keys deleted
// are gone from it, and those the server could not delete are passed over (they are
// remembered for that). Either way no key is sent or reported twice, and an attempt that
// found keys before it failed gives the next ones their retries afresh.
// The store must be a Deleter.
func (e *Engine) DeletePrefix(ctx context.Context, src object.Ref, f Filter, opts ...CallOption) (Summary, error) {
	r, ctx := e.newRun(ctx, collect(opts))
	d, ok := e.store.(Deleter)
	if !ok {
		return r.finish(errNoDeleter)
	}
	b := newDeletes(r, d)
	add := func(lctx context.Context, info object.Info) error {
		if f != nil && !f.Match(strings.TrimPrefix(info.Key, src.Key)) {
			return nil
		}
		resume := Hold(lctx) // the listing waits for a batch to finish, not for the server
		defer resume()
		if err := b.add(ctx, Item{Op: Delete, Object: object.Ref{Bucket: src.Bucket, Key: info.Key}, Size: info.Size}); err != nil {
			return final{err} // the run is ending: do not list again
		}
		return nil
	}
	var err error
	if _, ok := e.store.(PageLister); ok {
		err = e.ListPrefix(ctx, src.Bucket, src.Key, add)
	} else {
		err = b.relisting(ctx, e, src, add)
	}
	b.end(ctx)
	if errors.As(err, new(final)) {
		err = nil // the keys are counted failed or not done, with the error
	}
	return r.finish(err)
}

// relisting lists src under the engine's policy with a store that can only list from the
// start, calling add with each key it has not given before; a listing that fails waits for
// the batches queued and in flight before it lists again.
func (b *deletes) relisting(ctx context.Context, e *Engine, src object.Ref, add func(context.Context, object.Info) error) error {
	b.mu.Lock()
	b.failed = map[string]struct{}{}
	b.mu.Unlock()
	return e.Policy().doResuming(ctx, func(actx context.Context, found *bool) error {
		err := e.store.List(actx, src.Bucket, src.Key, func(info object.Info) error {
			Touch(actx)
			if b.failedBefore(info.Key) {
				return nil
			}
			*found = true
			return add(actx, info)
		})
		if err == nil || errors.As(err, new(final)) {
			return err
		}
		resume := Hold(actx)
		b.end(ctx) // a listing again must not find keys still queued or in flight
		resume()
		return err
	})
}

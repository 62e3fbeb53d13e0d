package transfer

import (
	"context"
	"errors"
	"os"
	"strings"
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

// deletes sends Delete items of objects in DeleteObjects batches and records each key's
// outcome in its run.
type deletes struct {
	t     *task
	d     Deleter
	batch []Item
}

func (b *deletes) done(it Item, start time.Time) {
	r := b.t.run
	r.mu.Lock()
	r.sum.Done++
	r.mu.Unlock()
	r.emit(Event{Kind: Done, Item: it, Elapsed: time.Since(start)})
}

// add queues an object's deletion; the batch is sent when it is full or it (the next item)
// is of another bucket. The error is that of a batch that failed after its retries.
func (b *deletes) add(ctx context.Context, it Item) error {
	if len(b.batch) > 0 && b.batch[0].Object.Bucket != it.Object.Bucket {
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	b.t.emit(Event{Kind: Queued, Item: it})
	b.batch = append(b.batch, it)
	if len(b.batch) < deleteBatch {
		return nil
	}
	return b.flush(ctx)
}

// flush sends the batch, if any, and records each of its keys as done or failed.
func (b *deletes) flush(ctx context.Context) error {
	if len(b.batch) == 0 {
		return nil
	}
	keys := make([]string, len(b.batch))
	for i, it := range b.batch {
		keys[i] = it.Object.Key
	}
	start := time.Now()
	var failed map[string]error
	resume := Hold(ctx) // a listing that produces the keys waits for the delete, not the server
	err := b.t.call(ctx, false, func(ctx context.Context) error {
		var err error
		failed, err = b.d.DeleteObjects(ctx, b.batch[0].Object.Bucket, keys)
		return err
	})
	resume()
	for _, it := range b.batch {
		switch {
		case err != nil:
			b.t.failed(ctx, it, err)
		case failed[it.Object.Key] != nil:
			b.t.failed(ctx, it, failed[it.Object.Key])
		default:
			b.done(it, start)
		}
	}
	b.batch = b.batch[:0]
	return err
}

// Delete carries out the Delete items that produce makes, in order, one request at a time:
// objects in DeleteObjects batches of up to 1,000 keys of one bucket under the engine's
// retry policy, local files (items with no Object) by removing them, a file already gone
// counting as removed. Each item is reported Done or Failed. A batch that fails after its
// retries fails its keys and ends the run: the producer is told to stop. Objects need a
// store that is a Deleter.
func (e *Engine) Delete(ctx context.Context, produce Producer, opts ...CallOption) (Summary, error) {
	r, ctx := e.newRun(ctx, collect(opts))
	d, _ := e.store.(Deleter)
	b := &deletes{t: &task{run: r}, d: d}
	var stopped error // a batch that failed for good
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
		stopped = b.add(ctx, it)
		return stopped == nil
	})
	if err == nil && stopped == nil {
		_ = b.flush(ctx) // its keys' outcomes are recorded
	}
	return r.finish(err)
}

// DeletePrefix deletes every object whose key starts with src.Key (a prefix, which should be
// empty or end in "/", or a whole key) that f (nil: every key) matches, the path the filter
// sees being the key relative to src.Key, in batches of up to 1,000 keys per request under
// the engine's retry policy. Each key is an item of the Delete operation: the Summary and
// the events (Done or Failed, per key) say which were deleted. A listing that fails part
// way is listed again, which finds the keys already deleted gone (so it cannot pass over
// keys by count, as Policy.List does). The store must be a Deleter.
func (e *Engine) DeletePrefix(ctx context.Context, src object.Ref, f Filter, opts ...CallOption) (Summary, error) {
	r, ctx := e.newRun(ctx, collect(opts))
	d, ok := e.store.(Deleter)
	if !ok {
		return r.finish(errNoDeleter)
	}
	b := &deletes{t: &task{run: r}, d: d}
	err := e.Retry(ctx, func(ctx context.Context) error {
		b.batch = b.batch[:0] // listed again below
		return e.store.List(ctx, src.Bucket, src.Key, func(info object.Info) error {
			Touch(ctx)
			if f != nil && !f.Match(strings.TrimPrefix(info.Key, src.Key)) {
				return nil
			}
			if err := b.add(ctx, Item{Op: Delete, Object: object.Ref{Bucket: src.Bucket, Key: info.Key}, Size: info.Size}); err != nil {
				return final{err} // the delete had its retries: do not list again
			}
			return nil
		})
	})
	if err == nil {
		_ = b.flush(ctx) // its keys' outcomes are recorded
	}
	if errors.As(err, new(final)) {
		err = nil // the batch's keys are counted failed, with the error
	}
	return r.finish(err)
}

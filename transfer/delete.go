package transfer

import (
	"context"
	"errors"
	"time"

	"github.com/haul-s3/haul/object"
)

// Delete is the operation of an item that removes an object.
const Delete Op = "delete"

// Deleter is the store capability DeletePrefix needs: deleting up to 1,000 keys of a bucket
// in one request (S3's DeleteObjects). failed holds the keys the server could not delete,
// with why; err is a failure of the request as a whole. A key that does not exist counts as
// deleted.
type Deleter interface {
	DeleteObjects(ctx context.Context, bucket string, keys []string) (failed map[string]error, err error)
}

// deleteBatch is the most keys one DeleteObjects request takes.
const deleteBatch = 1000

// errNoDeleter is returned by DeletePrefix on a store that cannot delete.
var errNoDeleter = errors.New("this store cannot delete objects")

// DeletePrefix deletes every object whose key starts with src.Key (a prefix, which should be
// empty or end in "/", or a whole key) that f (nil: every key) matches, the path the filter
// sees being the key relative to src.Key, in batches of up to 1,000 keys per request under
// the engine's retry policy. Each key is an item of the Delete operation: the Summary and
// the events (Done or Failed, per key) say which were deleted. A listing that fails part
// way is listed again, which finds the keys already deleted gone. The store must be a
// Deleter.
func (e *Engine) DeletePrefix(ctx context.Context, src object.Ref, f Filter, opts ...CallOption) (Summary, error) {
	r, ctx := e.newRun(ctx, collect(opts))
	d, ok := e.store.(Deleter)
	if !ok {
		return r.finish(errNoDeleter)
	}
	t := &task{run: r}
	var batch []Item
	flush := func(ctx context.Context) error {
		if len(batch) == 0 {
			return nil
		}
		keys := make([]string, len(batch))
		for i, it := range batch {
			keys[i] = it.Object.Key
		}
		start := time.Now()
		var failed map[string]error
		err := t.call(ctx, false, func(ctx context.Context) error {
			var err error
			failed, err = d.DeleteObjects(ctx, src.Bucket, keys)
			return err
		})
		for _, it := range batch {
			switch {
			case err != nil:
				r.failed(ctx, it, err)
			case failed[it.Object.Key] != nil:
				r.failed(ctx, it, failed[it.Object.Key])
			default:
				r.mu.Lock()
				r.sum.Done++
				r.mu.Unlock()
				r.emit(Event{Kind: Done, Item: it, Elapsed: time.Since(start)})
			}
		}
		batch = batch[:0]
		return err
	}
	err := e.Retry(ctx, func(ctx context.Context) error {
		batch = batch[:0]
		return e.store.List(ctx, src.Bucket, src.Key, func(info object.Info) error {
			Touch(ctx)
			rel := info.Key[len(src.Key):]
			if f != nil && !f.Match(rel) {
				return nil
			}
			it := Item{Op: Delete, Object: object.Ref{Bucket: src.Bucket, Key: info.Key}, Size: info.Size}
			r.emit(Event{Kind: Queued, Item: it})
			batch = append(batch, it)
			if len(batch) < deleteBatch {
				return nil
			}
			resume := Hold(ctx) // the listing waits for the delete, not for the server
			err := flush(ctx)
			resume()
			if err != nil {
				return final{err} // the delete had its retries: do not list again
			}
			return nil
		})
	})
	if err == nil {
		_ = flush(ctx) // its keys' outcomes are recorded
	}
	if errors.As(err, new(final)) {
		err = nil // the batch's keys are counted failed, with the error
	}
	return r.finish(err)
}

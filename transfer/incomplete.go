package transfer

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/object"
)

// Requests in flight for counting parts (ListParts) and for aborting incomplete uploads,
// within the engine's own limit.
const (
	countConcurrency = 8
	abortConcurrency = 16
)

// Incomplete is an incomplete multipart upload, with what its parts hold when they were
// counted (Counted), or why they could not be (Err).
type Incomplete struct {
	object.Upload
	Bucket  string
	Parts   int
	Bytes   int64
	Counted bool
	Err     error
}

// Ref returns the object the upload would make.
func (u *Incomplete) Ref() object.Ref { return object.Ref{Bucket: u.Bucket, Key: u.Key} }

// errNoUploadLister is returned by ListIncomplete on a store that cannot list uploads.
var errNoUploadLister = errors.New("this store cannot list incomplete multipart uploads")

// ListIncomplete lists the incomplete multipart uploads whose key starts with prefix (a
// whole key works too) that keep (nil: every one) keeps, in the store's order, under the
// engine's retry policy (a listing retried part way passes over what it already gave). With
// count it then asks for each upload's parts (ListParts, a few at a time) and records their
// number and bytes, or why they could not be listed. When the listing fails part way it
// returns the uploads listed before the error, with the error. The store must be an
// UploadLister (and a PartLister to count).
func (e *Engine) ListIncomplete(ctx context.Context, bucket, prefix string, keep func(object.Upload) bool, count bool) ([]Incomplete, error) {
	lister, ok := e.store.(UploadLister)
	if !ok {
		return nil, errNoUploadLister
	}
	var ups []Incomplete
	err := e.Policy().List(ctx, func(ctx context.Context, fresh func() bool) error {
		return lister.ListUploads(ctx, bucket, prefix, func(u object.Upload) error {
			if fresh() && (keep == nil || keep(u)) {
				ups = append(ups, Incomplete{Upload: u, Bucket: bucket})
			}
			return nil
		})
	})
	if count {
		e.countParts(ctx, ups)
	}
	return ups, err
}

// countParts counts the parts of every upload, a few at a time; when ctx ends, the uploads
// not yet counted stay uncounted.
func (e *Engine) countParts(ctx context.Context, ups []Incomplete) {
	var g errgroup.Group
	g.SetLimit(countConcurrency)
	for i := range ups {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error { e.count(ctx, &ups[i]); return nil })
	}
	_ = g.Wait()
}

// count asks for one upload's parts and records their number and bytes, or why not.
func (e *Engine) count(ctx context.Context, u *Incomplete) {
	lister, ok := e.store.(PartLister)
	if !ok {
		u.Err = errors.New("this store cannot list parts")
		return
	}
	var parts []object.Part
	err := e.Retry(ctx, func(ctx context.Context) error {
		var err error
		parts, err = lister.ListParts(ctx, u.Ref(), u.UploadID)
		return err
	})
	if err != nil {
		u.Err = err
		return
	}
	u.Counted, u.Parts, u.Bytes = true, len(parts), 0
	for _, p := range parts {
		u.Bytes += p.Size
	}
}

// AbortIncomplete aborts the uploads, a few at a time under the engine's retry policy, with
// count counting each one's parts first (so that what was freed can be told), and calls
// done for each upload as its abort ends, with the abort's error (calls are serialised). An
// upload already gone counts as aborted. When ctx ends, the uploads not yet aborted are left
// and done is not called for them.
func (e *Engine) AbortIncomplete(ctx context.Context, ups []Incomplete, count bool, done func(*Incomplete, error)) {
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(abortConcurrency)
	for i := range ups {
		if ctx.Err() != nil {
			break
		}
		u := &ups[i]
		g.Go(func() error {
			if count {
				e.count(ctx, u)
			}
			err := e.Retry(ctx, func(ctx context.Context) error {
				return e.store.AbortMultipartUpload(ctx, u.Ref(), u.UploadID)
			})
			if ctx.Err() != nil {
				return nil // interrupted: not a failure of this upload
			}
			mu.Lock()
			defer mu.Unlock()
			done(u, err)
			return nil
		})
	}
	_ = g.Wait()
}

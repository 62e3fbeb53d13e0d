package cli

import (
	"context"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/transfer"
)

// retried is the store as every command but cp's copy uses it: each request under the one
// retry policy of the engine (transfer.Policy, with its defaults), each attempt watched for
// stalls, and a listing retried part way passing over what it already delivered. cp's copy
// gives the engine the store itself: the engine retries its own requests, under the same
// policy, holding a request slot per attempt.
type retried struct {
	*s3store.Store
	p transfer.Policy
}

func retrying(store *s3store.Store) *retried {
	return &retried{Store: store, p: transfer.New(store, transfer.Options{}).Policy()}
}

func (r *retried) do(ctx context.Context, fn func(context.Context) error) error {
	return r.p.Do(ctx, fn, nil)
}

// ListDir lists one level (or every key, without a delimiter) of a prefix; see s3store.
func (r *retried) ListDir(ctx context.Context, bucket, prefix, delim string, fn func(object.Info) error, onPrefix func(string) error) error {
	return r.p.List(ctx, func(ctx context.Context, fresh func() bool) error {
		return r.Store.ListDir(ctx, bucket, prefix, delim, func(o object.Info) error {
			if fresh() {
				return fn(o)
			}
			return nil
		}, func(p string) error {
			if fresh() {
				return onPrefix(p)
			}
			return nil
		})
	})
}

// ListBuckets lists the buckets.
func (r *retried) ListBuckets(ctx context.Context) (names []string, err error) {
	err = r.do(ctx, func(ctx context.Context) error {
		names, err = r.Store.ListBuckets(ctx)
		return err
	})
	return names, err
}

// DeleteObject deletes one object.
func (r *retried) DeleteObject(ctx context.Context, ref object.Ref) error {
	return r.do(ctx, func(ctx context.Context) error { return r.Store.DeleteObject(ctx, ref) })
}

// BucketExists says whether the bucket exists.
func (r *retried) BucketExists(ctx context.Context, bucket string) (ok bool, err error) {
	err = r.do(ctx, func(ctx context.Context) error {
		ok, err = r.Store.BucketExists(ctx, bucket)
		return err
	})
	return ok, err
}

// CreateBucket creates a bucket (one already owned counts as created).
func (r *retried) CreateBucket(ctx context.Context, bucket, region string) error {
	return r.do(ctx, func(ctx context.Context) error { return r.Store.CreateBucket(ctx, bucket, region) })
}

// LifecycleRules returns the bucket's lifecycle rules.
func (r *retried) LifecycleRules(ctx context.Context, bucket string) (rules []s3store.LifecycleRule, err error) {
	err = r.do(ctx, func(ctx context.Context) error {
		rules, err = r.Store.LifecycleRules(ctx, bucket)
		return err
	})
	return rules, err
}

// PutAbortIncompleteRule installs or replaces the rule that aborts incomplete uploads.
func (r *retried) PutAbortIncompleteRule(ctx context.Context, bucket, id string, days int32) (replaced bool, err error) {
	err = r.do(ctx, func(ctx context.Context) error {
		replaced, err = r.Store.PutAbortIncompleteRule(ctx, bucket, id, days)
		return err
	})
	return replaced, err
}

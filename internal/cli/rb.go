package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/transfer"
)

func (a *app) rbCommand() *cobra.Command {
	var force bool
	var concurrency int
	cmd := &cobra.Command{
		Use:   "rb s3://bucket [--force]",
		Short: "Remove a bucket; --force empties it first",
		Long: `Remove a bucket. The server refuses a bucket that holds objects, and so does rb; with
--force, rb first deletes every object in it (as rm -r does) and aborts every incomplete
multipart upload in it (as uploads abort does), then removes it.

A versioned bucket keeps its older versions and delete markers when its objects are deleted,
and rb does not delete versions: the server then refuses to remove the bucket, and rb says
so and exits 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if concurrency < 1 {
				return usagef("--concurrency %d: give at least 1", concurrency)
			}
			return a.rb(cmd.Context(), args[0], force, concurrency)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "delete every object and abort every incomplete upload in the bucket first")
	cmd.Flags().IntVar(&concurrency, "concurrency", transfer.DefaultConcurrency, "--force: delete requests (of up to 1,000 keys each) in flight at once")
	return cmd
}

// rbSummary counts what rb did.
type rbSummary struct {
	deleted, failed, notDone, removed int
	aborts                            uploadsSummary
}

func (a *app) rb(ctx context.Context, arg string, force bool, concurrency int) error {
	bucket, err := bucketArg(arg, "rb removes a bucket")
	if err != nil {
		return err
	}
	conns := 1
	if force {
		conns = concurrency
	}
	store, err := a.store(ctx, conns)
	if err != nil {
		return err
	}
	out := a.output()
	var sum rbSummary
	if force {
		err = a.emptyBucket(ctx, store, bucket, concurrency, &sum)
	} else {
		err = refuseUploads(ctx, store, bucket)
	}
	if err == nil {
		err = a.removeBucket(ctx, store, bucket, force)
	}
	if err == nil {
		sum.removed = 1
		out.did(event{Event: "removed", Bucket: bucket}, "remove_bucket: s3://"+bucket)
	}
	ev := event{Deleted: new(sum.deleted), Aborted: new(sum.aborts.uploads), Failed: new(sum.failed + sum.aborts.failed), Removed: new(sum.removed)}
	text := ""
	if force {
		text = fmt.Sprintf("%d deleted, %s aborted, %d failed", sum.deleted, plural(sum.aborts.uploads, "upload", "uploads"), sum.failed+sum.aborts.failed)
		if sum.notDone > 0 {
			ev.NotDone = new(sum.notDone)
			text += fmt.Sprintf(", %d not done", sum.notDone)
		}
		text += map[bool]string{true: "; the bucket was removed", false: "; the bucket was not removed"}[sum.removed == 1]
	}
	out.summary(ev, text, err)
	return err
}

// emptyBucket deletes every object in the bucket (the engine's DeletePrefix, as rm -r does)
// and aborts every incomplete multipart upload in it (as uploads abort does), saying each.
// It returns an error, printed or not, when anything was left.
func (a *app) emptyBucket(ctx context.Context, store *s3store.Store, bucket string, concurrency int, sum *rbSummary) error {
	out := a.output()
	obs := transfer.ObserverFunc(func(ev transfer.Event) {
		switch ev.Kind {
		case transfer.Done:
			out.did(deletedEvent(ev.Item.Object.Bucket, ev.Item.Object.Key))
		case transfer.Failed:
			if !ev.StopsRun {
				out.failed(event{Op: "delete", Dst: ev.Item.Object.String()}, ev.Err)
			}
		}
	})
	e := transfer.New(store, transfer.Options{Concurrency: concurrency, Observer: obs})
	ds, err := e.DeletePrefix(ctx, object.Ref{Bucket: bucket}, nil)
	sum.deleted, sum.failed, sum.notDone = ds.Done, ds.Failed, ds.NotDone
	if _, ok := stoppedBy(err); ok {
		return &stopError{err: errors.Unwrap(err), done: ds.Done}
	}
	if err != nil {
		if ds.Failed > 0 && errors.Is(err, transfer.ErrSomeFailed) {
			return errReported // each failure has been printed
		}
		return err
	}
	ups, err := e.ListIncomplete(ctx, bucket, "", nil, false)
	if err != nil {
		return err
	}
	e.AbortIncomplete(ctx, ups, true, func(l *transfer.Incomplete, err error) {
		reportAbort(out, l, err, false, &sum.aborts)
	})
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case sum.aborts.failed > 0:
		return errReported
	}
	return nil
}

// refuseUploads returns an error if the bucket holds incomplete multipart uploads. The
// servers haul is tested with remove such a bucket, parts and all, but an upload may be
// another program's copy in progress: rb without --force leaves it alone.
func refuseUploads(ctx context.Context, store *s3store.Store, bucket string) error {
	ups, err := transfer.New(store, transfer.Options{}).ListIncomplete(ctx, bucket, "", nil, false)
	switch {
	case err != nil:
		return err
	case len(ups) > 0:
		return fmt.Errorf("s3://%s holds %s (haul uploads ls s3://%s lists them); --force aborts them, and deletes every object in it, first",
			bucket, plural(len(ups), "incomplete multipart upload", "incomplete multipart uploads"), bucket)
	}
	return nil
}

// removeBucket deletes the bucket and, when the server says it is not empty, says why as
// well as haul can tell: objects (without --force), or versions kept by versioning.
func (a *app) removeBucket(ctx context.Context, store *s3store.Store, bucket string, force bool) error {
	r := retrying(store)
	err := r.do(ctx, func(ctx context.Context) error { return store.DeleteBucket(ctx, bucket) })
	var e *s3store.Error
	if !errors.As(err, &e) || e.Code != "BucketNotEmpty" {
		return err
	}
	if !force {
		return fmt.Errorf("s3://%s is not empty; --force deletes every object and incomplete upload in it first: %w", bucket, err)
	}
	var status string
	verr := r.do(ctx, func(ctx context.Context) error {
		var err error
		status, err = store.Versioning(ctx, bucket)
		return err
	})
	switch {
	case verr == nil && status != "":
		return fmt.Errorf("s3://%s still holds object versions or delete markers (its versioning is %s), which rb does not delete; "+
			"delete them with the server's own tools or a lifecycle rule, then run haul rb again: %w", bucket, status, err)
	case verr == nil:
		return fmt.Errorf("s3://%s is not empty although every object listed was deleted: something may be writing to it; run haul rb --force again: %w", bucket, err)
	}
	return fmt.Errorf("s3://%s is not empty after every object listed was deleted; it may hold object versions (asking for its versioning failed: %v), "+
		"or something may be writing to it: %w", bucket, advise(verr), err)
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/transfer"
)

// lsFlags are the flags of ls.
type lsFlags struct {
	recursive   bool
	failIfEmpty bool
}

func (a *app) lsCommand() *cobra.Command {
	var f lsFlags
	cmd := &cobra.Command{
		Use:   "ls [s3://bucket[/prefix]]",
		Short: "List buckets, or the objects and prefixes under a prefix",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || args[0] == object.Scheme {
				if f.failIfEmpty {
					return usagef("--fail-if-empty: give the prefix to look under, s3://bucket[/prefix]")
				}
				return a.listBuckets(cmd.Context())
			}
			return a.list(cmd.Context(), args[0], &f)
		},
	}
	cmd.Flags().BoolVarP(&f.recursive, "recursive", "r", false, "list every key under the prefix instead of one level")
	cmd.Flags().BoolVar(&f.failIfEmpty, "fail-if-empty", false, "exit 1 if the prefix holds no objects")
	return cmd
}

func (a *app) listBuckets(ctx context.Context) error {
	store, err := a.store(ctx, 1)
	if err != nil {
		return err
	}
	names, err := retrying(store).ListBuckets(ctx)
	out := a.output()
	for _, n := range names {
		out.listed(event{Event: "bucket", Bucket: n}, "s3://"+n)
	}
	out.summary(event{Buckets: new(len(names))}, plural(len(names), "bucket", "buckets"), err)
	return err
}

func (a *app) list(ctx context.Context, arg string, f *lsFlags) error {
	conns := 1
	if f.recursive {
		conns = transfer.DefaultConcurrency // a prefix of large common prefixes is listed in parallel
	}
	u, store, err := a.connect(ctx, arg, conns)
	if err != nil {
		return err
	}
	l := listing{out: a.output()}
	r := retrying(store)
	if f.recursive {
		err = r.p.ListPrefix(ctx, store, u.Bucket, u.Key, func(_ context.Context, o object.Info) error {
			l.object(o)
			return nil
		})
	} else {
		err = r.ListDir(ctx, u.Bucket, u.Key, "/", func(o object.Info) error {
			l.object(o)
			return nil
		}, func(p string) error {
			l.prefix(p)
			return nil
		})
	}
	switch {
	case err != nil || l.objects+l.prefixes > 0:
	case f.failIfEmpty:
		err = failEmpty(l.out, u)
	default:
		noteEmpty(l.out, u)
	}
	text := plural(l.objects, "object", "objects") + ", " + bytesize.Format(l.bytes)
	if !f.recursive {
		text += ", " + plural(l.prefixes, "prefix", "prefixes")
	}
	l.out.summary(event{Objects: new(l.objects), Prefixes: new(l.prefixes), Bytes: new(l.bytes)}, text, err)
	return err
}

// noteEmpty says that no object is under u.
func noteEmpty(out *output, u object.Ref) {
	out.note(event{Src: u.String()}, "no objects under "+u.String())
}

// failEmpty says that no object is under u, also with --quiet, and returns the error that
// fails a command run with --fail-if-empty.
func failEmpty(out *output, u object.Ref) error {
	text := "no objects under " + u.String()
	out.failingNote(event{Src: u.String()}, text)
	return reported{errors.New(text + " (--fail-if-empty)")}
}

// listing prints what ls lists and counts it. Its methods are called one at a time.
type listing struct {
	out               *output
	objects, prefixes int
	bytes             int64
}

func (l *listing) object(o object.Info) {
	l.objects++
	l.bytes += o.Size
	l.out.listed(event{Event: "object", Key: o.Key, Size: new(o.Size), ETag: o.ETag, LastModified: o.LastModified.UTC().Format(time.RFC3339)},
		fmt.Sprintf("%s %12d  %s", o.LastModified.Local().Format("2006-01-02 15:04:05"), o.Size, o.Key))
}

func (l *listing) prefix(p string) {
	l.prefixes++
	l.out.listed(event{Event: "prefix", Key: p}, fmt.Sprintf("%19s %12s  %s", "", "PRE", p))
}

func (a *app) mbCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "mb s3://bucket",
		Short: "Make a bucket (in --region)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bucket, err := bucketArg(args[0], "mb makes a bucket")
			if err != nil {
				return err
			}
			store, err := a.store(cmd.Context(), 1)
			if err != nil {
				return err
			}
			err = retrying(store).CreateBucket(cmd.Context(), bucket, a.region)
			out := a.output()
			created := 0
			if err == nil {
				created = 1
				out.did(event{Event: "created", Bucket: bucket}, "make_bucket: s3://"+bucket)
			}
			out.summary(event{Created: new(created)}, "", err)
			return err
		},
	}
}

func (a *app) rmCommand() *cobra.Command {
	var recursive bool
	var concurrency int
	cmd := &cobra.Command{
		Use:   "rm [-r] s3://bucket/key",
		Short: "Delete an object, or every object under a prefix (-r)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if concurrency < 1 {
				return usagef("--concurrency %d: give at least 1", concurrency)
			}
			return a.rm(cmd.Context(), args[0], recursive, concurrency)
		},
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "delete every object under the prefix")
	cmd.Flags().IntVar(&concurrency, "concurrency", transfer.DefaultConcurrency, "-r: delete requests (of up to 1,000 keys each) in flight at once")
	return cmd
}

func (a *app) rm(ctx context.Context, arg string, recursive bool, concurrency int) error {
	conns := 1
	if recursive {
		conns = concurrency
	}
	u, store, err := a.connect(ctx, arg, conns)
	if err != nil {
		return err
	}
	if recursive {
		return a.rmAll(ctx, store, u, concurrency)
	}
	if u.IsDir() {
		return usagef("%s names a prefix: use -r to delete everything under it", arg)
	}
	err = retrying(store).DeleteObject(ctx, object.Ref{Bucket: u.Bucket, Key: u.Key})
	out := a.output()
	deleted, failed := 0, 0
	if err == nil {
		deleted = 1
		out.did(deletedEvent(u.Bucket, u.Key))
	} else if ctx.Err() == nil {
		failed = 1
	}
	out.summary(event{Deleted: new(deleted), Failed: new(failed)}, "", err)
	return err
}

// rmAll deletes every object under u's prefix (the engine's DeletePrefix: batches of up to
// 1,000 keys per request, concurrency of them at once while the listing goes on), saying
// each key it deleted or could not delete.
func (a *app) rmAll(ctx context.Context, store *s3store.Store, u object.Ref, concurrency int) error {
	out := a.output()
	if u.Key != "" && !strings.HasSuffix(u.Key, "/") {
		u.Key += "/"
	}
	obs := transfer.ObserverFunc(func(ev transfer.Event) {
		switch ev.Kind {
		case transfer.Done:
			out.did(deletedEvent(ev.Item.Object.Bucket, ev.Item.Object.Key))
		case transfer.Failed:
			if !ev.StopsRun { // a failure that stops the run is said once, at the end
				out.failed(event{Op: "delete", Dst: ev.Item.Object.String()}, ev.Err)
			}
		}
	})
	e := transfer.New(store, transfer.Options{Concurrency: concurrency, Observer: obs})
	sum, err := e.DeletePrefix(ctx, object.Ref{Bucket: u.Bucket, Key: u.Key}, nil)
	if err == nil && sum.Done+sum.Failed == 0 {
		noteEmpty(out, u)
	}
	if sum.Failed > 0 && (errors.Is(err, transfer.ErrSomeFailed) || sum.Done+sum.Failed == 1) {
		err = errReported // each failure has been printed
	}
	if _, ok := stoppedBy(err); ok {
		err = &stopError{err: errors.Unwrap(err), done: sum.Done}
	}
	ev := event{Deleted: new(sum.Done), Failed: new(sum.Failed)}
	text := fmt.Sprintf("%d deleted, %d failed", sum.Done, sum.Failed)
	if sum.NotDone > 0 { // listed, not sent: the run was cancelled or a batch failed
		ev.NotDone = new(sum.NotDone)
		text += fmt.Sprintf(", %d not done", sum.NotDone)
	}
	out.summary(ev, text, err)
	return err
}

// deletedEvent is what rm says of an object it deleted.
func deletedEvent(bucket, key string) (event, string) {
	dst := object.Ref{Bucket: bucket, Key: key}.String()
	return event{Event: "deleted", Dst: dst}, "delete: " + dst
}

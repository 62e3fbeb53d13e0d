package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/s3url"
	"github.com/haul-s3/haul/transfer"
)

func (a *app) lsCommand() *cobra.Command {
	var recursive bool
	cmd := &cobra.Command{
		Use:   "ls [s3://bucket[/prefix]]",
		Short: "List buckets, or the objects and prefixes under a prefix",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || args[0] == s3url.Scheme {
				return a.listBuckets(cmd.Context())
			}
			return a.list(cmd.Context(), args[0], recursive)
		},
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "list every key under the prefix instead of one level")
	return cmd
}

func (a *app) listBuckets(ctx context.Context) error {
	store, err := a.store(ctx, 1)
	if err != nil {
		return err
	}
	var names []string
	err = retrying(store).Retry(ctx, func(ctx context.Context) error {
		names, err = store.ListBuckets(ctx)
		return err
	})
	for _, n := range names {
		fmt.Fprintf(a.stdout, "s3://%s\n", n)
	}
	return err
}

func (a *app) list(ctx context.Context, arg string, recursive bool) error {
	u, store, err := a.connect(ctx, arg, 1)
	if err != nil {
		return err
	}
	delim := "/"
	if recursive {
		delim = ""
	}
	// A listing that fails part way is listed again; what was printed is passed over.
	printed := 0
	return retrying(store).Retry(ctx, func(ctx context.Context) error {
		n := 0
		fresh := func() bool {
			if n++; n <= printed {
				return false
			}
			printed = n
			return true
		}
		return a.listOnce(ctx, store, u.Bucket, u.Key, delim, fresh)
	})
}

// listOnce lists one level (or everything, without delim) of a prefix, printing each entry
// for which fresh returns true.
func (a *app) listOnce(ctx context.Context, store *s3store.Store, bucket, prefix, delim string, fresh func() bool) error {
	return store.ListDir(ctx, bucket, prefix, delim, func(o object.Info) error {
		if !fresh() {
			return nil
		}
		if a.json {
			fmt.Fprintf(a.stdout, `{"key":%q,"size":%d,"etag":%q,"last_modified":%q}`+"\n", o.Key, o.Size, o.ETag, o.LastModified.UTC().Format("2006-01-02T15:04:05Z"))
			return nil
		}
		fmt.Fprintf(a.stdout, "%s %12d  %s\n", o.LastModified.Local().Format("2006-01-02 15:04:05"), o.Size, o.Key)
		return nil
	}, func(p string) error {
		if fresh() {
			fmt.Fprintf(a.stdout, "%19s %12s  %s\n", "", "PRE", p)
		}
		return nil
	})
}

// retrying returns an engine whose only use is its retry policy, for the requests that
// ls, rm and mb make outside a copy.
func retrying(store *s3store.Store) *transfer.Engine {
	return transfer.New(store, transfer.Options{})
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
			err = retrying(store).Retry(cmd.Context(), func(ctx context.Context) error {
				return store.CreateBucket(ctx, bucket, a.region)
			})
			if err != nil {
				return err
			}
			if !a.quiet {
				fmt.Fprintf(a.stdout, "make_bucket: s3://%s\n", bucket)
			}
			return nil
		},
	}
}

func (a *app) rmCommand() *cobra.Command {
	var recursive bool
	cmd := &cobra.Command{
		Use:   "rm [-r] s3://bucket/key",
		Short: "Delete an object, or every object under a prefix (-r)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.rm(cmd.Context(), args[0], recursive)
		},
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "delete every object under the prefix")
	return cmd
}

func (a *app) rm(ctx context.Context, arg string, recursive bool) error {
	u, store, err := a.connect(ctx, arg, 1)
	if err != nil {
		return err
	}
	retry := retrying(store).Retry
	if !recursive {
		if u.IsDir() {
			return usagef("%s names a prefix: use -r to delete everything under it", arg)
		}
		err := retry(ctx, func(ctx context.Context) error {
			return store.DeleteObject(ctx, object.Ref{Bucket: u.Bucket, Key: u.Key})
		})
		if err != nil {
			return err
		}
		a.printDeleted(u.Bucket, u.Key)
		return nil
	}
	prefix := u.Key
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	var batch []string
	deleted, failed := 0, 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var errs map[string]error
		err := retry(ctx, func(ctx context.Context) error {
			var err error
			errs, err = store.DeleteObjects(ctx, u.Bucket, batch)
			return err
		})
		if err != nil {
			return err
		}
		for _, k := range batch {
			if e, ok := errs[k]; ok {
				failed++
				fmt.Fprintf(a.stderr, "failed: %v\n", e)
				continue
			}
			deleted++
			a.printDeleted(u.Bucket, k)
		}
		batch = batch[:0]
		return nil
	}
	// A listing that fails is listed again: the keys deleted meanwhile are gone from it.
	err = retry(ctx, func(ctx context.Context) error {
		batch = batch[:0]
		return store.List(ctx, u.Bucket, prefix, func(o object.Info) error {
			batch = append(batch, o.Key)
			if len(batch) == 1000 {
				if err := flush(); err != nil {
					return final{err} // the delete was retried already: do not list again
				}
			}
			return nil
		})
	})
	if err == nil {
		err = flush()
	}
	if !a.quiet || failed > 0 {
		fmt.Fprintf(a.stderr, "summary: %d deleted, %d failed\n", deleted, failed)
	}
	if err == nil && failed > 0 {
		return errReported
	}
	return err
}

func (a *app) printDeleted(bucket, key string) {
	if a.json {
		fmt.Fprintf(a.stdout, `{"event":"deleted","dst":%q}`+"\n", "s3://"+bucket+"/"+key)
	} else if !a.quiet {
		fmt.Fprintf(a.stdout, "delete: s3://%s/%s\n", bucket, key)
	}
}

// final wraps an error that has had its retries and must end the request around it too.
type final struct{ error }

func (f final) Unwrap() error { return f.error }

// Retryable reports false: the retries were spent inside.
func (final) Retryable() bool { return false }

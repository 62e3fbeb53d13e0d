// Command upload is the README's library example, kept here so that it is compiled and run
// by the tests: it uploads a directory with haul's transfer engine.
//
//	EXAMPLE_ACCESS_KEY=... EXAMPLE_SECRET_KEY=... upload http://127.0.0.1:9000 ./logs logs/2026-11-23/
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/transfer"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: upload ENDPOINT DIR BUCKET/PREFIX/")
		os.Exit(2)
	}
	os.Exit(upload(os.Args[1], os.Args[2], os.Args[3]))
}

// upload uploads dir to bucketPrefix ("bucket/prefix/") at endpoint and returns the exit code.
func upload(endpoint, dir, bucketPrefix string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	store, err := s3store.New(ctx, s3store.Config{
		Endpoint:        endpoint,
		AccessKeyID:     os.Getenv("EXAMPLE_ACCESS_KEY"), // empty: the standard AWS chain
		SecretAccessKey: os.Getenv("EXAMPLE_SECRET_KEY"),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	eng := transfer.New(store, transfer.Options{
		Concurrency: 32, // requests in flight; the store's connection pool follows it
		Object:      object.Options{Metadata: map[string]string{"source": "example"}},
		Observer: transfer.ObserverFunc(func(ev transfer.Event) {
			if ev.Kind == transfer.Done {
				fmt.Println("uploaded", ev.Item.Object)
			}
		}),
	})
	bucket, prefix, _ := strings.Cut(bucketPrefix, "/")
	sum, err := eng.UploadDir(ctx, dir, object.Ref{Bucket: bucket, Key: prefix})
	fmt.Printf("%d done, %d failed, %d not done, %d bytes\n", sum.Done, sum.Failed, sum.NotDone, sum.Bytes)
	var stopped *transfer.StoppedError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		// Interrupted: the items in sum.Unfinished were not done (their multipart uploads
		// were aborted); those counted in sum.Done are stored.
		fmt.Fprintln(os.Stderr, "interrupted")
	case errors.As(err, &stopped):
		// A failure every file would meet (missing bucket, unreachable endpoint, refused
		// credentials): reported once.
		fmt.Fprintln(os.Stderr, stopped.Err)
	default:
		for _, f := range sum.Failures {
			fmt.Fprintf(os.Stderr, "%s: %v\n", f.Item.Path, f.Err)
		}
	}
	return 1
}

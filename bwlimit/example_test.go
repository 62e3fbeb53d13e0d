package bwlimit_test

import (
	"bytes"
	"context"
	"fmt"

	"golang.org/x/time/rate"

	"github.com/haul-s3/haul/bwlimit"
	"github.com/haul-s3/haul/memstore"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// Cap a run's uploads at 10 MiB/s from 08:00 to 19:00 (local time), downloads not at all,
// and nothing at night: what haul cp --bwlimit "08:00,10MiB/s:off 19:00,off" does.
func Example() {
	sched, err := bwlimit.Parse("08:00,10MiB/s:off 19:00,off")
	if err != nil {
		fmt.Println(err)
		return
	}
	lim := bwlimit.New(sched)
	store := memstore.New(memstore.Config{Buckets: []string{"backups"}})
	e := transfer.New(store, transfer.Options{Bandwidth: transfer.Bandwidth{Up: lim.Up(), Down: lim.Down()}})
	sum, err := e.UploadStream(context.Background(), bytes.NewReader([]byte("a small stream")), object.Ref{Bucket: "backups", Key: "today"})
	fmt.Println(sched, sum.Done, err)
	// Output: 08:00,10.0MiB/s:off 19:00,off 1 <nil>
}

// One cap for uploads and downloads together, from golang.org/x/time/rate directly: the
// same limiter in both directions. Its burst is the most bytes a body moves per wait.
func Example_rateLimiter() {
	lim := rate.NewLimiter(20<<20, 64<<10) // 20 MiB/s
	store := memstore.New(memstore.Config{Buckets: []string{"b"}})
	e := transfer.New(store, transfer.Options{Bandwidth: transfer.Bandwidth{Up: lim, Down: lim}})
	sum, err := e.UploadStream(context.Background(), bytes.NewReader(make([]byte, 100<<10)), object.Ref{Bucket: "b", Key: "k"})
	fmt.Println(sum.Bytes, err)
	// Output: 102400 <nil>
}

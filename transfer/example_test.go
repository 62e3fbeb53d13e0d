package transfer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/haul-s3/haul/memstore"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// These examples run against memstore, an S3-like store in memory, so that they need no
// server; with s3store.New in its place they run against S3 unchanged.

// Upload a directory under a date prefix, private, encrypted at rest and tagged with
// metadata, into a bucket that is created when it does not exist yet.
func ExampleEngine_UploadDir() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "logs")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	for name, body := range map[string]string{
		"app.log":          "started\nstopped\n",
		"nginx/access.log": "GET /\n",
		"nginx/error.log":  "",
	} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		_ = os.MkdirAll(filepath.Dir(path), 0o755)
		_ = os.WriteFile(path, []byte(body), 0o644)
		written := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		_ = os.Chtimes(path, written, written) // so that the output below is always the same
	}

	store := memstore.New(memstore.Config{}) // no buckets yet
	// s3store.Store has the same two methods.
	if ok, err := store.BucketExists(ctx, "logs"); err != nil {
		fmt.Println(err)
		return
	} else if !ok {
		if err := store.CreateBucket(ctx, "logs", ""); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("created bucket logs")
	}

	day := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC).Format("2006-01-02") // time.Now() in a program
	eng := transfer.New(store, transfer.Options{
		Object: object.Options{ // given to every object; WithObject overrides it per call
			ACL:      "private",
			SSE:      "AES256",
			Metadata: map[string]string{"stored": day},
		},
	})
	sum, err := eng.UploadDir(ctx, dir, object.Ref{Bucket: "logs", Key: day + "/"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d files, %d bytes\n", sum.Done, sum.Bytes)

	// Every object carries, beside the metadata given, the CRC32C of its bytes that haul
	// verifies downloads against (the library's default checksum, as the command line's),
	// and the file's modification time in Unix nanoseconds, which a download sets again.
	_ = store.List(ctx, "logs", "", func(info object.Info) error {
		obj, _ := store.Object(object.Ref{Bucket: "logs", Key: info.Key})
		fmt.Printf("%s %d bytes acl=%s sse=%s metadata=%v\n",
			info.Key, info.Size, obj.Options.ACL, obj.Options.SSE, obj.Info.Metadata)
		return nil
	})
	// Output:
	// created bucket logs
	// 3 files, 22 bytes
	// 2026-11-23/app.log 16 bytes acl=private sse=AES256 metadata=map[haul-checksum:CRC32C:RFlw+Q== haul-mtime:1795424400000000000 stored:2026-11-23]
	// 2026-11-23/nginx/access.log 6 bytes acl=private sse=AES256 metadata=map[haul-checksum:CRC32C:G9aFhA== haul-mtime:1795424400000000000 stored:2026-11-23]
	// 2026-11-23/nginx/error.log 0 bytes acl=private sse=AES256 metadata=map[haul-checksum:CRC32C:AAAAAA== haul-mtime:1795424400000000000 stored:2026-11-23]
}

// Cancel a running upload from another goroutine, as a signal handler or a deadline would.
// The call returns context.Canceled, the Summary says which items were not done, and the
// multipart upload the engine had started is aborted before the call returns.
func ExampleEngine_UploadFile_cancel() {
	dir, err := os.MkdirTemp("", "dump")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "db.dump")
	_ = os.WriteFile(path, bytes.Repeat([]byte("x"), 12<<20), 0o644)

	store := memstore.New(memstore.Config{Buckets: []string{"dumps"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	var once sync.Once
	eng := transfer.New(store, transfer.Options{
		PartSize:           5 << 20,
		MultipartThreshold: 5 << 20,
		Observer: transfer.ObserverFunc(func(ev transfer.Event) {
			if ev.Kind == transfer.Progress {
				once.Do(func() {
					close(started)
					// Only so that this example's output does not depend on timing: hold the
					// upload until the cancel has landed. An observer must return quickly.
					<-ctx.Done()
				})
			}
		}),
	})
	go func() {
		<-started // the first bytes are on their way
		cancel()
	}()

	dst := object.Ref{Bucket: "dumps", Key: "db.dump"}
	sum, err := eng.UploadFile(ctx, path, dst)
	fmt.Println("canceled:", errors.Is(err, context.Canceled))
	fmt.Printf("done %d, failed %d, not done %d\n", sum.Done, sum.Failed, sum.NotDone)
	for _, f := range sum.Unfinished {
		fmt.Printf("not done: %s (%v)\n", f.Item.Dst(), f.Err)
	}

	// ctx is cancelled: look with a fresh one.
	incomplete := 0
	_ = store.ListUploads(context.Background(), "dumps", "", func(object.Upload) error {
		incomplete++
		return nil
	})
	_, stored := store.Object(dst)
	fmt.Println("incomplete multipart uploads:", incomplete)
	fmt.Println("object stored:", stored)
	// Output:
	// canceled: true
	// done 0, failed 0, not done 1
	// not done: s3://dumps/db.dump (context canceled)
	// incomplete multipart uploads: 0
	// object stored: false
}

// Upload a stream of unknown length, such as a program's output, with bounded memory: a
// stream longer than one part (8 MiB unless Options.PartSize says otherwise) goes as a
// multipart upload.
func ExampleEngine_UploadStream() {
	ctx := context.Background()
	store := memstore.New(memstore.Config{Buckets: []string{"dumps"}})
	eng := transfer.New(store, transfer.Options{})

	var seed [32]byte
	src := io.LimitReader(rand.NewChaCha8(seed), 20<<20) // 20 MiB the engine learns only at the end
	dst := object.Ref{Bucket: "dumps", Key: "db.sql"}
	sum, err := eng.UploadStream(ctx, src, dst)
	if err != nil {
		fmt.Println(err)
		return
	}
	obj, _ := store.Object(dst)
	want, _ := io.ReadAll(io.LimitReader(rand.NewChaCha8(seed), 20<<20))
	fmt.Printf("%d bytes sent, stored in %d parts, intact: %v\n", sum.Bytes, obj.Parts, bytes.Equal(obj.Data, want))
	// Output:
	// 20971520 bytes sent, stored in 3 parts, intact: true
}

// Upload what a producer writes (an encoder, an archiver, a report) through an
// io.WriteCloser: Close completes the upload, CloseWithError abandons it and leaves nothing
// behind. The bytes go through the same engine as UploadStream's.
func ExampleEngine_NewWriter() {
	ctx := context.Background()
	store := memstore.New(memstore.Config{Buckets: []string{"reports"}})
	eng := transfer.New(store, transfer.Options{})
	dst := object.Ref{Bucket: "reports", Key: "2026-11-23.csv"}

	w := eng.NewWriter(ctx, dst)
	err := func() error { // the producer: it knows nothing of S3
		cw := csv.NewWriter(w) // it buffers: w gets 4 KiB at a time, not a Write per field
		if err := cw.Write([]string{"id", "customer", "amount"}); err != nil {
			return err
		}
		for i := range 500_000 {
			row := []string{strconv.Itoa(i), fmt.Sprintf("customer-%04d", i%9973), fmt.Sprintf("%d.%02d", i%1000, i%100)}
			if err := cw.Write(row); err != nil {
				return err // the upload failed: w's Write said so at once
			}
		}
		cw.Flush()
		return cw.Error()
	}()
	// nil completes the upload; an error abandons it (and comes back wrapped).
	if err := w.CloseWithError(err); err != nil {
		fmt.Println("not stored:", err)
		return
	}
	obj, _ := store.Object(dst)
	fmt.Printf("%d bytes written, stored in %d parts\n", w.Summary().Bytes, obj.Parts)

	// Abandoning an upload: nothing is stored, no multipart upload is left.
	w = eng.NewWriter(ctx, object.Ref{Bucket: "reports", Key: "broken.csv"})
	_, _ = w.Write(bytes.Repeat([]byte("x"), 10<<20)) // more than a part: a multipart upload
	errGone := errors.New("database went away")
	err = w.CloseWithError(errGone)
	fmt.Println("abandoned because of errGone:", errors.Is(err, errGone))
	_, stored := store.Object(object.Ref{Bucket: "reports", Key: "broken.csv"})
	incomplete := 0
	_ = store.ListUploads(ctx, "reports", "", func(object.Upload) error { incomplete++; return nil })
	fmt.Printf("stored: %v, incomplete multipart uploads: %d\n", stored, incomplete)
	// Output:
	// 13833909 bytes written, stored in 2 parts
	// abandoned because of errGone: true
	// stored: false, incomplete multipart uploads: 0
}

// Tune the engine: files above MultipartThreshold go in parts of PartSize, and Concurrency
// bounds the requests in flight across all files and parts of every call sharing the Engine.
func ExampleOptions() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tune")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "small.bin"), make([]byte, 6<<20), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "large.bin"), make([]byte, 12<<20), 0o644)

	store := memstore.New(memstore.Config{Buckets: []string{"data"}})
	eng := transfer.New(store, transfer.Options{
		MultipartThreshold: 8 << 20, // files larger than 8 MiB go in parts...
		PartSize:           5 << 20, // ...of 5 MiB (S3's smallest; 0 lets the engine choose)
		Concurrency:        4,       // requests in flight, parts and files together
	})
	if _, err := eng.UploadDir(ctx, dir, object.Ref{Bucket: "data"}); err != nil {
		fmt.Println(err)
		return
	}
	for _, key := range []string{"large.bin", "small.bin"} {
		obj, _ := store.Object(object.Ref{Bucket: "data", Key: key})
		fmt.Printf("%s: %d bytes, %d parts, ETag %s\n", key, obj.Info.Size, obj.Parts, obj.Info.ETag)
	}
	// Output:
	// large.bin: 12582912 bytes, 3 parts, ETag 4e982d58b6c2ce178ae042c23f9bca6e-3
	// small.bin: 6291456 bytes, 0 parts, ETag da6a0d097e307ac52ed9b4ad551801fc
}

// Download every object under a prefix into a directory. The listing streams in key order,
// so a prefix of millions of keys is never held in memory; directory markers (keys ending
// in "/", which some tools create) are passed over.
func ExampleEngine_DownloadPrefix() {
	ctx := context.Background()
	store := memstore.New(memstore.Config{Buckets: []string{"www"}})
	for key, body := range map[string]string{
		"site/index.html":   "<h1>hello</h1>",
		"site/css/site.css": "h1{}",
		"site/img/":         "", // a directory marker
		"site/img/logo.svg": "<svg/>",
		"drafts/notes.html": "not under the prefix",
	} {
		ref := object.Ref{Bucket: "www", Key: key}
		_, _ = store.PutObject(ctx, ref, bytes.NewReader([]byte(body)), int64(len(body)), nil, object.Checksum{})
	}

	dir, err := os.MkdirTemp("", "site")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	eng := transfer.New(store, transfer.Options{})
	sum, err := eng.DownloadPrefix(ctx, object.Ref{Bucket: "www", Key: "site/"}, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d objects, %d bytes\n", sum.Done, sum.Bytes)
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error { // lexical order
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			data, _ := os.ReadFile(path)
			fmt.Printf("%s %q\n", filepath.ToSlash(rel), data)
		}
		return err
	})
	// Output:
	// 3 objects, 24 bytes
	// css/site.css "h1{}"
	// img/logo.svg "<svg/>"
	// index.html "<h1>hello</h1>"
}

// Report progress per file. Every Progress event names its item, whose parts may move at the
// same time; Observe is never called concurrently within one call, so this observer needs
// no lock. Bytes can be negative: a failed attempt's bytes are taken back before it is sent
// again, so the totals end at the files' sizes.
func ExampleObserver() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "progress")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "b.bin"), make([]byte, 12<<20), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644)

	moved := map[string]int64{} // by key
	var done []string
	obs := transfer.ObserverFunc(func(ev transfer.Event) {
		switch ev.Kind {
		case transfer.Progress:
			moved[ev.Item.Object.Key] += ev.Bytes // a progress bar per file would move here
		case transfer.Done:
			done = append(done, ev.Item.Object.Key)
		case transfer.Failed:
			fmt.Println("failed:", ev.Item.Src(), ev.Err)
		}
	})
	store := memstore.New(memstore.Config{Buckets: []string{"b"}})
	eng := transfer.New(store, transfer.Options{PartSize: 5 << 20, MultipartThreshold: 5 << 20})
	if _, err := eng.UploadDir(ctx, dir, object.Ref{Bucket: "b"}, transfer.WithObserver(obs)); err != nil {
		fmt.Println(err)
		return
	}
	sort.Strings(done) // files finish in any order
	for _, key := range done {
		fmt.Printf("%s: %d bytes\n", key, moved[key])
	}
	// Output:
	// a.txt: 6 bytes
	// b.bin: 12582912 bytes
	// empty: 0 bytes
}

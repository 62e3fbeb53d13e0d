package memstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/haul-s3/haul/memstore"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/storetest"
	"github.com/haul-s3/haul/transfer"
)

// memstore has what the engine asks of a store, structurally.
var (
	_ transfer.Store        = (*memstore.Store)(nil)
	_ transfer.PartLister   = (*memstore.Store)(nil)
	_ transfer.UploadLister = (*memstore.Store)(nil)
	_ storetest.Deleter     = (*memstore.Store)(nil)
)

// TestConformance runs the store contract against memstore, which claims no quirk, and
// against memstore.Paged (its listing by pages).
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (storetest.Store, string) {
		return memstore.New(memstore.Config{Buckets: []string{"bucket"}}), "bucket"
	}, storetest.Quirks{})
	t.Run("Paged", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) (storetest.Store, string) {
			return memstore.Paged{Store: memstore.New(memstore.Config{Buckets: []string{"bucket"}})}, "bucket"
		}, storetest.Quirks{})
	})
}

// TestEngine runs the engine on memstore: a file sent in parts and fetched back in ranges,
// and a stream, leaving no upload behind.
func TestEngine(t *testing.T) {
	ctx := t.Context()
	st := memstore.New(memstore.Config{Buckets: []string{"b"}})
	eng := transfer.New(st, transfer.Options{PartSize: 5 << 20, MultipartThreshold: 5 << 20, Concurrency: 4})
	data := make([]byte, 11<<20)
	_, _ = rand.Read(data)
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ref := object.Ref{Bucket: "b", Key: "big.bin"}
	if _, err := eng.UploadFile(ctx, src, ref); err != nil {
		t.Fatalf("UploadFile: %v", err)
	}
	obj, ok := st.Object(ref)
	if !ok || obj.Parts != 3 || !bytes.Equal(obj.Data, data) {
		t.Fatalf("stored object: found %v, %d parts, equal %v; want 3 parts of the file's bytes", ok, obj.Parts, bytes.Equal(obj.Data, data))
	}
	dst := filepath.Join(dir, "dst.bin")
	if _, err := eng.DownloadFile(ctx, ref, dst); err != nil {
		t.Fatalf("DownloadFile: %v", err)
	}
	if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded file: %v, equal %v", err, bytes.Equal(got, data))
	}
	err := st.ListUploads(ctx, "b", "", func(u object.Upload) error { return fmt.Errorf("upload %s left behind", u.UploadID) })
	if err != nil {
		t.Fatal(err)
	}
}

// Example shows memstore standing in for S3 under the engine.
func Example() {
	ctx := context.Background()
	store := memstore.New(memstore.Config{Buckets: []string{"backups"}})
	eng := transfer.New(store, transfer.Options{})
	dst := object.Ref{Bucket: "backups", Key: "db.sql"}
	if _, err := eng.UploadStream(ctx, bytes.NewBufferString("CREATE TABLE t (x int);\n"), dst); err != nil {
		fmt.Println(err)
		return
	}
	var out bytes.Buffer
	if _, err := eng.DownloadStream(ctx, dst, &out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(out.String())
	// Output: CREATE TABLE t (x int);
}

// TestConfig: the clock, the minimum part size and the buckets New creates.
func TestConfig(t *testing.T) {
	ctx := t.Context()
	when := time.Date(2026, 11, 23, 10, 0, 0, 999, time.UTC)
	st := memstore.New(memstore.Config{Buckets: []string{"a", "b"}, Now: func() time.Time { return when }, MinPartSize: -1})
	if names, _ := st.ListBuckets(ctx); len(names) != 2 || names[0] != "a" || names[1] != "b" {
		t.Fatalf("ListBuckets: %q", names)
	}
	ref := object.Ref{Bucket: "a", Key: "k"}
	id, err := st.CreateMultipartUpload(ctx, ref, &object.Options{ACL: "private", CacheControl: "no-cache"})
	if err != nil {
		t.Fatal(err)
	}
	var parts []object.Part
	for n := int32(1); n <= 2; n++ {
		etag, err := st.UploadPart(ctx, ref, id, n, bytes.NewReader([]byte{byte(n)}), 1, object.Checksum{})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, object.Part{Number: n, ETag: etag, Size: 1})
	}
	if _, err := st.CompleteMultipartUpload(ctx, ref, id, parts); err != nil {
		t.Fatalf("with MinPartSize -1, 1-byte parts: %v", err)
	}
	obj, _ := st.Object(ref)
	if !obj.Info.LastModified.Equal(when.Truncate(time.Second)) || obj.Options.ACL != "private" || obj.Options.CacheControl != "no-cache" || obj.Parts != 2 {
		t.Fatalf("Object: %+v", obj)
	}
	if err := st.CreateBucket(ctx, "a", ""); err != nil {
		t.Fatalf("CreateBucket of a bucket that exists: %v", err)
	}
	if ok, err := st.BucketExists(ctx, "c"); ok || err != nil {
		t.Fatalf("BucketExists of a missing bucket: %v, %v", ok, err)
	}
}

// TestErrors: the codes and behaviours of errors storetest cannot see the code of.
func TestErrors(t *testing.T) {
	ctx := t.Context()
	st := memstore.New(memstore.Config{Buckets: []string{"b"}})
	ref := object.Ref{Bucket: "b", Key: "k"}
	var e *memstore.Error
	_, err := st.PutObject(ctx, ref, bytes.NewReader([]byte("short")), 10, nil, object.Checksum{})
	if !errors.As(err, &e) || e.Code != memstore.CodeIncompleteBody || !e.Retryable() {
		t.Fatalf("PutObject with a short body: %v", err)
	}
	failing := errors.New("disk on fire")
	_, err = st.PutObject(ctx, ref, failingReader{failing}, 10, nil, object.Checksum{})
	if !errors.Is(err, failing) {
		t.Fatalf("PutObject whose body fails: %v; want it to wrap the body's error", err)
	}
	_, err = st.PutObject(ctx, ref, bytes.NewReader(nil), 0, nil, object.Checksum{Algorithm: object.ChecksumCRC32C, Value: "not base64"})
	if !errors.As(err, &e) || e.Code != memstore.CodeInvalidDigest || e.Retryable() {
		t.Fatalf("PutObject with a malformed checksum: %v", err)
	}
	id, _ := st.CreateMultipartUpload(ctx, ref, nil)
	_, err = st.UploadPart(ctx, ref, id, 10001, bytes.NewReader(nil), 0, object.Checksum{})
	if !errors.As(err, &e) || e.Code != memstore.CodeInvalidArgument {
		t.Fatalf("UploadPart 10001: %v", err)
	}
	_, err = st.CompleteMultipartUpload(ctx, ref, id, nil)
	if !errors.As(err, &e) || e.Code != memstore.CodeMalformedXML {
		t.Fatalf("CompleteMultipartUpload of no parts: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := st.HeadObject(cancelled, ref); !errors.Is(err, context.Canceled) {
		t.Fatalf("HeadObject with a cancelled context: %v", err)
	}
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error)       { return 0, r.err }
func (r failingReader) Seek(int64, int) (int64, error) { return 0, nil }

// TestConcurrent: writers, readers, listers and multipart uploads at once, under -race;
// every read sees one whole version of an object, never a mix.
func TestConcurrent(t *testing.T) {
	ctx := t.Context()
	st := memstore.New(memstore.Config{Buckets: []string{"b"}, MinPartSize: -1})
	versions := [][]byte{bytes.Repeat([]byte("a"), 4096), bytes.Repeat([]byte("b"), 4096)}
	ref := object.Ref{Bucket: "b", Key: "k"}
	if _, err := st.PutObject(ctx, ref, bytes.NewReader(versions[0]), 4096, nil, object.Checksum{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				v := versions[(g+i)%2]
				if _, err := st.PutObject(ctx, ref, bytes.NewReader(v), int64(len(v)), nil, object.Checksum{}); err != nil {
					errs <- err
					return
				}
				body, err := st.GetObject(ctx, ref, 0, -1, "")
				if err != nil {
					errs <- err
					return
				}
				got, _ := io.ReadAll(body)
				body.Close()
				if !bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1]) {
					errs <- errors.New("a GET saw a mix of two versions")
					return
				}
				key := object.Ref{Bucket: "b", Key: fmt.Sprintf("mp/%d/%d", g, i)}
				id, err := st.CreateMultipartUpload(ctx, key, nil)
				if err == nil {
					var etag string
					etag, err = st.UploadPart(ctx, key, id, 1, bytes.NewReader(v), int64(len(v)), object.Checksum{})
					if err == nil {
						_, err = st.CompleteMultipartUpload(ctx, key, id, []object.Part{{Number: 1, ETag: etag}})
					}
				}
				if err == nil {
					err = st.List(ctx, "b", "mp/", func(object.Info) error { return nil })
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := 0
	_ = st.List(ctx, "b", "mp/", func(object.Info) error { n++; return nil })
	if n != 8*50 {
		t.Fatalf("List gives %d multipart objects; want %d", n, 8*50)
	}
}

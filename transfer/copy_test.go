package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/haul-s3/haul/filelist"
	"github.com/haul-s3/haul/memstore"
	"github.com/haul-s3/haul/object"
)

// copyStore is a memstore that counts the calls a copy makes and can fail or hold some.
type copyStore struct {
	*memstore.Store
	mu    sync.Mutex
	calls map[string]int
	// partCopy, when set, runs before each UploadPartCopy; an error fails it.
	partCopy func(ctx context.Context, num int32) error
	// get, when set, may replace a GetObject body.
	get func(body io.ReadCloser) io.ReadCloser
	// head, when set, runs before each HeadObject.
	head func(ref object.Ref)
	// parts, when set, may change what ListParts answers.
	parts func([]object.Part) []object.Part
}

func newCopyStore(buckets ...string) *copyStore {
	return &copyStore{Store: memstore.New(memstore.Config{Buckets: buckets}), calls: map[string]int{}}
}

func (s *copyStore) count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

func (s *copyStore) called(op string) {
	s.mu.Lock()
	s.calls[op]++
	s.mu.Unlock()
}

func (s *copyStore) CopyObject(ctx context.Context, dst object.Ref, src object.CopySource, o *object.Options) (object.Written, error) {
	s.called("CopyObject")
	return s.Store.CopyObject(ctx, dst, src, o)
}

func (s *copyStore) HeadObject(ctx context.Context, ref object.Ref) (object.Info, error) {
	s.called("HeadObject")
	if s.head != nil {
		s.head(ref)
	}
	return s.Store.HeadObject(ctx, ref)
}

func (s *copyStore) DescribeObject(ctx context.Context, ref object.Ref) (object.Info, object.Options, error) {
	s.called("HeadObject") // DescribeObject is one HEAD
	return s.Store.DescribeObject(ctx, ref)
}

func (s *copyStore) UploadPartCopy(ctx context.Context, dst object.Ref, id string, num int32, src object.CopySource) (object.Part, error) {
	s.called("UploadPartCopy")
	if s.partCopy != nil {
		if err := s.partCopy(ctx, num); err != nil {
			return object.Part{}, err
		}
	}
	return s.Store.UploadPartCopy(ctx, dst, id, num, src)
}

func (s *copyStore) ListParts(ctx context.Context, ref object.Ref, id string) ([]object.Part, error) {
	parts, err := s.Store.ListParts(ctx, ref, id)
	if err == nil && s.parts != nil {
		parts = s.parts(parts)
	}
	return parts, err
}

func (s *copyStore) CreateMultipartUpload(ctx context.Context, ref object.Ref, o *object.Options) (string, error) {
	s.called("CreateMultipartUpload")
	return s.Store.CreateMultipartUpload(ctx, ref, o)
}

func (s *copyStore) AbortMultipartUpload(ctx context.Context, ref object.Ref, id string) error {
	s.called("AbortMultipartUpload")
	return s.Store.AbortMultipartUpload(ctx, ref, id)
}

func (s *copyStore) UploadPart(ctx context.Context, ref object.Ref, id string, num int32, body io.ReadSeeker, size int64, sum object.Checksum) (string, error) {
	s.called("UploadPart")
	return s.Store.UploadPart(ctx, ref, id, num, body, size, sum)
}

func (s *copyStore) PutObject(ctx context.Context, ref object.Ref, body io.ReadSeeker, size int64, o *object.Options, sum object.Checksum) (object.Written, error) {
	s.called("PutObject")
	return s.Store.PutObject(ctx, ref, body, size, o, sum)
}

func (s *copyStore) GetObject(ctx context.Context, ref object.Ref, off, length int64, ifMatch string) (io.ReadCloser, error) {
	s.called("GetObject")
	body, err := s.Store.GetObject(ctx, ref, off, length, ifMatch)
	if err == nil && s.get != nil {
		body = s.get(body)
	}
	return body, err
}

// retryable is a failure worth another try.
type retryable struct{}

func (retryable) Error() string   { return "connection reset" }
func (retryable) Retryable() bool { return true }

// put uploads data to ref with these options, as haul uploads a file (haul checksum in
// the metadata), through an engine on st, and forgets the calls it made.
func put(t *testing.T, st Store, ref object.Ref, data []byte, o object.Options) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, data)
	e := New(st, fastOpts(Options{Object: o, PartSize: 5 * mib, MultipartThreshold: 8 * mib}))
	if _, err := e.UploadFile(context.Background(), p, ref); err != nil {
		t.Fatal(err)
	}
	if cs, ok := st.(*copyStore); ok {
		cs.mu.Lock()
		cs.calls = map[string]int{}
		cs.mu.Unlock()
	}
}

func noUploads(t *testing.T, st *copyStore, bucket string) {
	t.Helper()
	err := st.ListUploads(context.Background(), bucket, "", func(u object.Upload) error {
		t.Errorf("incomplete upload left: %s %s", u.Key, u.UploadID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func stored(t *testing.T, st *copyStore, ref object.Ref) memstore.Object {
	t.Helper()
	o, ok := st.Object(ref)
	if !ok {
		t.Fatalf("%s not stored", ref)
	}
	return o
}

var (
	copySrc = object.Ref{Bucket: "a", Key: "dir/src.bin"}
	copyDst = object.Ref{Bucket: "b", Key: "copy/dst.bin"}
)

func TestCopySameStore(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		size                    int
		copies, partCopies, put int
		parts                   int
	}{
		{"small is one CopyObject", 1000, 1, 0, 0, 0},
		{"empty is one CopyObject", 0, 1, 0, 0, 0},
		{"large is UploadPartCopy parts", 12*mib + 5, 0, 3, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newCopyStore("a", "b")
			data := randomBytes(tc.size, 7)
			put(t, st, copySrc, data, object.Options{Metadata: map[string]string{"team": "blue"}, ContentType: "application/x-test", CacheControl: "no-cache"})
			e := New(st, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 8 * mib, Concurrency: 4}))
			var done Event
			sum, err := e.Run(context.Background(), CopyItem(copySrc, copyDst), WithObserver(ObserverFunc(func(ev Event) {
				if ev.Kind == Done {
					done = ev
				}
			})))
			if err != nil {
				t.Fatal(err)
			}
			got := stored(t, st, copyDst)
			if !bytes.Equal(got.Data, data) || sum.Done != 1 || sum.Bytes != int64(tc.size) {
				t.Fatalf("copy has %d bytes (want %d), summary %+v", len(got.Data), tc.size, sum)
			}
			if n := st.count("CopyObject"); n != tc.copies {
				t.Errorf("%d CopyObject, want %d", n, tc.copies)
			}
			if n := st.count("UploadPartCopy"); n != tc.partCopies {
				t.Errorf("%d UploadPartCopy, want %d", n, tc.partCopies)
			}
			if n := st.count("GetObject") + st.count("UploadPart"); n != 0 {
				t.Errorf("%d GetObject or UploadPart: the bytes went through the client", n)
			}
			if got.Parts != tc.parts {
				t.Errorf("copy has %d parts, want %d", got.Parts, tc.parts)
			}
			if got.Info.Metadata["team"] != "blue" || got.Info.ContentType != "application/x-test" || got.Options.CacheControl != "no-cache" {
				t.Errorf("properties not copied: %+v %+v", got.Info, got.Options)
			}
			srcSum, _ := StoredChecksum(stored(t, st, copySrc).Info.Metadata)
			if c, ok := StoredChecksum(got.Info.Metadata); !ok || c != srcSum {
				t.Errorf("haul checksum of the copy %v, the source's %v", c, srcSum)
			}
			if done.Item.ETag != got.Info.ETag || done.Item.Src() != copySrc.String() || done.Item.Dst() != copyDst.String() {
				t.Errorf("done event %+v, object ETag %s", done.Item, got.Info.ETag)
			}
			// A download of the copy verifies against the haul checksum carried over.
			var out bytes.Buffer
			if _, err := e.DownloadStream(context.Background(), copyDst, &out); err != nil || !bytes.Equal(out.Bytes(), data) {
				t.Fatalf("download of the copy: %v", err)
			}
			noUploads(t, st, "b")
		})
	}
}

func TestCopyReplaceMetadata(t *testing.T) {
	for _, size := range []int{1000, 12 * mib} {
		st := newCopyStore("a", "b")
		put(t, st, copySrc, randomBytes(size, 8), object.Options{Metadata: map[string]string{"team": "blue"}, ContentType: "application/x-test"})
		e := New(st, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 8 * mib, ReplaceMetadata: true,
			Object: object.Options{Metadata: map[string]string{"owner": "ops"}, StorageClass: "STANDARD_IA"}}))
		dst := object.Ref{Bucket: "b", Key: "page.html"}
		if _, err := e.Run(context.Background(), CopyItem(copySrc, dst)); err != nil {
			t.Fatal(err)
		}
		got := stored(t, st, dst)
		m := got.Info.Metadata
		if m["owner"] != "ops" || m["team"] != "" {
			t.Errorf("size %d: metadata %v, want owner=ops and no team", size, m)
		}
		if _, ok := StoredChecksum(m); !ok {
			t.Errorf("size %d: the haul checksum was dropped: %v", size, m)
		}
		if got.Info.ContentType != "binary/octet-stream" || got.Options.StorageClass != "STANDARD_IA" {
			t.Errorf("size %d: content type %q, storage class %q", size, got.Info.ContentType, got.Options.StorageClass)
		}
	}
}

func TestCopyPartCopyRetriedAndCancelAborts(t *testing.T) {
	st := newCopyStore("a", "b")
	data := randomBytes(16*mib, 9)
	put(t, st, copySrc, data, object.Options{})
	var failed atomic.Bool
	st.partCopy = func(_ context.Context, num int32) error {
		if num == 2 && !failed.Swap(true) {
			return retryable{}
		}
		return nil
	}
	e := New(st, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 8 * mib, Concurrency: 4}))
	if _, err := e.Run(context.Background(), CopyItem(copySrc, copyDst)); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, st, copyDst); !bytes.Equal(got.Data, data) || st.count("UploadPartCopy") != 5 {
		t.Fatalf("after one retried part: %d UploadPartCopy, bytes equal %v", st.count("UploadPartCopy"), bytes.Equal(got.Data, data))
	}

	// A cancel while parts are being copied aborts the upload.
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, 8)
	st.partCopy = func(ctx context.Context, num int32) error {
		started <- struct{}{}
		if num == 1 {
			return nil
		}
		<-ctx.Done()
		return ctx.Err()
	}
	go func() { <-started; <-started; cancel() }()
	dst2 := object.Ref{Bucket: "b", Key: "cancelled"}
	_, err := e.Run(ctx, CopyItem(copySrc, dst2))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if _, ok := st.Object(dst2); ok {
		t.Error("a cancelled copy was completed")
	}
	noUploads(t, st, "b")
}

func TestCopyChangedSourceFails(t *testing.T) {
	st := newCopyStore("a", "b")
	put(t, st, copySrc, randomBytes(12*mib, 10), object.Options{})
	changed := randomBytes(12*mib, 11)
	var once sync.Once
	st.partCopy = func(context.Context, int32) error {
		once.Do(func() { put(t, st.Store, copySrc, changed, object.Options{}) })
		return nil
	}
	e := New(st, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 8 * mib, Concurrency: 1}))
	_, err := e.Run(context.Background(), CopyItem(copySrc, copyDst))
	var pf interface{ PreconditionFailed() bool }
	if !errors.As(err, &pf) || !pf.PreconditionFailed() {
		t.Fatalf("err %v, want PreconditionFailed", err)
	}
	if _, ok := st.Object(copyDst); ok {
		t.Error("a copy of a changed source was completed")
	}
	noUploads(t, st, "b")
}

func TestCopyBetweenStores(t *testing.T) {
	for _, tc := range []struct {
		name     string
		size     int
		o        object.Options
		verified string
	}{
		{"small, haul checksum", 1000, object.Options{}, "crc32c"},
		{"large, haul checksum", 13*mib + 3, object.Options{}, "crc32c"},
		{"large, crc64nvme", 13*mib + 3, object.Options{Checksum: object.ChecksumCRC64NVME}, "crc64nvme"},
		{"small, md5 etag only", 1000, object.Options{Checksum: object.ChecksumNone}, "md5"},
		{"large, nothing to check", 13 * mib, object.Options{Checksum: object.ChecksumNone}, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to := newCopyStore("a"), newCopyStore("b")
			data := randomBytes(tc.size, 12)
			put(t, from, copySrc, data, tc.o)
			e := New(to, fastOpts(Options{Source: from, PartSize: 5 * mib, MultipartThreshold: 8 * mib, MemoryBudget: 10 * mib, Concurrency: 4}))
			var done Event
			_, err := e.Run(context.Background(), CopyItem(copySrc, copyDst), WithObserver(ObserverFunc(func(ev Event) {
				if ev.Kind == Done {
					done = ev
				}
			})))
			if err != nil {
				t.Fatal(err)
			}
			got := stored(t, to, copyDst)
			if !bytes.Equal(got.Data, data) {
				t.Fatal("the copy's bytes differ")
			}
			if done.Verified != tc.verified {
				t.Errorf("verified %q (%s), want %q", done.Verified, done.Unverified, tc.verified)
			}
			if from.count("CopyObject")+from.count("UploadPartCopy")+to.count("CopyObject")+to.count("UploadPartCopy") != 0 {
				t.Error("a server-side copy between stores")
			}
			if tc.verified != "none" {
				if c, ok := StoredChecksum(got.Info.Metadata); !ok || done.Checksum != c {
					t.Errorf("haul checksum %v, done event's %v", c, done.Checksum)
				}
			}
			noUploads(t, to, "b")
		})
	}
}

func TestCopyBetweenStoresCorruptSourceFails(t *testing.T) {
	for _, size := range []int{1000, 13 * mib} {
		from, to := newCopyStore("a"), newCopyStore("b")
		put(t, from, copySrc, randomBytes(size, 13), object.Options{})
		from.get = func(body io.ReadCloser) io.ReadCloser { return flipFirst{body} }
		e := New(to, fastOpts(Options{Source: from, PartSize: 5 * mib, MultipartThreshold: 8 * mib, Retries: 1}))
		_, err := e.Run(context.Background(), CopyItem(copySrc, copyDst))
		var ve *VerifyError
		var cve *CopyVerifyError
		if !errors.As(err, &ve) && !errors.As(err, &cve) {
			t.Fatalf("size %d: err %v, want a checksum mismatch", size, err)
		}
		if _, ok := to.Object(copyDst); ok {
			t.Errorf("size %d: corrupted bytes were stored", size)
		}
		noUploads(t, to, "b")
	}
}

// flipFirst flips a bit of the first byte read.
type flipFirst struct{ io.ReadCloser }

func (f flipFirst) Read(p []byte) (int, error) {
	n, err := f.ReadCloser.Read(p)
	if n > 0 {
		p[0] ^= 1
	}
	return n, err
}

func TestCopyPrefixAndMove(t *testing.T) {
	st := newCopyStore("a", "b")
	keys := []string{"p/one", "p/sub/two", "p/three", "q/not"}
	for i, k := range keys {
		put(t, st, object.Ref{Bucket: "a", Key: k}, randomBytes(100+i, uint64(i)), object.Options{})
	}
	e := New(st, fastOpts(Options{}))
	src, dst := object.Ref{Bucket: "a", Key: "p/"}, object.Ref{Bucket: "b", Key: "q/"}
	sum, err := e.Run(context.Background(), Moving(e.CopyPrefixItems(src, dst, nil)))
	if err != nil || sum.Done != 3 {
		t.Fatalf("summary %+v, err %v", sum, err)
	}
	for _, k := range []string{"q/one", "q/sub/two", "q/three"} {
		stored(t, st, object.Ref{Bucket: "b", Key: k})
	}
	for _, k := range keys[:3] {
		if _, ok := st.Object(object.Ref{Bucket: "a", Key: k}); ok {
			t.Errorf("moved source %s is still there", k)
		}
	}
	stored(t, st, object.Ref{Bucket: "a", Key: "q/not"})
}

func TestMoveKeepsSourceWhenCopyFails(t *testing.T) {
	st := newCopyStore("a", "b")
	put(t, st, copySrc, randomBytes(12*mib, 14), object.Options{})
	st.partCopy = func(context.Context, int32) error {
		return &memstore.Error{Op: "UploadPartCopy", Code: memstore.CodeInvalidRequest}
	}
	e := New(st, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 8 * mib}))
	if _, err := e.Run(context.Background(), Moving(CopyItem(copySrc, copyDst))); err == nil {
		t.Fatal("the copy did not fail")
	}
	stored(t, st, copySrc)
	if _, ok := st.Object(copyDst); ok {
		t.Error("the failed copy was stored")
	}
	noUploads(t, st, "b")

	// Between stores, a source whose bytes cannot be verified is kept.
	from, to := newCopyStore("a"), newCopyStore("b")
	put(t, from, copySrc, randomBytes(12*mib, 15), object.Options{Checksum: object.ChecksumNone})
	e = New(to, fastOpts(Options{Source: from, PartSize: 5 * mib, MultipartThreshold: 8 * mib}))
	_, err := e.Run(context.Background(), Moving(CopyItem(copySrc, copyDst)))
	var me *MoveError
	if !errors.As(err, &me) || !errors.Is(err, errNotVerified) {
		t.Fatalf("err %v, want a MoveError: not verified", err)
	}
	stored(t, from, copySrc)
}

func TestCopyResumedFromJournal(t *testing.T) {
	st := newCopyStore("a", "b")
	data := randomBytes(22*mib, 16)
	put(t, st, copySrc, data, object.Options{})
	jpath := filepath.Join(t.TempDir(), "j")
	opts := fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 8 * mib, Concurrency: 1})

	// The first run copies two parts of five, then is cancelled: the upload is kept.
	ctx, cancel := context.WithCancel(context.Background())
	st.partCopy = func(ctx context.Context, num int32) error {
		if num == 3 {
			cancel()
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	opts.Journal = openJournal(t, jpath)
	if _, err := New(st, opts).Run(ctx, CopyItem(copySrc, copyDst)); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v, want context.Canceled", err)
	}
	_ = opts.Journal.Close()
	var kept []object.Upload
	_ = st.ListUploads(context.Background(), "b", "", func(u object.Upload) error { kept = append(kept, u); return nil })
	if len(kept) != 1 {
		t.Fatalf("uploads after the cancel: %v, want the one kept for the next run", kept)
	}

	// The second run copies the three parts the server does not hold, and completes.
	st.partCopy = nil
	st.mu.Lock()
	st.calls = map[string]int{}
	st.mu.Unlock()
	opts.Journal = openJournal(t, jpath)
	if _, err := New(st, opts).Run(context.Background(), CopyItem(copySrc, copyDst)); err != nil {
		t.Fatal(err)
	}
	if n := st.count("UploadPartCopy"); n != 3 {
		t.Errorf("the resumed run copied %d parts, want 3", n)
	}
	if got := stored(t, st, copyDst); !bytes.Equal(got.Data, data) {
		t.Fatal("the resumed copy's bytes differ")
	}
	noUploads(t, st, "b")

	// A third run finds the copy done in the journal and copies nothing.
	if sum, err := New(st, opts).Run(context.Background(), CopyItem(copySrc, copyDst)); err != nil || sum.Skipped != 1 {
		t.Fatalf("third run: %+v, %v; want the copy skipped", sum, err)
	}
}

// hugeStore pretends its source object is larger than S3's 5 GiB limit for one
// CopyObject: it describes it so and records the ranges of the part copies it is asked for,
// holding no bytes.
type hugeStore struct {
	*copyStore
	size   int64
	mu     sync.Mutex
	ranges map[int32][2]int64
}

func (h *hugeStore) DescribeObject(ctx context.Context, ref object.Ref) (object.Info, object.Options, error) {
	info, o, err := h.Store.DescribeObject(ctx, ref)
	info.Size = h.size
	return info, o, err
}

func (h *hugeStore) UploadPartCopy(_ context.Context, _ object.Ref, _ string, num int32, src object.CopySource) (object.Part, error) {
	h.called("UploadPartCopy")
	h.mu.Lock()
	h.ranges[num] = [2]int64{src.Offset, src.Length}
	h.mu.Unlock()
	return object.Part{Number: num, ETag: "d41d8cd98f00b204e9800998ecf8427e", Size: src.Length}, nil
}

func (h *hugeStore) CompleteMultipartUpload(ctx context.Context, ref object.Ref, id string, parts []object.Part) (object.Written, error) {
	h.called("CompleteMultipartUpload")
	var off int64
	for i, p := range parts {
		r := h.ranges[p.Number]
		if p.Number != int32(i+1) || r[0] != off || r[1] != p.Size {
			return object.Written{}, fmt.Errorf("part %d: range %v, want offset %d and length %d", p.Number, r, off, p.Size)
		}
		off += p.Size
	}
	if off != h.size {
		return object.Written{}, fmt.Errorf("the parts hold %d bytes, want %d", off, h.size)
	}
	return object.Written{ETag: "etag-" + strconv.Itoa(len(parts))}, h.AbortMultipartUpload(ctx, ref, id)
}

func TestCopyLargerThanOneCopyObject(t *testing.T) {
	st := &hugeStore{copyStore: newCopyStore("a", "b"), size: 6<<30 + 1, ranges: map[int32][2]int64{}}
	put(t, st.copyStore, copySrc, randomBytes(10, 17), object.Options{})
	// Even with a threshold above it, an object over 5 GiB is copied in parts.
	e := New(st, fastOpts(Options{MultipartThreshold: 8 << 30, Concurrency: 8}))
	sum, err := e.Run(context.Background(), CopyItem(copySrc, copyDst))
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := PartSize(st.size, 0)
	if n := st.count("UploadPartCopy"); n != PartCount(st.size, ps) || st.count("CopyObject") != 0 || sum.Bytes != st.size {
		t.Fatalf("%d UploadPartCopy of %d bytes (want %d), %d CopyObject, %d bytes done", n, ps, PartCount(st.size, ps), st.count("CopyObject"), sum.Bytes)
	}
}

// A copy whose producer asked for its source (ObjectCopyItem, ListedCopies) takes the
// source's size, ETag and properties from that answer: one HEAD per object, as the plan
// counts.
func TestCopyAsksForItsSourceOnce(t *testing.T) {
	st := newCopyStore("a", "b")
	data := randomBytes(1000, 3)
	put(t, st, copySrc, data, object.Options{Metadata: map[string]string{"team": "blue"}, ContentType: "application/x-test"})
	put(t, st, object.Ref{Bucket: "a", Key: "dir/two"}, data, object.Options{})
	e := New(st, fastOpts(Options{Concurrency: 4}))
	if _, err := e.Run(context.Background(), e.ObjectCopyItem(copySrc, copyDst)); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, st, copyDst); got.Options.ContentType != "application/x-test" || got.Info.Metadata["team"] != "blue" {
		t.Errorf("the copy lost its source's properties: %+v", got.Options)
	}
	names := filelist.Lines(strings.NewReader("src.bin\ntwo\n"))
	if _, err := e.Run(context.Background(), e.ListedCopies(names, object.Ref{Bucket: "a", Key: "dir/"}, object.Ref{Bucket: "b", Key: "listed/"}, nil)); err != nil {
		t.Fatal(err)
	}
	if n := st.count("HeadObject"); n != 3 {
		t.Errorf("%d HEADs for 3 copies, want 3", n)
	}
	if got := stored(t, st, object.Ref{Bucket: "b", Key: "listed/src.bin"}); got.Options.ContentType != "application/x-test" {
		t.Errorf("the listed copy lost its source's properties: %+v", got.Options)
	}

}

// Package storetest is the contract every object store haul's engine runs on must keep,
// written as tests: Run runs them against one store. memstore runs them in its unit tests;
// the e2e suite runs them against s3store on every real server it starts (versitygw, MinIO,
// moto), so that what the engine assumes of S3 is checked in one place, against each server.
//
// Each test says in its comment which behaviour of the engine relies on what it checks.
// Where a server really differs from S3, the store's Quirks say how, and the test asserts
// that documented difference instead of the S3 behaviour: it fails if the difference goes
// away, so that the quirk (and whatever works around it) can be dropped. Nothing is skipped
// silently: a test of an optional capability the store lacks (ListParts, ListUploads,
// DeleteObject) skips with a message that says so.
//
// A store's own test runs the suite with a function that gives each test the store and an
// empty bucket, and the store's quirks:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) (storetest.Store, string) {
//			return memstore.New(memstore.Config{Buckets: []string{"b"}}), "b"
//		}, storetest.Quirks{})
//	}
//
// The package imports only the standard library and package object, so that any store,
// the engine's own test fakes included, can be checked without an import cycle.
package storetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

// Store is what the engine needs from a store (the methods of transfer.Store). The package
// declares it rather than importing transfer, which keeps it usable from anywhere.
type Store interface {
	PutObject(ctx context.Context, ref object.Ref, body io.ReadSeeker, size int64, o *object.Options, sum object.Checksum) (object.Written, error)
	CreateMultipartUpload(ctx context.Context, ref object.Ref, o *object.Options) (uploadID string, err error)
	UploadPart(ctx context.Context, ref object.Ref, uploadID string, num int32, body io.ReadSeeker, size int64, sum object.Checksum) (etag string, err error)
	CompleteMultipartUpload(ctx context.Context, ref object.Ref, uploadID string, parts []object.Part) (object.Written, error)
	AbortMultipartUpload(ctx context.Context, ref object.Ref, uploadID string) error
	HeadObject(ctx context.Context, ref object.Ref) (object.Info, error)
	GetObject(ctx context.Context, ref object.Ref, offset, length int64, ifMatch string) (io.ReadCloser, error)
	List(ctx context.Context, bucket, prefix string, fn func(object.Info) error) error
}

// PartLister is the optional capability of listing an upload's parts (transfer.PartLister).
type PartLister interface {
	ListParts(ctx context.Context, ref object.Ref, uploadID string) ([]object.Part, error)
}

// UploadLister is the optional capability of listing incomplete uploads
// (transfer.UploadLister).
type UploadLister interface {
	ListUploads(ctx context.Context, bucket, prefix string, fn func(object.Upload) error) error
}

// PageLister is the optional capability of listing page by page, with a delimiter or
// without (transfer.PageLister).
type PageLister interface {
	ListPages(ctx context.Context, bucket, prefix, delimiter, token string, page func(keys []object.Info, prefixes []string, next string) error) error
}

// Deleter is the optional capability of deleting objects, one or up to 1,000 at a time, as
// s3store and memstore have it.
type Deleter interface {
	DeleteObject(ctx context.Context, ref object.Ref) error
	DeleteObjects(ctx context.Context, bucket string, keys []string) (map[string]error, error)
}

// PartGetter is the optional capability of reading a multipart object by part number
// (transfer.PartGetter).
type PartGetter interface {
	HeadObjectPart(ctx context.Context, ref object.Ref, part int32) (object.PartInfo, error)
	GetObjectPart(ctx context.Context, ref object.Ref, part int32, ifMatch string) (io.ReadCloser, object.PartInfo, error)
}

// Open returns the store under test and the name of an empty bucket in it for one test to
// use; it arranges with t.Cleanup for whatever must be removed afterwards. Run calls it once
// per test, from tests running in parallel.
type Open func(t *testing.T) (store Store, bucket string)

// Quirks are the ways a store is known to differ from S3. The zero value claims none.
type Quirks struct {
	// ChecksumsNotVerified: a checksum that does not match is accepted, with a body
	// (PutObject, UploadPart: x-amz-checksum-* or Content-MD5) or with a part listed at
	// completion, and the body is stored (moto). The engine's own check of a download
	// against the checksum in the object's metadata is then what finds corruption.
	ChecksumsNotVerified bool
	// PartChecksumsNotListed: ListParts reports no checksum for parts sent with one (moto),
	// so a resumed upload compares the parts the server holds by size and ETag only.
	PartChecksumsNotListed bool
	// MultipartChecksumNotWhole: HeadObject of a multipart object uploaded with checksums
	// reports a checksum that is not the checksum of the object's bytes, with nothing that
	// marks it a composite of the parts' (no "-N" suffix, no checksum type), as moto does.
	// A store that passes it on as the whole object's would fail good downloads of such
	// objects; s3store no longer does (it trusts a multipart object's checksum only with
	// the type FULL_OBJECT), so the moto run of the suite does not set this.
	MultipartChecksumNotWhole bool
	// ImplicitChecksum is the algorithm of the whole-object checksum the store keeps for an
	// object put without one (or with Content-MD5 only): "CRC64NVME" on versitygw, as on AWS
	// since 2025; "" for none.
	ImplicitChecksum string
	// CompleteAgainSucceeds: completing an upload a second time, as the engine does when the
	// answer to the first attempt was lost, succeeds (versitygw, moto). Without it the store
	// answers NoSuchUpload (MinIO, memstore), and the engine must see with a HEAD that the
	// object is the one its parts make.
	CompleteAgainSucceeds bool
	// MissingUploadIs500: UploadPart and CompleteMultipartUpload of an upload that does not
	// exist (aborted, or never was) fail with HTTP 500, which is Retryable, instead of
	// NoSuchUpload (moto); ListParts and AbortMultipartUpload answer as S3 does. The engine
	// retries such a request until its retries run out instead of failing at once.
	MissingUploadIs500 bool
	// UploadIDNotTiedToKey: an upload ID is taken for any key: ListParts, UploadPart and
	// CompleteMultipartUpload with another key's upload ID act on that other upload (moto).
	// The test checks that ListParts answers, and changes nothing with the other two.
	UploadIDNotTiedToKey bool
	// UploadsInCreationOrder: ListUploads gives uploads in the order they were created, not
	// in key order (MinIO, moto); `haul uploads ls` prints them in that order.
	UploadsInCreationOrder bool
	// InitiatedNotReal: the Initiated time of listed uploads is not when they were created
	// (moto reports 2010-11-10 for all), so an age filter (uploads --older-than) matches
	// every upload.
	InitiatedNotReal bool
	// PartChecksumsNotGiven: HeadObject and GetObject with partNumber and checksum mode give
	// no checksum of the part, though it was uploaded with one (versitygw, moto). The engine
	// then verifies a multipart object by its ETag (the MD5 of the parts' MD5s).
	PartChecksumsNotGiven bool
	// GetIgnoresPartNumber: GetObject with partNumber answers with the whole object, with
	// no part count (moto; its HeadObject does answer for the part). The engine fetches
	// the parts of such an object with Range requests, and checks every answer's part
	// count, offset and length before it trusts a part GET.
	GetIgnoresPartNumber bool
	// PartHeadIsPartsOwn: HeadObject with partNumber gives no Content-Range and the part's
	// own ETag (its MD5) instead of the object's (moto). The engine takes only the part
	// count and length from such an answer.
	PartHeadIsPartsOwn bool
	// PartCopyChecksumNotGiven: UploadPartCopy into an upload created with a checksum
	// algorithm answers without the part's checksum. The engine completes such a copy
	// with the parts' ETags only.
	PartCopyChecksumNotGiven bool
	// PartCopyChecksumRefused: UploadPartCopy into an upload created with a checksum
	// algorithm fails with InvalidArgument (MinIO). The engine declares no algorithm for a
	// server-side multipart copy unless the caller names one.
	PartCopyChecksumRefused bool
	// CopySourceIfMatchIgnored: CopyObject and UploadPartCopy ignore
	// x-amz-copy-source-if-match, copying whatever the source is now (moto). A source that
	// changes while it is copied in parts is then not caught by the server.
	CopySourceIfMatchIgnored bool
}

// test is one contract test.
type test struct {
	name string
	fn   func(t *testing.T, s *suite)
}

// Run runs every contract test against the store open gives, each as a parallel subtest
// with its own bucket: objects (RoundTrip, EmptyObject, RangedGet, IfMatch, MissingKey,
// MissingBucket, Checksums, BadChecksum, ImplicitChecksum, Keys, Delete), multipart uploads
// (Multipart, MultipartChecksums, CompleteAgain, PartTooSmall, WrongPartETag,
// WrongPartChecksum, BadPartChecksum, ReplacePart, Abort, UnknownUpload) and listings
// (ListOrder, ListStops, ListPaging, ListPartsPaging, ListUploadsPrefix, ListUploadsPaging,
// ListPagesDelimited, ListPagesPaging)
// reading by part number (PartNumbers, PartNumberOfSinglePart), and copies (CopyObject,
// CopyObjectReplace, CopyObjectChanged, UploadPartCopy, Describe).
// The paging tests make about a thousand requests each.
func Run(t *testing.T, open Open, q Quirks) {
	tests := append(append(append(append(objectTests(), multipartTests()...), listingTests()...), partTests()...), copyTests()...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, bucket := open(t)
			tc.fn(t, &suite{Store: st, bucket: bucket, q: q})
		})
	}
}

// suite is one test's store and bucket.
type suite struct {
	Store
	bucket string
	q      Quirks
}

func (s *suite) ref(key string) object.Ref { return object.Ref{Bucket: s.bucket, Key: key} }

// put stores data at key and fails the test if it cannot.
func (s *suite) put(t *testing.T, key string, data []byte, o *object.Options, sum object.Checksum) {
	t.Helper()
	w, err := s.PutObject(t.Context(), s.ref(key), bytes.NewReader(data), int64(len(data)), o, sum)
	etag := w.ETag
	if err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
	// The ETag PutObject returns is the object's: haul sync records it as the object's
	// identity and compares it with the next listing's.
	info, err := s.HeadObject(t.Context(), s.ref(key))
	if err != nil || info.ETag != etag {
		t.Fatalf("PutObject %s returned ETag %q; HeadObject says %q (%v)", key, etag, info.ETag, err)
	}
}

// get returns the bytes GetObject gives, failing the test on an error.
func (s *suite) get(t *testing.T, key string, off, length int64, ifMatch string) []byte {
	t.Helper()
	data, _, err := s.tryGet(t.Context(), key, off, length, ifMatch)
	if err != nil {
		t.Fatalf("GetObject %s [%d, %d) if-match %q: %v", key, off, off+length, ifMatch, err)
	}
	return data
}

// tryGet returns the bytes GetObject gives and the body's metadata, if it tells it.
func (s *suite) tryGet(ctx context.Context, key string, off, length int64, ifMatch string) ([]byte, map[string]string, error) {
	body, err := s.GetObject(ctx, s.ref(key), off, length, ifMatch)
	if err != nil {
		return nil, nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	var meta map[string]string
	if m, ok := body.(interface{ Metadata() map[string]string }); ok {
		meta = m.Metadata()
	}
	return data, meta, err
}

// head returns HeadObject's answer, failing the test on an error.
func (s *suite) head(t *testing.T, key string) object.Info {
	t.Helper()
	info, err := s.HeadObject(t.Context(), s.ref(key))
	if err != nil {
		t.Fatalf("HeadObject %s: %v", key, err)
	}
	return info
}

// absent fails the test unless HeadObject says key has no object.
func (s *suite) absent(t *testing.T, key string) {
	t.Helper()
	_, err := s.HeadObject(t.Context(), s.ref(key))
	wantError(t, "HeadObject of "+key, err, behaviour{NotFound: true}, "")
}

// keys lists the keys under prefix.
func (s *suite) keys(t *testing.T, prefix string) []string {
	t.Helper()
	var keys []string
	err := s.List(t.Context(), s.bucket, prefix, func(in object.Info) error {
		keys = append(keys, in.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List %q: %v", prefix, err)
	}
	return keys
}

// behaviour is what an error says of itself through the methods the engine finds with
// errors.As: whether to retry, to slow down, whether the thing is missing, whether an
// If-Match failed, whether the whole run should stop, whether permission was refused.
type behaviour struct {
	Retryable, Throttled, NotFound, PreconditionFailed, StopsRun, Denied bool
}

func behaviourOf(err error) behaviour {
	var b behaviour
	var r interface{ Retryable() bool }
	if errors.As(err, &r) {
		b.Retryable = r.Retryable()
	}
	var th interface{ Throttled() bool }
	if errors.As(err, &th) {
		b.Throttled = th.Throttled()
	}
	var nf interface{ NotFound() bool }
	if errors.As(err, &nf) {
		b.NotFound = nf.NotFound()
	}
	var pf interface{ PreconditionFailed() bool }
	if errors.As(err, &pf) {
		b.PreconditionFailed = pf.PreconditionFailed()
	}
	var sr interface{ StopsRun() bool }
	if errors.As(err, &sr) {
		b.StopsRun = sr.StopsRun()
	}
	var d interface{ Denied() bool }
	if errors.As(err, &d) {
		b.Denied = d.Denied()
	}
	return b
}

// wantError stops the test unless err is an error with exactly the behaviour want, and,
// when code is set, names that S3 error code in its message (which a person reads).
func wantError(t *testing.T, what string, err error, want behaviour, code string) {
	t.Helper()
	if !checkError(t, what, err, want, code) {
		t.FailNow()
	}
}

// checkError is wantError that lets the test go on: it reports whether err was as wanted.
func checkError(t *testing.T, what string, err error, want behaviour, code string) bool {
	t.Helper()
	switch got := behaviourOf(err); {
	case err == nil:
		t.Errorf("%s succeeded; want an error with %+v", what, want)
	case got != want:
		t.Errorf("%s: error %q behaves as %+v; want %+v", what, err, got, want)
	case code != "" && !strings.Contains(err.Error(), code):
		t.Errorf("%s: error %q does not name the code %s", what, err, code)
	default:
		t.Logf("%s: %v", what, err)
		return true
	}
	return false
}

// checksum returns the checksum of data with algorithm, as S3 headers carry it.
func checksum(algorithm string, data []byte) object.Checksum {
	if _, err := object.NewHash(algorithm); err != nil {
		panic("storetest: " + err.Error())
	}
	return object.Sum(algorithm, data)
}

// algorithms are the checksum algorithms the engine may send.
var algorithms = []string{object.ChecksumCRC32C, object.ChecksumCRC32, object.ChecksumCRC64NVME,
	object.ChecksumSHA256, object.ChecksumSHA1, object.ChecksumMD5}

// md5Hex is S3's ETag of a single-part object.
func md5Hex(data []byte) string {
	sum := md5.Sum(data) //nolint:gosec // S3's ETag
	return hex.EncodeToString(sum[:])
}

// multipartETag is S3's ETag of an object made of parts with these bytes.
func multipartETag(parts ...[]byte) string {
	h := md5.New() //nolint:gosec // S3's ETag
	for _, p := range parts {
		sum := md5.Sum(p) //nolint:gosec // S3's ETag
		h.Write(sum[:])
	}
	return hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
}

func unquote(etag string) string { return strings.Trim(etag, `"`) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// missingBucket is the name of a bucket that no store under test has.
func missingBucket() string { return "storetest-missing-" + hex.EncodeToString(randomBytes(6)) }

// recent fails the test unless tm is within a minute of the span [start, end]: a time the
// store took from its clock during the request (loopback servers share the machine's).
func recent(t *testing.T, what string, tm, start, end time.Time) {
	t.Helper()
	if tm.Before(start.Add(-time.Minute)) || tm.After(end.Add(time.Minute)) {
		t.Fatalf("%s is %v; want a time near %v", what, tm, start)
	}
}

// parallel runs fn(i) for i in [0, n) with at most 8 at once and returns the first error.
func parallel(n int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		slots = make(chan struct{}, 8)
	)
	for i := range n {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := fn(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

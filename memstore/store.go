// Package memstore is an object store held in memory that behaves like S3 where haul's
// engine depends on it, for tests that should not need a server.
//
// A *Store has every method of transfer.Store, the optional capabilities transfer.PartLister,
// transfer.UploadLister and transfer.PartGetter, and DeleteObject, DeleteObjects, CreateBucket, BucketExists and
// ListBuckets with the same signatures as s3store.Store, so code written against the engine's
// interfaces or against s3store's methods can be tested with either. It passes the
// conformance suite in package storetest, which also runs against s3store and real servers.
// Paged, a Store with pages of a size of its own, also lists page by page
// (transfer.PageLister), as the engine lists an S3 prefix.
//
// # What is S3-like
//
//   - ETags: the hex MD5 of the bytes for a PutObject; for a multipart object the MD5 of the
//     parts' binary MD5s, then "-" and the number of parts. HeadObject and List give ETags
//     without quotes; UploadPart returns the part's ETag in quotes, as S3 sends it (compare
//     ETags with quotes removed). Every ETag is an MD5 whatever Options.SSE says.
//   - Checksums given with a PutObject or a part are verified: a mismatch fails the request
//     with BadDigest, which is Retryable, and stores nothing. HeadObject reports the checksum
//     given with a PutObject (other than MD5) as the object's whole checksum; a multipart
//     object has none (S3's is a composite of the parts', which says nothing of the bytes in
//     order). ListParts reports each part's checksum.
//   - CompleteMultipartUpload refuses parts out of ascending order (InvalidPartOrder), a part
//     that was not uploaded or whose ETag or checksum differs (InvalidPart), and a part
//     other than the last that is smaller than Config.MinPartSize (EntityTooSmall, 5 MiB by
//     default); after such a refusal the upload is still there to complete or abort. After
//     a completion the upload is gone: completing it again answers NoSuchUpload, as MinIO
//     does (AWS may answer success), so code that retries completion must handle both.
//   - A missing bucket is NoSuchBucket (NotFound and StopsRun are true), a missing key
//     NoSuchKey and a missing upload NoSuchUpload (NotFound true). An If-Match that does not
//     name the object's ETag is PreconditionFailed. A range that starts at or beyond the end
//     of the object is InvalidRange. See Error for how each code is classified.
//   - GetObjectPart and HeadObjectPart answer for a part of a multipart object with the
//     number of parts, the part's offset and length and the checksum it was uploaded with,
//     as AWS does with checksum mode; part 1 of an object put in one request is the whole
//     object with no part count; a part number past the last is InvalidPartNumber.
//   - User metadata keys are stored lower-cased, as they come back from S3 over HTTP.
//   - Listings are in byte order of the keys; ListUploads is in key order, then in the order
//     the uploads were created. AbortMultipartUpload of an upload that does not exist
//     succeeds, as s3store's does.
//
// # What is not
//
// There is no paging (every listing is one pass over a snapshot), no versioning, no
// encryption, ACLs, storage classes or cache control beyond storing what was given (see
// Object), no limit on key length or part count other than S3's part numbers 1 to 10,000,
// and no region: CreateBucket ignores it. Times (LastModified, Initiated) have whole-second
// resolution and come from Config.Now. Nothing is ever slow, throttled or lost in transit;
// to test retries, wrap a Store in a type of your own that fails some of its calls.
//
// # Concurrency
//
// A *Store is safe for concurrent use by any number of goroutines. Every request is atomic:
// a PutObject or part is stored whole once its body has been read, or not at all, and a
// reader never sees part of a write. A GetObject body reads the object as it was when the
// call was made, even if it is overwritten or deleted while the body is read. A listing
// sees the bucket as it was when the listing began; its callback runs on the calling
// goroutine with no lock held, so it may call the store.
package memstore

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/haul-s3/haul/object"
)

// MinPartSize is the smallest size S3 allows for a part other than the last: 5 MiB.
const MinPartSize = 5 << 20

// Config tunes a Store. The zero value gives S3's limits, the system clock and no buckets.
type Config struct {
	// Buckets are created by New.
	Buckets []string
	// Now is the clock for LastModified and Initiated times; nil uses time.Now. It may be
	// called from many goroutines at once.
	Now func() time.Time
	// MinPartSize is the smallest part, other than the last, that CompleteMultipartUpload
	// accepts: 0 selects MinPartSize (S3's 5 MiB) and a negative value accepts any size.
	MinPartSize int64
}

// Store is an object store in memory. Create it with New.
type Store struct {
	now         func() time.Time
	minPartSize int64

	mu      sync.Mutex
	buckets map[string]*bucket
	uploads map[string]*upload // by upload ID
	seq     uint64             // counts uploads created, for IDs and listing order
}

type bucket struct {
	objects map[string]*entry
}

// entry is one stored object. It is never changed once stored: a write replaces it, so a
// reader holding it needs no lock.
type entry struct {
	data     []byte
	etag     string // unquoted
	modified time.Time
	opts     object.Options  // with user metadata keys lower-cased
	checksum object.Checksum // the whole object's, from a PutObject
	parts    int             // 0 for a PutObject
	// partLens and partSums are the lengths and checksums of a multipart object's parts,
	// in order; a part's checksum is zero when it had none.
	partLens []int64
	partSums []object.Checksum
}

// New returns a Store with the buckets c names.
func New(c Config) *Store {
	s := &Store{now: c.Now, minPartSize: c.MinPartSize, buckets: map[string]*bucket{}, uploads: map[string]*upload{}}
	if s.now == nil {
		s.now = time.Now
	}
	switch {
	case s.minPartSize == 0:
		s.minPartSize = MinPartSize
	case s.minPartSize < 0:
		s.minPartSize = 0
	}
	for _, b := range c.Buckets {
		s.buckets[b] = &bucket{objects: map[string]*entry{}}
	}
	return s
}

// clock returns the current time at S3's one-second resolution.
func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Second) }

// bucket returns ref's bucket, or NoSuchBucket naming op and ref; s.mu must be held.
func (s *Store) bucket(op string, ref object.Ref) (*bucket, error) {
	b, ok := s.buckets[ref.Bucket]
	if !ok {
		return nil, &Error{Op: op, Bucket: ref.Bucket, Key: ref.Key, Code: CodeNoSuchBucket}
	}
	return b, nil
}

// CreateBucket creates a bucket; region is ignored. A bucket that already exists counts as
// created (S3 answers BucketAlreadyOwnedByYou, which s3store also takes as success). An
// empty name is InvalidBucketName.
func (s *Store) CreateBucket(ctx context.Context, name, region string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if name == "" || strings.Contains(name, "/") {
		return &Error{Op: "CreateBucket", Bucket: name, Code: CodeInvalidBucketName}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[name]; !ok {
		s.buckets[name] = &bucket{objects: map[string]*entry{}}
	}
	return nil
}

// BucketExists reports whether the bucket exists.
func (s *Store) BucketExists(ctx context.Context, name string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.buckets[name]
	return ok, nil
}

// ListBuckets returns the names of the buckets, sorted.
func (s *Store) ListBuckets(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	names := make([]string, 0, len(s.buckets))
	for n := range s.buckets {
		names = append(names, n)
	}
	s.mu.Unlock()
	sort.Strings(names)
	return names, nil
}

// Object is a stored object as a test may inspect it: its bytes and everything given when
// it was uploaded, including the options S3 would act on and memstore only keeps.
type Object struct {
	Data    []byte // a copy; changing it changes nothing stored
	Info    object.Info
	Options object.Options // as given to PutObject or CreateMultipartUpload; Metadata is in Info
	Parts   int            // the number of parts of a multipart object; 0 for a PutObject
}

// Object returns the object at ref, or false when there is none.
func (s *Store) Object(ref object.Ref) (Object, bool) {
	s.mu.Lock()
	b, ok := s.buckets[ref.Bucket]
	var e *entry
	if ok {
		e, ok = b.objects[ref.Key]
	}
	s.mu.Unlock()
	if !ok {
		return Object{}, false
	}
	o := Object{Data: append([]byte(nil), e.data...), Info: e.info(ref.Key), Options: e.opts, Parts: e.parts}
	o.Options.Metadata = nil
	return o, true
}

// info describes the entry as HeadObject does.
func (e *entry) info(key string) object.Info {
	return object.Info{Key: key, Size: int64(len(e.data)), ETag: e.etag, LastModified: e.modified,
		ContentType: e.opts.ContentType, Metadata: copyMeta(e.opts.Metadata), Checksum: e.checksum}
}

// storedOptions returns a copy of o (nil: the zero Options) as an object keeps it: user
// metadata keys lower-cased, and S3's default content type when none was given.
func storedOptions(o *object.Options) object.Options {
	var c object.Options
	if o != nil {
		c = *o
	}
	if c.ContentType == "" {
		c.ContentType = "binary/octet-stream"
	}
	if c.Metadata != nil {
		m := make(map[string]string, len(c.Metadata))
		for k, v := range c.Metadata {
			m[strings.ToLower(k)] = v
		}
		c.Metadata = m
	}
	return c
}

func copyMeta(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

package transfer

import (
	"context"
	"io"

	"github.com/haul-s3/haul/object"
)

// This file is the contract between the engine and an object store: what the engine calls,
// what it relies on in the answers, and the optional capabilities it uses when a store has
// them. s3store.Store satisfies every interface here over S3; memstore.Store in memory; the
// conformance suite (package storetest) checks both against the same tests, and s3store
// against versitygw, MinIO and moto, so that this text, the fake and the servers agree.
//
// # Errors
//
// The engine classifies a failure by methods of the error (found with errors.As, so a
// wrapped error keeps them), never by its text:
//
//   - Retryable() bool: sending the same request again may succeed (a dropped connection,
//     a 5xx, a checksum the server found wrong in transit). Only these are retried.
//   - Throttled() bool: the server asked for fewer requests (503 SlowDown, 429); the engine
//     halves the requests in flight and raises them again as requests succeed.
//   - NotFound() bool: the bucket, key or upload does not exist.
//   - PreconditionFailed() bool: an If-Match condition failed: the object changed.
//   - StopsRun() bool: every other request to this server or bucket will fail the same way
//     (refused credentials, a missing bucket, an unreachable endpoint): the run stops.
//   - Denied() bool: the server refused for want of permission; the run stops only when
//     nothing has been done yet.
//
// A failure of the caller's context is returned as the context's error.

// Putter stores an object in one request.
type Putter interface {
	// PutObject stores size bytes of body at ref with the options o. sum, when set, is the
	// body's checksum for the server to verify; a mismatch must be Retryable. body may be
	// read more than once (the store seeks it to the start for each attempt it makes). It
	// returns what the server said of the new object: its ETag (quotes removed) and, in a
	// bucket that keeps versions, its version ID.
	PutObject(ctx context.Context, ref object.Ref, body io.ReadSeeker, size int64, o *object.Options, sum object.Checksum) (object.Written, error)
}

// MultipartUploader stores an object in parts: create, send parts (in any order, any of
// them again), complete with the parts in ascending order, or abort.
type MultipartUploader interface {
	// CreateMultipartUpload starts an upload with the options o and returns its ID.
	CreateMultipartUpload(ctx context.Context, ref object.Ref, o *object.Options) (uploadID string, err error)
	// UploadPart stores part num (1..10,000) and returns its ETag, which may come quoted:
	// the engine compares ETags without their quotes. sum is as for PutObject.
	UploadPart(ctx context.Context, ref object.Ref, uploadID string, num int32, body io.ReadSeeker, size int64, sum object.Checksum) (etag string, err error)
	// CompleteMultipartUpload assembles the parts, given in ascending order with their
	// ETags and checksums. A part other than the last smaller than 5 MiB is refused
	// (EntityTooSmall), a part not held as given too (InvalidPart). Completing an upload
	// that was completed already succeeds on some servers (versitygw, moto) and is
	// NotFound on others (MinIO): the engine, after a retry, checks the object instead.
	// It returns the object's ETag (quotes removed) and version ID, as PutObject.
	CompleteMultipartUpload(ctx context.Context, ref object.Ref, uploadID string, parts []object.Part) (object.Written, error)
	// AbortMultipartUpload removes an upload and its parts. An upload that does not exist
	// counts as aborted (nil). A part still arriving may bring the upload back: the engine
	// asks again (PartLister) and aborts again.
	AbortMultipartUpload(ctx context.Context, ref object.Ref, uploadID string) error
}

// Getter reads objects.
type Getter interface {
	// HeadObject returns the object's size, ETag (without quotes), time, user metadata and
	// whole-object checksum if the store knows one (a composite checksum of parts is not
	// one: zero then). A missing bucket is NotFound and StopsRun; a missing key NotFound.
	HeadObject(ctx context.Context, ref object.Ref) (object.Info, error)
	// GetObject returns length bytes from offset (length < 0: to the end; a length past the
	// end stops at the end; an offset at or past the end is an error that is not
	// Retryable), failing with PreconditionFailed if the object's ETag is no longer ifMatch
	// (the ETag without quotes, when set). The caller closes the body. A body that also has
	// a method Metadata() map[string]string gives the object's user metadata.
	GetObject(ctx context.Context, ref object.Ref, offset, length int64, ifMatch string) (io.ReadCloser, error)
}

// Lister lists objects.
type Lister interface {
	// List calls fn for every object under prefix in the store's order (byte order of keys
	// on S3; a posix-backed server may walk directories instead) and stops with fn's error.
	// Each object's Info has its key, size, ETag and time; no metadata.
	List(ctx context.Context, bucket, prefix string, fn func(object.Info) error) error
}

// ListerResume is the optional capability of a listing that can go on from a page: *token
// is the continuation token of the page to list ("" for the first), which the store moves
// on to the next page's once it has given every key of a page to fn. After a failure the
// same token asks for the page that failed again (its keys given before the failure come
// again). With it a listing that fails part way goes on where it stopped (Policy.ListPrefix)
// instead of starting over, so that a listing of thousands of pages through a flaky network
// fails only when one page fails for good.
type ListerResume interface {
	ListResume(ctx context.Context, bucket, prefix string, token *string, fn func(object.Info) error) error
}

// PageLister is the optional capability of listing page by page, with a delimiter or
// without, with which the engine lists a prefix of many common prefixes in parallel and
// holds a request slot for each page's request only (Policy.ListPrefix).
type PageLister interface {
	// ListPages lists prefix from the page whose continuation token is token ("": the
	// first), with delimiter when it is not "", calling page with each page's keys, its
	// common prefixes and the next page's token ("" after the last page). The slices are
	// the caller's. Keys and common prefixes are each in the store's order and together one
	// stretch of the listing (in byte order on S3, a common prefix stands where the keys
	// under it would). A page the store finds out of order ends the listing with a
	// Retryable error before page sees it; one it cannot go on from (truncated without a
	// token) is given with next "" and then ends the listing so. page's own error ends the
	// listing and is returned. No request is in flight while page runs.
	ListPages(ctx context.Context, bucket, prefix, delimiter, token string, page func(keys []object.Info, prefixes []string, next string) error) error
}

// Store is what the engine needs from an object store to upload and download.
type Store interface {
	Putter
	MultipartUploader
	Getter
	Lister
}

// PartLister is the optional capability a resumed upload and the abort's settle step use:
// the parts the server holds for an upload. A part's Checksum may be zero (moto lists
// none). Without it resumed uploads start over and an abort is not checked.
type PartLister interface {
	ListParts(ctx context.Context, ref object.Ref, uploadID string) ([]object.Part, error)
}

// UploadLister is the optional capability of listing incomplete multipart uploads under a
// prefix (a whole key works too); with it an upload whose CreateMultipartUpload answer was
// lost is found and aborted. The order depends on the server (key order on S3, creation
// order on MinIO and moto), and Initiated may not be real (moto reports 2010).
type UploadLister interface {
	ListUploads(ctx context.Context, bucket, prefix string, fn func(object.Upload) error) error
}

// PartGetter is the optional capability of reading a multipart object by part number, with
// which the engine verifies a multipart object that carries no whole-object checksum it can
// check (one written by another tool): part by part against the parts' own checksums, or
// against the multipart ETag (the MD5 of the parts' MD5s, "-N"). Without it such an object
// is downloaded unverified, and the download says so.
//
// Both methods ask with checksum mode on. A server that ignores partNumber answers as for
// the whole object (Count 0, or the whole object's bytes): the engine checks the answer's
// Count, Offset and Length before it trusts it.
type PartGetter interface {
	// HeadObjectPart describes part number part (from 1) of the object at ref: the number
	// of parts, the part's length and offset, its checksum if the server keeps one, and
	// the object's metadata. A part number past the last is an error that is not
	// Retryable.
	HeadObjectPart(ctx context.Context, ref object.Ref, part int32) (object.PartInfo, error)
	// GetObjectPart returns the bytes of part number part and what the answer said of it,
	// failing with PreconditionFailed if the object's ETag is no longer ifMatch (when set).
	// The body is not checked against the part's checksum: the caller does that. The
	// caller closes the body.
	GetObjectPart(ctx context.Context, ref object.Ref, part int32, ifMatch string) (io.ReadCloser, object.PartInfo, error)
}

// Copier is the optional capability of copying within the store, the bytes never leaving
// the server: with it a Copy item whose source is on the engine's store (Options.Source
// nil) is made by the server; without it the bytes pass through the client as between two
// stores. A source that changed since src.ETag (when set) fails with PreconditionFailed.
type Copier interface {
	// CopyObject copies src to dst in one request (up to 5 GiB) and returns the copy's ETag
	// (quotes removed) and version ID, as PutObject. o's ACL, storage class and encryption apply, and with
	// src.ReplaceMetadata its metadata, content type and cache control replace the
	// source's; o.Checksum, when set, is the algorithm of the checksum the store keeps for
	// the copy.
	CopyObject(ctx context.Context, dst object.Ref, src object.CopySource, o *object.Options) (object.Written, error)
	// UploadPartCopy makes part num of a multipart upload of dst from src.Length bytes of
	// src from src.Offset, and returns the part: its ETag and, when the upload has a
	// checksum algorithm and the store gives one, its checksum.
	UploadPartCopy(ctx context.Context, dst object.Ref, uploadID string, num int32, src object.CopySource) (object.Part, error)
}

// Describer is the optional capability of describing an object with the properties an
// upload gives it (content type, cache control, storage class, encryption, metadata, the
// number of its tags; not the ACL or the tags themselves, which a HEAD answer does not
// tell), with which a copy keeps them. Without it a copy keeps what HeadObject tells:
// content type and metadata.
type Describer interface {
	DescribeObject(ctx context.Context, ref object.Ref) (object.Info, object.Options, error)
}

// GrantReader is the optional capability of reading an object's grants beyond its owner's,
// with which a copy carries them (the engine asks beside the HEAD, at the same time). A
// store that cannot read any object's grants (the server keeps none, the caller may not
// read them) returns an error wrapping object.ErrUnreadable: the copy goes on without them
// and its Done event says so (Event.NoGrants). A private object has none: nil.
type GrantReader interface {
	ObjectGrants(ctx context.Context, ref object.Ref) ([]object.Grant, error)
}

// TagReader is the optional capability of reading an object's tags, with which a copy that
// the server does not make in one request (a multipart copy, a copy between stores)
// carries them; the engine asks only when Info.TagCount says there are some. An error
// wrapping object.ErrUnreadable fails the copy, which would lose the tags.
type TagReader interface {
	ObjectTags(ctx context.Context, ref object.Ref) (map[string]string, error)
}

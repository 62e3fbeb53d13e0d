// Package object holds the plain data types that the transfer engine and the stores share
// (object references, listings, upload options and multipart parts) and the rules for
// their names: s3:// URLs, bucket names and keys (url.go). It imports only the standard
// library.
package object

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Ref names one object, or a key prefix, in a bucket.
type Ref struct {
	Bucket string
	Key    string
}

// String returns the reference as an s3:// URL.
func (r Ref) String() string { return Scheme + r.Bucket + "/" + r.Key }

// Info describes a stored object as a listing or a HEAD request reports it.
type Info struct {
	Key          string
	Size         int64
	ETag         string // as the server sent it, quotes removed
	LastModified time.Time
	ContentType  string
	Metadata     map[string]string // user metadata (x-amz-meta-*); HEAD only, not listings
	// Checksum is the server's own checksum of the whole object (x-amz-checksum-*), when it
	// keeps one for the whole object rather than a composite of its parts; HEAD only.
	Checksum Checksum
	// TagCount is how many tags the object has (x-amz-tagging-count); HEAD only.
	TagCount int
}

// Options are the properties given to an object when it is uploaded. The zero value means
// "the server's defaults".
type Options struct {
	ACL          string            // canned ACL, e.g. "private"
	Metadata     map[string]string // user metadata (x-amz-meta-*)
	SSE          string            // "AES256", "aws:kms" or "aws:kms:dsse"
	SSEKMSKeyID  string            // with SSE "aws:kms"
	StorageClass string
	ContentType  string // empty: the engine detects it from the file name
	CacheControl string
	// Grants are access grants beyond the owner's, as a copy carries them from its source
	// object when no canned ACL is given; ignored when ACL is set.
	Grants []Grant
	// Tags are the object's tags (x-amz-tagging). On a copy, nil keeps the source's and
	// a map, even empty, replaces them.
	Tags map[string]string
	// Checksum is the algorithm of the checksum sent with every PUT and part for the server
	// to verify: one of the Checksum* constants; ChecksumNone for none; "" for the store's
	// default (the engine asks a store that can say, else sends CRC32C).
	Checksum string
	// FullObject asks, with a CRC Checksum, that a multipart upload keep a checksum of the
	// whole object (S3's checksum type FULL_OBJECT) instead of a checksum of its parts'
	// checksums (COMPOSITE): the upload must then be completed with the whole object's
	// CRC, which the server checks. Only CreateMultipartUpload reads it.
	FullObject bool
}

// Grant is one access grant of an object: a grantee as S3's x-amz-grant-* headers name it
// (id="canonical-id", uri="http://acs.amazonaws.com/groups/global/AllUsers" or
// emailAddress="...") and a permission: FULL_CONTROL, READ, READ_ACP or WRITE_ACP.
type Grant struct {
	Grantee    string
	Permission string
}

// Portable reports whether the grantee means the same on every server and account: a group
// (uri=), not a canonical user ID or an e-mail address of one account.
func (g Grant) Portable() bool { return strings.HasPrefix(g.Grantee, "uri=") }

// ErrUnreadable is the error (wrapped) of a store asked for a property of an object that it
// cannot read at all, whatever the object: the server keeps none (it answers NotImplemented),
// or the caller may not read it (AccessDenied; ACLs disabled on the bucket). It is not a
// failure of the object: a copy goes on without the property, and says so.
var ErrUnreadable = errors.New("the store cannot read it")

// Checksum algorithms. ChecksumMD5 is sent as Content-MD5; the others as x-amz-checksum-*.
const (
	ChecksumCRC32C    = "CRC32C"
	ChecksumCRC32     = "CRC32"
	ChecksumCRC64NVME = "CRC64NVME"
	ChecksumSHA256    = "SHA256"
	ChecksumSHA1      = "SHA1"
	ChecksumMD5       = "MD5"
	// ChecksumNone sends no checksum.
	ChecksumNone = "NONE"
)

// Checksum is a checksum of a body: the algorithm and the base64 of its big-endian value, as
// S3 headers carry it. The zero value means no checksum.
type Checksum struct {
	Algorithm string
	Value     string
}

// Part is one completed part of a multipart upload.
type Part struct {
	Number   int32
	ETag     string
	Size     int64
	Checksum Checksum // as sent; zero when the upload has no checksum algorithm
}

// Written is what a server said of an object it has just written (PutObject,
// CompleteMultipartUpload, CopyObject).
type Written struct {
	ETag string // quotes removed
	// VersionID is the version the write made (x-amz-version-id), in a bucket that keeps
	// versions; empty in one that does not.
	VersionID string
}

// PartList is what ListParts tells of an incomplete multipart upload: its parts in part
// number order, and the checksum algorithm it was created with and whether that is a
// full-object checksum, where the server says (MinIO and versitygw do; moto does not:
// Checksum is then empty).
type PartList struct {
	Parts      []Part
	Checksum   string // one of the Checksum* constants but ChecksumMD5 and ChecksumNone
	FullObject bool
}

// Upload is an incomplete multipart upload as ListMultipartUploads reports it.
type Upload struct {
	Key       string
	UploadID  string
	Initiated time.Time
}

// RequestName names a request for an error message: the operation, the object, and the part
// and upload ID where there are any ("UploadPart s3://b/k part 3 (upload ID x)"). Stores
// start their errors with it, so that every store names a failed request alike.
func RequestName(op string, ref Ref, part int32, uploadID string) string {
	s := op
	if ref.Bucket != "" {
		s += " " + ref.String()
	}
	if part > 0 {
		s += " part " + strconv.Itoa(int(part))
	}
	if uploadID != "" {
		s += " (upload ID " + uploadID + ")"
	}
	return s
}

// CopySource is the object a server-side copy (CopyObject, UploadPartCopy) reads: the
// object at Ref, as long as its ETag is still ETag (x-amz-copy-source-if-match; empty:
// whatever version is there). A copy of a changed object fails with PreconditionFailed.
type CopySource struct {
	Ref
	ETag string
	// ReplaceMetadata gives the copy the metadata, content type and cache control of the
	// Options passed with it instead of the source's (S3's metadata directive REPLACE);
	// CopyObject only: a multipart upload always takes them from its creation.
	ReplaceMetadata bool
	// Offset and Length are the bytes of the source an UploadPartCopy copies
	// (x-amz-copy-source-range); Length 0 copies the whole object.
	Offset, Length int64
}

// Package object holds the plain data types that the transfer engine and the stores share:
// object references, listings, upload options and multipart parts. It has no behaviour of
// its own and imports only the standard library.
package object

import "time"

// Ref names one object, or a key prefix, in a bucket.
type Ref struct {
	Bucket string
	Key    string
}

// String returns the reference as an s3:// URL.
func (r Ref) String() string { return "s3://" + r.Bucket + "/" + r.Key }

// Info describes a stored object as a listing or a HEAD request reports it.
type Info struct {
	Key          string
	Size         int64
	ETag         string // as the server sent it, quotes removed
	LastModified time.Time
	ContentType  string
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
}

// Part is one completed part of a multipart upload.
type Part struct {
	Number int32
	ETag   string
	Size   int64
}

// Upload is an incomplete multipart upload as ListMultipartUploads reports it.
type Upload struct {
	Key       string
	UploadID  string
	Initiated time.Time
}

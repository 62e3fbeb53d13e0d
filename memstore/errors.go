package memstore

import (
	"strings"

	"github.com/haul-s3/haul/object"
)

// S3 error codes a Store answers with.
const (
	CodeNoSuchBucket       = "NoSuchBucket"
	CodeNoSuchKey          = "NoSuchKey"
	CodeNoSuchUpload       = "NoSuchUpload"
	CodePreconditionFailed = "PreconditionFailed"
	CodeInvalidRange       = "InvalidRange"
	CodeBadDigest          = "BadDigest"
	CodeInvalidDigest      = "InvalidDigest"
	CodeIncompleteBody     = "IncompleteBody"
	CodeEntityTooSmall     = "EntityTooSmall"
	CodeInvalidPart        = "InvalidPart"
	CodeInvalidPartOrder   = "InvalidPartOrder"
	CodeInvalidArgument    = "InvalidArgument"
	CodeInvalidRequest     = "InvalidRequest"
	CodeMalformedXML       = "MalformedXML"
	CodeInvalidBucketName  = "InvalidBucketName"
	CodeInvalidPartNumber  = "InvalidPartNumber"
)

// Error is a request the Store refused. It names the operation, the bucket, the key, the
// upload ID and part where there are any, and the S3 error code, and it has the methods by
// which haul's engine classifies a failure (it finds them by interface, as it does on
// s3store.Error):
//
//   - Retryable: BadDigest (a body that does not match its checksum) and IncompleteBody (a
//     body shorter than its size); Throttled is always false.
//   - NotFound: NoSuchBucket, NoSuchKey and NoSuchUpload.
//   - StopsRun: NoSuchBucket, which every other request to the bucket would meet too.
//   - PreconditionFailed: PreconditionFailed, an If-Match that no longer holds.
//   - Denied: always false; a Store has no permissions.
type Error struct {
	Op       string // the S3 operation, e.g. "UploadPart"
	Bucket   string
	Key      string
	UploadID string
	Part     int32
	Code     string // the S3 error code, one of the Code* constants
	Message  string // more detail, when there is any
	Err      error  // the cause, when there is one (the body's own read error)
}

// Error renders the failure as one line, like s3store's: the request, then the code.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("memstore: " + object.RequestName(e.Op, object.Ref{Bucket: e.Bucket, Key: e.Key}, e.Part, e.UploadID))
	b.WriteString(": " + e.Code)
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the same request may succeed if sent again.
func (e *Error) Retryable() bool { return e.Code == CodeBadDigest || e.Code == CodeIncompleteBody }

// Throttled reports whether the store asked for fewer requests; a Store never does.
func (e *Error) Throttled() bool { return false }

// NotFound reports whether the bucket, key or upload does not exist.
func (e *Error) NotFound() bool {
	return e.Code == CodeNoSuchBucket || e.Code == CodeNoSuchKey || e.Code == CodeNoSuchUpload
}

// PreconditionFailed reports whether an If-Match condition failed: the object changed.
func (e *Error) PreconditionFailed() bool { return e.Code == CodePreconditionFailed }

// StopsRun reports whether every other request to the bucket will fail the same way: the
// bucket does not exist.
func (e *Error) StopsRun() bool { return e.Code == CodeNoSuchBucket }

// Denied reports whether permission was refused; a Store has no permissions to refuse.
func (e *Error) Denied() bool { return false }

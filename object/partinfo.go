package object

// PartInfo is what a server says of one part of a multipart object when asked for it by
// number (GetObject or HeadObject with partNumber).
type PartInfo struct {
	Number int32 // the part asked for, from 1
	// Count is the number of parts of the object (x-amz-mp-parts-count): 0 when the server
	// gave none, as for an object put in one request or a server that ignores partNumber.
	Count int32
	// Offset is where the part starts in the object (from Content-Range); -1 when the
	// answer did not say.
	Offset int64
	Length int64 // the part's bytes (Content-Length)
	// ETag is the ETag the answer carried, quotes removed: the object's on S3 (moto gives
	// the part's own on a HEAD).
	ETag string
	// Checksum is the part's own checksum (x-amz-checksum-*, asked for with checksum mode),
	// zero when the server gave none. A composite or whole-object value is never one.
	Checksum Checksum
	// Metadata is the object's user metadata (x-amz-meta-*).
	Metadata map[string]string
	// ETagNotMD5 is set when the object's ETag is not made of MD5s of its bytes: it is
	// encrypted with SSE-KMS or SSE-C.
	ETagNotMD5 bool
}

// Package journal keeps a crash-safe record of a resumable run: for each multipart upload its
// bucket, key, upload ID, part size, the source's fingerprint and every completed part; for
// each download its temporary file and the byte ranges already written; and which items are
// finished.
//
// The file is a sequence of JSON records, one per line, appended and fsynced one at a time.
// A kill -9 or power loss can tear only the last line, which Open ignores, so the journal
// read back is always the state after some whole number of records. A damaged line anywhere
// else is reported as corruption, never guessed at. The file is created with mode 0600, holds
// no credentials, and is locked while open (flock on Unix, LockFileEx on Windows), so two
// processes cannot share it.
//
// A Journal is safe for concurrent use.
package journal

import (
	"os"
	"time"

	"github.com/haul-s3/haul/object"
)

// Format and Version identify the file; Open refuses anything else.
const (
	Format  = "haul-journal"
	Version = 1
)

// Header is the first record: what run the journal belongs to.
type Header struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	// Args is the haul cp command line (without secrets), so `haul resume` can run it again.
	Args []string `json:"args"`
	// Dir is the working directory the command ran in.
	Dir string `json:"dir"`
}

// Fingerprint identifies a version of a local file well enough to notice that it changed.
// Inode is 0 on Windows, where a file is known by its size and modification time only.
type Fingerprint struct {
	Size    int64  `json:"size"`
	MtimeNs int64  `json:"mtime_ns"`
	Inode   uint64 `json:"inode"`
	// ETag is the version of a copied object (a copy's source is an object, not a file:
	// its size, time and ETag are its fingerprint); empty for a file.
	ETag string `json:"etag,omitempty"`
}

// FingerprintOf returns the fingerprint of fi.
func FingerprintOf(fi os.FileInfo) Fingerprint {
	return Fingerprint{Size: fi.Size(), MtimeNs: fi.ModTime().UnixNano(), Inode: inode(fi)}
}

// Upload is a multipart upload in progress, with the parts known to be complete.
type Upload struct {
	Bucket   string
	Key      string
	UploadID string
	Source   Fingerprint
	PartSize int64
	Parts    map[int32]object.Part
}

// Download is a download in progress into a temporary file: Ranges maps the offset of each
// range fully written (and synced) to its length.
type Download struct {
	Bucket   string
	Key      string
	ETag     string
	Size     int64
	Temp     string
	PartSize int64
	Ranges   map[int64]int64
}

// record is one line of the file. Op says which fields are set.
type record struct {
	Op       string       `json:"op"` // upload, part, forget, done, download, range, dl_done
	Bucket   string       `json:"bucket,omitempty"`
	Key      string       `json:"key,omitempty"`
	UploadID string       `json:"upload_id,omitempty"`
	Source   *Fingerprint `json:"source,omitempty"`
	PartSize int64        `json:"part_size,omitempty"`
	Part     int32        `json:"part,omitempty"`
	Size     int64        `json:"size,omitempty"`
	ETag     string       `json:"etag,omitempty"`
	Target   string       `json:"target,omitempty"`
	Temp     string       `json:"temp,omitempty"`
	Offset   int64        `json:"offset,omitempty"`
	SumAlg   string       `json:"sum_alg,omitempty"` // a part's checksum algorithm
	Sum      string       `json:"sum,omitempty"`     // and value, base64
}

// Package receipt is the record a run leaves of what it did, one JSON object a line per
// object: what was uploaded, downloaded, copied, deleted or found unchanged, with the size,
// ETag and checksum the run saw, so that the job can be checked later against what the
// store and the disk hold (haul verify). A Writer appends lines as objects are done; Read
// reads them back, taking a last line that a crash cut short for what it is.
package receipt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// The ops of a Line.
const (
	Upload    = "upload"    // a local file (Source) to the object at URL
	Download  = "download"  // the object at URL to the local file Path
	Copy      = "copy"      // the object Source to the object at URL
	Delete    = "delete"    // the object at URL was deleted
	Unchanged = "unchanged" // a sync found the object at URL and its source (or Path) the same
)

// Line is one object done. A field that does not apply is left out; Op, Size and Time are
// always there.
type Line struct {
	Op string `json:"op"`
	// URL, Bucket and Key name the object written (a download: read); a local file a sync
	// from S3 deleted has none, only Path.
	URL    string `json:"url,omitempty"`
	Bucket string `json:"bucket,omitempty"`
	Key    string `json:"key,omitempty"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag,omitempty"` // without quotes
	// VersionID is the version the server gave the object written, when it gave one.
	VersionID string `json:"version_id,omitempty"`
	// ChecksumAlgorithm and Checksum are the whole-object checksum the run recorded (an
	// upload's haul checksum) or checked (a download's), as S3 names the algorithm and
	// with the base64 value S3 headers carry.
	ChecksumAlgorithm string `json:"checksum_algorithm,omitempty"`
	Checksum          string `json:"checksum,omitempty"`
	// Source is where the bytes came from: an absolute local path (upload) or an s3:// URL
	// (copy, download).
	Source      string    `json:"source,omitempty"`
	SourceMtime time.Time `json:"source_mtime,omitzero"` // a local source's mtime as it was read
	Path        string    `json:"path,omitempty"`        // the absolute local file a download wrote (none for a download to standard output)
	Mtime       time.Time `json:"mtime,omitzero"`        // that file's mtime once written
	// Verified is how the bytes were checked: a download's (md5, crc32c, crc32-parts, ...,
	// none), an upload's ("server": the server checked the checksum sent with them).
	Verified string    `json:"verified,omitempty"`
	Reason   string    `json:"reason,omitempty"` // sync: why it was sent, or the rule that found it unchanged
	Moved    bool      `json:"moved,omitempty"`  // mv: the source was removed once the copy was verified
	Time     time.Time `json:"time"`             // when it was done, UTC
	Shard    string    `json:"shard,omitempty"`  // I/N of a sharded run

	retired bool // see Retired
}

// Writer appends Lines to a receipt, each in one write, as they come. Its methods are safe
// for concurrent use. After a failed write every later one fails the same way: a receipt
// with a gap is no receipt.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	c   io.Closer // nil for a writer not opened by Create
	err error
	buf []byte
}

// NewWriter returns a Writer of lines to w (standard output, say). Close does not close w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Create opens the receipt file at path for appending, creating it if need be: a rerun
// (a sync again, a resumed copy) adds to what the earlier runs wrote, and a later line of
// an object stands over an earlier one (Index). Every write appends (O_APPEND), one line
// in one write, so that runs writing one receipt at once do not write over each other's
// lines. A regular file's tail is made whole first (repairTail): a partial last line that
// a crashed run left is cut off, so that the lines appended stay lines, and cut is its
// length. Anything else (a named pipe, /dev/stdout) is written to as it is.
func Create(path string) (w *Writer, cut int64, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("receipt: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().IsRegular() {
		cut, err = repairTail(path)
	}
	if err != nil {
		_ = f.Close()
		return nil, 0, fmt.Errorf("receipt %s: %w", path, err)
	}
	return &Writer{w: f, c: f}, cut, nil
}

// maxLine is the longest tail repairTail reads to see whether it is a whole line: far
// past any line (a key is at most 1 KiB, a path some 4 KiB).
const maxLine = 1 << 20

// repairTail makes the regular file at path end in a newline, or be empty. What follows
// its last newline is kept, with a newline added, when it is a whole receipt line (a file
// whose last line lost only its newline); else it is what a crash cut short, and is cut
// off: cut is its length.
func repairTail(path string) (cut int64, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return 0, err
	}
	end := fi.Size()
	keep, err := afterLastNewline(f, end)
	if err != nil || keep == end {
		return 0, err
	}
	if end-keep <= maxLine {
		tail := make([]byte, end-keep)
		if _, err := f.ReadAt(tail, keep); err != nil {
			return 0, err
		}
		if b := bytes.TrimSpace(tail); len(b) > 0 {
			if _, perr := parse(b); perr == nil {
				_, err := f.WriteAt([]byte{'\n'}, end)
				return 0, err
			}
		}
	}
	return end - keep, f.Truncate(keep)
}

// afterLastNewline returns the offset just past the last newline of the first end bytes
// of f, or 0 when they hold none.
func afterLastNewline(f *os.File, end int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for off := end; off > 0; {
		n := min(int64(len(buf)), off)
		off -= n
		if _, err := f.ReadAt(buf[:n], off); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return off + int64(i) + 1, nil
		}
	}
	return 0, nil
}

// Write appends l as one line, its times in UTC (a file's mtime comes in local time).
func (w *Writer) Write(l Line) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	l.SourceMtime, l.Mtime, l.Time = l.SourceMtime.UTC(), l.Mtime.UTC(), l.Time.UTC()
	b, err := json.Marshal(l)
	if err != nil {
		// Every field is a string, a number or a time: this cannot happen.
		panic(fmt.Sprintf("receipt: encoding a line: %v", err))
	}
	w.buf = append(append(w.buf[:0], b...), '\n')
	if _, err := w.w.Write(w.buf); err != nil {
		w.err = fmt.Errorf("receipt: %w", err)
	}
	return w.err
}

// Close closes the file Create opened; it returns the first write error, if there was one.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var err error
	if w.c != nil {
		err = w.c.Close()
		w.c = nil
	}
	return errors.Join(w.err, err)
}

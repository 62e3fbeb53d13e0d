package transfer

import (
	"errors"
	"fmt"

	"github.com/haul-s3/haul/object"
)

// Layout is the part layout of a multipart upload of a file of Size bytes: Parts parts of
// PartSize bytes, the last one shorter or equal. It is a pure function of the file's size
// and the part size asked for (NewLayout), so that runs on several machines that share one
// upload (each sending a shard of its parts) and the run that completes it agree on every
// part without talking to each other.
type Layout struct {
	Size     int64
	PartSize int64
	Parts    int
}

// ErrEmptyFile is the error of NewLayout for a file of no bytes, which a multipart upload
// cannot hold usefully (a single PutObject stores it).
var ErrEmptyFile = errors.New("the file is empty: a multipart upload needs at least one byte")

// NewLayout returns the layout haul's uploads use for a file of size bytes: the part size
// of PartSize (forced > 0 is used as given, within S3's limits). A file of no bytes is
// ErrEmptyFile.
func NewLayout(size, forced int64) (Layout, error) {
	if size <= 0 {
		return Layout{}, ErrEmptyFile
	}
	ps, err := PartSize(size, forced)
	if err != nil {
		return Layout{}, err
	}
	return Layout{Size: size, PartSize: ps, Parts: PartCount(size, ps)}, nil
}

// Part returns the offset and length of part number num (1..Parts).
func (l Layout) Part(num int32) (off, length int64) {
	off = int64(num-1) * l.PartSize
	return off, min(l.PartSize, l.Size-off)
}

// Shard returns the part numbers [first, end) that shard index (from 0) of count takes:
// contiguous ranges, so that each machine reads one region of the file, of sizes that
// differ by at most one part. A shard may have none (first == end) when there are more
// shards than parts. Every part is in exactly one shard.
func (l Layout) Shard(index, count int) (first, end int32) {
	p := int64(l.Parts)
	return int32(int64(index)*p/int64(count)) + 1, int32(int64(index+1)*p/int64(count)) + 1
}

// Owner returns the shard (from 0) of count that takes part number num: the last shard
// whose first part is num or before it.
func (l Layout) Owner(num int32, count int) int {
	// floor(i*P/N) <= num-1  <=>  i*P < num*N  <=>  i <= (num*N-1)/P
	return int((int64(num)*int64(count) - 1) / int64(l.Parts))
}

// LayoutError is a part the server holds whose size is not the layout's: the runs that
// share the upload disagree on the part size (one was given another --part-size, or
// another file), and the upload cannot be completed as it is.
type LayoutError struct {
	Part     int32
	Size     int64 // the part's size on the server
	Want     int64 // its size in this run's layout
	PartSize int64 // this run's part size
	Parts    int   // this run's number of parts
}

func (e *LayoutError) Error() string {
	if e.Want == 0 {
		return fmt.Sprintf("the upload holds part %d (%d bytes), but this file makes %d parts of %d bytes: the runs that share the upload disagree on the part size or the file",
			e.Part, e.Size, e.Parts, e.PartSize)
	}
	return fmt.Sprintf("the upload holds part %d of %d bytes where this run's layout (parts of %d bytes) makes it %d bytes: the runs that share the upload disagree on the part size or the file",
		e.Part, e.Size, e.PartSize, e.Want)
}

// checkLayout returns a *LayoutError for the first part held that the layout does not make
// as it is. A part of no bytes is passed over: it is one being written (MinIO lists a part
// whose UploadPartCopy is under way with size 0), never one of a layout, and no caller
// takes it as held.
func (l Layout) checkLayout(held []object.Part) error {
	for _, p := range held {
		if p.Size == 0 {
			continue
		}
		if p.Number < 1 || int(p.Number) > l.Parts {
			return &LayoutError{Part: p.Number, Size: p.Size, PartSize: l.PartSize, Parts: l.Parts}
		}
		if _, length := l.Part(p.Number); p.Size != length {
			return &LayoutError{Part: p.Number, Size: p.Size, Want: length, PartSize: l.PartSize, Parts: l.Parts}
		}
	}
	return nil
}

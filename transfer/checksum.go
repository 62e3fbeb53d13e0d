package transfer

import (
	"fmt"
	"io"
	"os"
)

// readSection writes length bytes of f from off to w. The bytes are read again, from the
// page cache, when they are sent: S3 needs a checksum in a header before the body
// (aws-chunked trailers would avoid the second read, but several S3-compatible servers do
// not accept them over plain HTTP).
func readSection(f *os.File, off, length int64, w io.Writer) error {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	n, err := io.CopyBuffer(w, io.NewSectionReader(f, off, length), *bp)
	if err != nil {
		return &SourceError{Path: f.Name(), Err: err}
	}
	if n != length {
		return &SourceError{Path: f.Name(), Err: fmt.Errorf("%w: it ended early", errChanged)}
	}
	return nil
}

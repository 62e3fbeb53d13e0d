package transfer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// SourceError is a failure of the local source: unreadable, or changed while it was being
// sent. It is never retried: the same request would send different bytes.
type SourceError struct {
	Path string
	Err  error
}

func (e *SourceError) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *SourceError) Unwrap() error { return e.Err }

// errChanged is wrapped by the SourceError of a file that changed while it was uploaded.
var errChanged = errors.New("file changed while it was being uploaded; it was not uploaded (run again once it is no longer being written)")

// checkUnchanged fails if f's size or modification time differ from what was seen at the start.
func checkUnchanged(f *os.File, size int64, mtime time.Time) error {
	fi, err := f.Stat()
	if err != nil {
		return &SourceError{Path: f.Name(), Err: err}
	}
	if fi.Size() != size || !fi.ModTime().Equal(mtime) {
		return &SourceError{Path: f.Name(), Err: fmt.Errorf("%w: size %d, now %d", errChanged, size, fi.Size())}
	}
	return nil
}

// reported is the progress a request body has reported: its high-water mark, so that a
// byte read again after a seek is not counted twice, and undo can take it all back.
type reported struct {
	hw       int64
	progress func(int64)
}

// upTo reports the bytes up to pos not reported yet.
func (r *reported) upTo(pos int64) {
	if pos > r.hw {
		r.progress(pos - r.hw)
		r.hw = pos
	}
}

// Sent reports n more bytes of the body sent by a store that sent them itself (from the
// file, or from memory) rather than through Read.
func (r *reported) Sent(n int64) {
	r.hw += n
	r.progress(n)
}

// undo takes back the progress reported by a failed attempt.
func (r *reported) undo() {
	r.progress(-r.hw)
	r.hw = 0
}

// partReader is the body of one request: length bytes of a file from off. It reports
// progress as bytes are first read, fails with a SourceError if the file ends early, and,
// when last is set, checks that the file did not change before it hands over the final
// bytes, so that a changed file never becomes a complete object.
type partReader struct {
	reported
	sr     *io.SectionReader
	f      *os.File
	off    int64
	length int64
	pos    int64 // read position
	last   bool
	size   int64
	mtime  time.Time
}

func (p *partReader) Read(b []byte) (int, error) {
	n, err := p.sr.Read(b)
	p.pos += int64(n)
	if err == io.EOF && p.pos < p.length {
		return n, &SourceError{Path: p.f.Name(), Err: fmt.Errorf("%w: it ended early", errChanged)}
	}
	if err != nil && err != io.EOF {
		return n, &SourceError{Path: p.f.Name(), Err: err}
	}
	if p.last && p.pos == p.length && n > 0 {
		if cerr := checkUnchanged(p.f, p.size, p.mtime); cerr != nil {
			return 0, cerr
		}
	}
	p.upTo(p.pos)
	return n, err
}

func (p *partReader) Seek(offset int64, whence int) (int64, error) {
	pos, err := p.sr.Seek(offset, whence)
	p.pos = pos
	return pos, err
}

// FileSection returns the file and the section of it that is the body, for a store that
// sends it from the file itself (s3store.FileBody: sendfile over plain HTTP).
func (p *partReader) FileSection() (*os.File, int64, int64) {
	return p.f, p.off, p.length
}

// memBody is the body of a small file's PutObject, held in memory (putSmallFile). It
// reports progress as it is first read, or, when a store sends Bytes itself (s3store's
// MemoryBody), through Sent. It has no WriteTo, so that a copy of it goes through Read.
type memBody struct {
	reported
	r   *bytes.Reader
	buf []byte
}

func newMemBody(buf []byte, progress func(int64)) *memBody {
	return &memBody{reported: reported{progress: progress}, r: bytes.NewReader(buf), buf: buf}
}

func (m *memBody) Read(b []byte) (int, error) {
	n, err := m.r.Read(b)
	m.upTo(m.r.Size() - int64(m.r.Len()))
	return n, err
}

func (m *memBody) Seek(offset int64, whence int) (int64, error) { return m.r.Seek(offset, whence) }

// Bytes returns the whole body, which does not change.
func (m *memBody) Bytes() []byte { return m.buf }

// failed blames a failed request on the file when the file changed under it.
func (p *partReader) failed(err error) error {
	if cerr := checkUnchanged(p.f, p.size, p.mtime); cerr != nil {
		return cerr
	}
	return err
}

// changedOr returns a SourceError if the file changed since fi was taken, else err: a
// request that failed because the file changed under it (a checksum the server no longer
// matches, say) must not be retried or blamed on the network.
func changedOr(f *os.File, fi os.FileInfo, err error) error {
	if cerr := checkUnchanged(f, fi.Size(), fi.ModTime()); cerr != nil {
		return cerr
	}
	return err
}

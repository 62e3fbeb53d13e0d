// Package filelist reads lists of names, one file path or object key per entry, that
// another program wrote for haul to move (cp -r and sync's --files-from): one per line, or
// NUL-separated. A Reader reads one entry at a time and never holds more of the list than
// one entry (at most MaxEntry bytes), so a list of ten million lines streams through.
package filelist

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// MaxEntry is the longest entry a Reader takes, in bytes (without its separator): far
// more than a path (PATH_MAX is 4,096 on Linux) or a key (1,024) can be. A longer entry is
// an Entry with its Err set, and the Reader goes on with the next.
const MaxEntry = 64 << 10

// ErrTooLong is the Err of an entry longer than MaxEntry.
var ErrTooLong = fmt.Errorf("longer than %d bytes", MaxEntry)

// Entry is one name of a list.
type Entry struct {
	Name string // as written, without its separator (and, in a list of lines, a trailing CR)
	Line int    // where it stands: its line (1 for the first), or its place among NUL-separated entries
	Err  error  // why the entry cannot be used (ErrTooLong); Name is then ""
}

// EntryError is the error of an entry that cannot be moved: refused, or too long.
type EntryError struct {
	Line int
	Name string // "" for an entry too long to keep
	Err  error
}

func (e *EntryError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("entry %d of the list: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("entry %d of the list (%q): %v", e.Line, e.Name, e.Err)
}

// Unwrap returns the underlying error.
func (e *EntryError) Unwrap() error { return e.Err }

// Reader reads the entries of a list. It is not safe for concurrent use.
type Reader struct {
	r        *bufio.Reader
	sep      byte
	comments bool // a list of lines: '#' at the start of a line makes it a comment
	n        int
	buf      []byte
}

// Lines returns a Reader of a list with one name per line, ended by "\n" or "\r\n" (the
// last line may lack it). Blank lines and lines that start with '#' are passed over; no
// other character is taken away, so a name may begin or end with spaces (only a CR just
// before the "\n" is dropped).
func Lines(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReader(r), sep: '\n', comments: true}
}

// NULs returns a Reader of a list of names each ended by a NUL byte (find -print0, git
// ls-files -z; the last may lack it). Empty entries are passed over; every other byte is
// the name's, a '#' or a CR too.
func NULs(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReader(r), sep: 0}
}

// Next returns the next entry. At the end of the list it returns io.EOF; an error reading
// the list is returned as it is, and ends it.
func (r *Reader) Next() (Entry, error) {
	for {
		b, tooLong, err := r.read()
		if err != nil {
			return Entry{}, err
		}
		switch {
		case tooLong:
			return Entry{Line: r.n, Err: ErrTooLong}, nil
		case len(b) == 0, r.comments && b[0] == '#':
			continue
		}
		return Entry{Name: string(b), Line: r.n}, nil
	}
}

// read reads one entry, without its separator (and a list of lines' trailing CR). An entry
// longer than MaxEntry is read to its end and not kept.
func (r *Reader) read() (b []byte, tooLong bool, err error) {
	r.buf = r.buf[:0]
	seen := false
	for {
		chunk, err := r.r.ReadSlice(r.sep)
		seen = seen || len(chunk) > 0
		if !tooLong {
			if len(r.buf)+len(chunk) > MaxEntry+2 { // the separator, and a CR
				tooLong, r.buf = true, r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && !seen {
			return nil, false, io.EOF
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, false, err
		}
		break
	}
	r.n++
	b = r.buf
	if n := len(b); n > 0 && b[n-1] == r.sep {
		b = b[:n-1]
	}
	if n := len(b); r.comments && n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if len(b) > MaxEntry {
		tooLong = true
	}
	return b, tooLong, nil
}

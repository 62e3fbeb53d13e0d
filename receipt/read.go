package receipt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/haul-s3/haul/object"
)

// SyntaxError is a line of a receipt that is not a receipt line.
type SyntaxError struct {
	Line int // from 1
	Err  error
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *SyntaxError) Unwrap() error { return e.Err }

// Read calls fn with each line of r in order, and stops with fn's error. A line that is
// not a receipt line fails with a *SyntaxError, except a last one with no newline after
// it that does not parse: what a crash cut short while writing it, which Read passes over
// and reports with torn. Empty lines are passed over.
func Read(r io.Reader, fn func(Line) error) (torn bool, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		b, rerr := br.ReadBytes('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return false, rerr
		}
		last := errors.Is(rerr, io.EOF)
		if b = bytes.TrimSpace(b); len(b) > 0 {
			l, perr := parse(b)
			switch {
			case perr != nil && last:
				return true, nil
			case perr != nil:
				return false, &SyntaxError{Line: n, Err: perr}
			}
			if err := fn(l); err != nil {
				return false, err
			}
		}
		if last {
			return false, nil
		}
	}
}

// parse decodes one line and checks that it names an op and an object.
func parse(b []byte) (Line, error) {
	var l Line
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&l); err != nil {
		return l, err
	}
	if d.More() {
		return l, errors.New("more than one JSON value on the line")
	}
	switch l.Op {
	case Upload, Download, Copy, Delete, Unchanged:
	default:
		return l, fmt.Errorf("op %q: not upload, download, copy, delete or unchanged", l.Op)
	}
	if l.Op == Delete && l.URL == "" && l.Path != "" {
		return l, nil // a local file deleted (a sync from S3)
	}
	ref, err := object.ParseURL(l.URL)
	if err != nil {
		return l, fmt.Errorf("url: %w", err)
	}
	if ref.Bucket != l.Bucket || ref.Key != l.Key {
		return l, fmt.Errorf("url %s is not bucket %q, key %q", l.URL, l.Bucket, l.Key)
	}
	return l, nil
}

// id is what makes two lines about the same thing: the local file a download wrote (one
// object may be downloaded to several), else the object.
func (l Line) id() string {
	if l.Path != "" {
		return "file:" + l.Path
	}
	return l.URL
}

package receipt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

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
	if l.Op == Download && l.Path == "" {
		return l, errors.New("a download line without a path")
	}
	return l, nil
}

// Index holds the last line of each object (and, for downloads, of each local file) of
// one or more receipts: a later line of an object stands over an earlier one, as a rerun
// of a sync states what is there now. It keeps every object in memory (a map): some 300
// bytes a line.
type Index struct {
	lines map[string]Line
}

// NewIndex returns an empty Index.
func NewIndex() *Index { return &Index{lines: map[string]Line{}} }

// Add records l, over an earlier line of the same object or file.
func (x *Index) Add(l Line) { x.lines[l.id()] = l }

// id is what makes two lines about the same thing: the local file a download wrote (one
// object may be downloaded to several), else the object.
func (x Line) id() string {
	if x.Path != "" {
		return "file:" + x.Path
	}
	return x.URL
}

// Len is the number of objects and files indexed.
func (x *Index) Len() int { return len(x.lines) }

// Lines returns the lines indexed, by URL and then path.
func (x *Index) Lines() []Line {
	ids := slices.Sorted(maps.Keys(x.lines))
	out := make([]Line, len(ids))
	for i, id := range ids {
		out[i] = x.lines[id]
	}
	slices.SortStableFunc(out, func(a, b Line) int { return strings.Compare(a.URL, b.URL) })
	return out
}

// Sources returns the sources that the lines account for: the Source of every line but a
// deletion's (a local path, or an s3:// URL), each once.
func (x *Index) Sources() map[string]bool {
	s := make(map[string]bool, len(x.lines))
	for _, l := range x.lines {
		if l.Op != Delete && l.Source != "" {
			s[l.Source] = true
		}
	}
	return s
}

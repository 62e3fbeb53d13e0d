package filelist

import (
	"bufio"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// runBytes is how many bytes of names (with 16 bytes a name for its string header) Sort
// holds in memory before it writes them out as a sorted run: a list of ten million
// 50-byte names is then some 40 runs of 16 MiB, merged as they are read.
var runBytes = 16 << 20

// maxRuns is how many runs Sort keeps apart; past it, it merges them into one, so that
// reading the names never holds more than maxRuns files open (twice, for a sync's two
// sides).
const maxRuns = 128

// ErrNUL is the Err of a name, in a list of lines, that holds a NUL byte: no file or key
// can be named so (and a sorted run separates names by NUL).
var ErrNUL = errors.New("the name holds a NUL byte")

// Sorted is a list's names in increasing byte order (Go string order, S3's listing order),
// each once, whatever order the list had: held in memory while they fit in runBytes, else
// in sorted runs in temporary files, merged as they are read. Close removes the files.
type Sorted struct {
	mem  []string // every name, when there are no runs
	runs []string // the runs' paths
}

// Sort reads every entry of r and sorts the names. It calls bad with each entry that
// cannot be used (too long, or a name with a NUL byte) and leaves it out. An error reading
// the list, or writing a run, is returned, and nothing is kept.
func Sort(r *Reader, bad func(Entry)) (*Sorted, error) {
	return Collect(func(add func(string) error) error {
		for {
			e, err := r.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if e.Err == nil && strings.IndexByte(e.Name, 0) >= 0 {
				e.Err, e.Name = ErrNUL, ""
			}
			if e.Err != nil {
				bad(e)
				continue
			}
			if err := add(e.Name); err != nil {
				return err
			}
		}
	})
}

// Collect sorts the names that fill gives to add, as Sort sorts a list's: held in memory
// while they fit in runBytes, else in sorted runs in temporary files. A name with a NUL
// byte makes add fail with ErrNUL (wrapped); add fails too once a run could not be
// written. fill's error, or add's, is returned, and nothing is kept.
func Collect(fill func(add func(name string) error) error) (*Sorted, error) {
	s := &Sorted{}
	var names []string
	held := 0
	err := fill(func(name string) error {
		if strings.IndexByte(name, 0) >= 0 {
			return fmt.Errorf("sorting %q: %w", name, ErrNUL)
		}
		names = append(names, name)
		if held += len(name) + 16; held >= runBytes {
			if err := s.spill(names); err != nil {
				return err
			}
			names, held = names[:0], 0
		}
		return nil
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(s.runs) == 0 {
		s.mem = names
		return s, nil
	}
	if err := s.spill(names); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// spill writes names, sorted, as a run; past maxRuns it merges the runs into one.
func (s *Sorted) spill(names []string) error {
	slices.Sort(names)
	names = slices.Compact(names)
	err := s.write(func(yield func(string) bool) error {
		for _, n := range names {
			if !yield(n) {
				break
			}
		}
		return nil
	})
	if err != nil || len(s.runs) <= maxRuns {
		return err
	}
	old := s.runs
	s.runs = nil
	err = s.write(func(yield func(string) bool) error { return eachRun(old, yield) })
	for _, p := range old {
		_ = os.Remove(p)
	}
	return err
}

// write writes the names each gives as a new run.
func (s *Sorted) write(each func(yield func(string) bool) error) error {
	f, err := os.CreateTemp("", "haul-files-from-*")
	if err != nil {
		return fmt.Errorf("sorting the list: %w", err)
	}
	s.runs = append(s.runs, f.Name())
	w := bufio.NewWriter(f)
	var werr error
	err = each(func(n string) bool {
		_, werr = w.WriteString(n + "\x00")
		return werr == nil
	})
	for _, e := range []error{err, werr, w.Flush(), f.Close()} {
		if e != nil {
			return fmt.Errorf("sorting the list: %w", e)
		}
	}
	return nil
}

// Each calls fn with each name in increasing byte order, each once, until fn returns
// false. It may be called more than once, and by several goroutines at once (each reads
// the runs on its own).
func (s *Sorted) Each(fn func(name string) bool) error {
	if len(s.runs) == 0 {
		for _, n := range s.mem {
			if !fn(n) {
				return nil
			}
		}
		return nil
	}
	return eachRun(s.runs, fn)
}

// Close removes the runs.
func (s *Sorted) Close() {
	for _, p := range s.runs {
		_ = os.Remove(p)
	}
	s.runs = nil
}

// eachRun merges the sorted runs at paths, calling fn with each name once.
func eachRun(paths []string, fn func(string) bool) error {
	h := &runHeap{}
	defer func() {
		for _, r := range h.runs {
			_ = r.f.Close()
		}
	}()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("reading the sorted list: %w", err)
		}
		r := &run{f: f, r: NULs(f)}
		if ok, err := r.next(); err != nil {
			_ = f.Close()
			return err
		} else if !ok {
			_ = f.Close()
			continue
		}
		h.runs = append(h.runs, r)
	}
	heap.Init(h)
	last, first := "", true
	for h.Len() > 0 {
		r := h.runs[0]
		if first || r.name != last {
			if !fn(r.name) {
				return nil
			}
			first, last = false, r.name
		}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			_ = r.f.Close()
			heap.Pop(h)
		}
	}
	return nil
}

// run is one sorted run being read: its next name.
type run struct {
	f    *os.File
	r    *Reader
	name string
}

func (r *run) next() (bool, error) {
	e, err := r.r.Next()
	switch {
	case errors.Is(err, io.EOF):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading the sorted list: %w", err)
	}
	r.name = e.Name
	return true, nil
}

type runHeap struct{ runs []*run }

func (h *runHeap) Len() int           { return len(h.runs) }
func (h *runHeap) Less(i, j int) bool { return h.runs[i].name < h.runs[j].name }
func (h *runHeap) Swap(i, j int)      { h.runs[i], h.runs[j] = h.runs[j], h.runs[i] }
func (h *runHeap) Push(x any)         { h.runs = append(h.runs, x.(*run)) }
func (h *runHeap) Pop() any {
	r := h.runs[len(h.runs)-1]
	h.runs = h.runs[:len(h.runs)-1]
	return r
}

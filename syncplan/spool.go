package syncplan

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// spool keeps the keys only the destination holds, in key order, in a temporary file: a
// sync of ten million keys that deletes most of them holds none of them in memory.
type spool struct {
	f   *os.File
	w   *bufio.Writer
	err error
}

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "haul-sync-deletes-*")
	if err != nil {
		return nil, fmt.Errorf("sync: spool for deletions: %w", err)
	}
	return &spool{f: f, w: bufio.NewWriter(f)}, nil
}

func (s *spool) add(key string, size int64) {
	if s.err == nil {
		_, s.err = fmt.Fprintf(s.w, "%d %s\n", size, strconv.Quote(key))
	}
}

func (s *spool) finish() error {
	if s.err == nil {
		s.err = s.w.Flush()
	}
	return s.err
}

// each calls fn with every key and size spooled, in order, until fn returns false.
func (s *spool) each(ctx context.Context, fn func(key string, size int64) bool) error {
	if _, err := s.f.Seek(0, 0); err != nil {
		return err
	}
	sc := bufio.NewScanner(s.f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, q, ok := strings.Cut(sc.Text(), " ")
		size, err := strconv.ParseInt(n, 10, 64)
		if !ok || err != nil {
			return fmt.Errorf("sync: spool of deletions is damaged: %q", sc.Text())
		}
		key, err := strconv.Unquote(q)
		if err != nil {
			return fmt.Errorf("sync: spool of deletions is damaged: %q", sc.Text())
		}
		if !fn(key, size) {
			return nil
		}
	}
	return sc.Err()
}

func (s *spool) remove() {
	_ = s.f.Close()
	_ = os.Remove(s.f.Name())
}

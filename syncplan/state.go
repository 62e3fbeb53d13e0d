package syncplan

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/haul-s3/haul/object"
)

// A state file is a cache of what a sync found the same on both sides, one record per key,
// in key order: it saves the next run a HEAD (and a read of the file) per unchanged key.
// Deleting it changes the cost of a run, never its result: a record is trusted only when
// the local file's fingerprint and the object as listed both still match it.
//
// The file is text: a header line, then one line per record:
//
//	"key" size mtime_ns ctime_ns inode "etag" lastmodified_ns checksum seen_ns
//
// with the key and the ETag quoted as Go strings, checksum "ALG:base64" or "-", and
// lastmodified_ns 0 when not known (an upload's answer gives the ETag, not the time).
const stateHeader = "haul-sync-state 1"

// Record is what a sync knew of one key when both sides were the same.
type Record struct {
	Key string
	// The local file's fingerprint.
	Size   int64
	Mtime  int64  // Unix ns
	Change int64  // ctime, Unix ns (0 where not known)
	Inode  uint64 // 0 where not known
	// The object as listed.
	ETag         string
	LastModified int64 // Unix ns; 0 when not known
	// Sum is the content's checksum, when it was computed or read; zero otherwise.
	Sum object.Checksum
	// Seen is when the fingerprint was taken (Unix ns): a file changed within the same
	// clock tick as that could keep its mtime, so a record taken too soon after the mtime is
	// not trusted (see racy).
	Seen int64
}

// racy reports whether the file's mtime is too close to when its fingerprint was taken for
// the record to vouch for the content: a write in the same tick of the filesystem's clock
// would not have changed the mtime. Filesystems with whole-second times get two seconds.
func (r Record) racy() bool {
	window := int64(50 * time.Millisecond)
	if r.Mtime%int64(time.Second) == 0 {
		window = int64(2 * time.Second)
	}
	return r.Seen-r.Mtime < window
}

func (r Record) encode() string {
	sum := "-"
	if r.Sum.Algorithm != "" {
		sum = r.Sum.Algorithm + ":" + r.Sum.Value
	}
	return fmt.Sprintf("%s %d %d %d %d %s %d %s %d", strconv.Quote(r.Key), r.Size, r.Mtime, r.Change, r.Inode,
		strconv.Quote(r.ETag), r.LastModified, sum, r.Seen)
}

func decodeRecord(line string) (Record, error) {
	var r Record
	key, rest, err := unquoteField(line)
	if err != nil {
		return r, err
	}
	r.Key = key
	f := strings.SplitN(strings.TrimPrefix(rest, " "), " ", 5) // four numbers, then the ETag on
	if len(f) != 5 {
		return r, fmt.Errorf("short record")
	}
	etag, rest, err := unquoteField(f[4])
	if err != nil {
		return r, err
	}
	r.ETag = etag
	tail := strings.Fields(rest)
	if len(tail) != 3 {
		return r, fmt.Errorf("short record")
	}
	var errs [7]error
	r.Size, errs[0] = strconv.ParseInt(f[0], 10, 64)
	r.Mtime, errs[1] = strconv.ParseInt(f[1], 10, 64)
	r.Change, errs[2] = strconv.ParseInt(f[2], 10, 64)
	r.Inode, errs[3] = strconv.ParseUint(f[3], 10, 64)
	r.LastModified, errs[4] = strconv.ParseInt(tail[0], 10, 64)
	r.Seen, errs[5] = strconv.ParseInt(tail[2], 10, 64)
	if sum := tail[1]; sum != "-" {
		alg, val, ok := strings.Cut(sum, ":")
		if !ok {
			errs[6] = fmt.Errorf("bad checksum %q", sum)
		}
		r.Sum = object.Checksum{Algorithm: alg, Value: val}
	}
	for _, err := range errs {
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// unquoteField reads a Go-quoted string at the start of s and returns it and what follows.
func unquoteField(s string) (string, string, error) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", err
	}
	v, err := strconv.Unquote(q)
	return v, s[len(q):], err
}

// stateReader reads a state file's records in key order, one lookup after another with
// increasing keys, so that it holds one record at a time. A file that is missing, from
// another version, damaged or out of order is as good as empty from that point: it is a
// cache.
type stateReader struct {
	f    *os.File
	sc   *bufio.Scanner
	cur  Record
	have bool
	prev string
}

func openState(path string) *stateReader {
	f, err := os.Open(path)
	if err != nil {
		return &stateReader{}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	if !sc.Scan() || sc.Text() != stateHeader {
		_ = f.Close()
		return &stateReader{}
	}
	r := &stateReader{f: f, sc: sc}
	r.advance()
	return r
}

func (r *stateReader) advance() {
	r.have = false
	if r.sc == nil || !r.sc.Scan() {
		return
	}
	rec, err := decodeRecord(r.sc.Text())
	if err != nil || (r.prev != "" && rec.Key <= r.prev) {
		r.sc = nil // damaged: trust nothing more of it
		return
	}
	r.cur, r.have, r.prev = rec, true, rec.Key
}

// lookup returns the record of key, if there is one. Keys must be asked for in increasing
// order.
func (r *stateReader) lookup(key string) (Record, bool) {
	for r.have && r.cur.Key < key {
		r.advance()
	}
	if r.have && r.cur.Key == key {
		return r.cur, true
	}
	return Record{}, false
}

func (r *stateReader) close() {
	if r.f != nil {
		_ = r.f.Close()
	}
}

// stateWriter writes the new state file in key order while transfers finish in any order:
// each key the merge decides takes a slot in a queue in key order, and the queue is written
// out from its head as slots are filled. A slot whose transfer is still running when the
// queue is longer than maxPending is given up (no record: the next run checks that key
// again), so memory stays bounded.
type stateWriter struct {
	path, tmp string
	f         *os.File
	w         *bufio.Writer
	mu        sync.Mutex
	queue     []*slot
	err       error
}

const maxPending = 10000

type slot struct {
	rec    Record
	filled bool // rec is to be written
	closed bool // decided: written if filled, else dropped
}

func createState(path string) (*stateWriter, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	removeStale(path)
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	w := &stateWriter{path: path, tmp: f.Name(), f: f, w: bufio.NewWriterSize(f, 256*1024)}
	_, w.err = fmt.Fprintln(w.w, stateHeader)
	return w, nil
}

// staleAfter is how old an unfinished state file (of a run that was killed) must be before
// another run of the same pair removes it: a run that is still going keeps writing its own.
const staleAfter = 24 * time.Hour

// removeStale removes the unfinished state files that killed runs of this pair left.
func removeStale(path string) {
	olds, _ := filepath.Glob(path + ".*.tmp")
	for _, p := range olds {
		if fi, err := os.Stat(p); err == nil && time.Since(fi.ModTime()) > staleAfter {
			_ = os.Remove(p)
		}
	}
}

// reserve takes the next slot, for key, in key order.
func (w *stateWriter) reserve() *slot {
	s := &slot{}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.queue = append(w.queue, s)
	if len(w.queue) > maxPending && !w.queue[0].closed {
		w.queue[0].closed = true // given up: its transfer's record will not be written
		w.queue[0].filled = false
		w.drain()
	}
	return s
}

// set closes a slot with rec (ok) or with nothing (!ok).
func (w *stateWriter) set(s *slot, rec Record, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s.closed {
		return
	}
	s.rec, s.filled, s.closed = rec, ok, true
	w.drain()
}

func (w *stateWriter) drain() {
	n := 0
	for n < len(w.queue) && w.queue[n].closed {
		if s := w.queue[n]; s.filled && w.err == nil {
			_, w.err = fmt.Fprintln(w.w, s.rec.encode())
		}
		n++
	}
	w.queue = w.queue[n:]
}

// commit writes what is decided, drops what is not, and puts the file in place: synced,
// then renamed over the old one, so a crash leaves the old file or the new one.
func (w *stateWriter) commit() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.queue {
		if !s.closed {
			s.closed, s.filled = true, false
		}
	}
	w.drain()
	err := w.err
	if err == nil {
		err = w.w.Flush()
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.tmp, w.path)
	}
	if err != nil {
		_ = os.Remove(w.tmp)
	}
	return err
}

// discard removes the unfinished file and leaves the old one.
func (w *stateWriter) discard() {
	_ = w.f.Close()
	_ = os.Remove(w.tmp)
}

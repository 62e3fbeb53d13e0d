package receipt

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/haul-s3/haul/filelist"
	"github.com/haul-s3/haul/object"
)

// Latest is the last line of each object and local file of one or more receipts: a later
// line of an object stands over an earlier one, as a rerun of a sync states what is there
// now. Its lines are held as filelist.Collect holds names: in memory up to some 16 MiB,
// past that in sorted runs in temporary files, merged as they are read, so that receipts
// of millions of lines are checked in bounded memory. Close removes the runs.
type Latest struct {
	s *filelist.Sorted
}

// Collect keeps the last line of each object and file of the lines that read gives to add:
// the one done last (its Time), and of lines done at the same time the last given (the
// receipts one after the other, each from its first line). read's error, or add's (a run
// that could not be written), is returned.
//
// A line of a move (Moved) retires the line of its source, done before it: the object or
// file it moved is gone, as it should be (haul mv a b, then haul mv b c: b is not
// missing). Each passes a retired line on with Retired true.
func Collect(read func(add func(Line) error) error) (*Latest, error) {
	seq := uint64(0)
	s, err := filelist.Collect(func(add func(string) error) error {
		put := func(id string, l Line) error {
			b, err := json.Marshal(l)
			if err != nil {
				return fmt.Errorf("receipt: %w", err)
			}
			seq++
			// The id in hex keeps the byte order of ids and holds no space, so that the
			// lines of one id sort together, in the order they were done, then came (seq).
			return add(hex.EncodeToString([]byte(id)) + fmt.Sprintf(" %016x%016x ", timeKey(l.Time), seq) + string(b))
		}
		return read(func(l Line) error {
			if err := put(l.id(), l); err != nil {
				return err
			}
			if id := l.sourceID(); l.Moved && id != "" && id != l.id() {
				return put(id, Line{Op: retire, URL: l.URL, Path: l.Path, Time: l.Time})
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &Latest{s: s}, nil
}

// timeKey is t as a number that sorts as times do: nanoseconds since 1970, offset so
// that times before it sort first; 0 for no time.
func timeKey(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano()) ^ 1<<63
}

// Each calls fn with the last line of each object and file, in the byte order of their
// ids (the local path of a line that has one, else the URL), until fn returns false.
//
// A last line that is a sync's unchanged line without a checksum (the sync compared by
// size and time, and read nothing) takes the checksum of the line before it of the same
// object, when that one has the same size and ETag: the bytes it recorded are still the
// bytes there.
func (x *Latest) Each(fn func(Line) bool) error {
	var id string
	var cur Line
	var have, stop bool
	var derr error
	err := x.s.Each(func(e string) bool {
		eid, rest, _ := strings.Cut(e, " ")
		_, b, _ := strings.Cut(rest, " ")
		var l Line
		if derr = json.Unmarshal([]byte(b), &l); derr != nil {
			return false
		}
		switch {
		case eid != id && have && (cur.Op != retire && !fn(cur)):
			stop = true
			return false
		case eid == id && have && l.Op == retire:
			cur.retired = true // the line it retires stands, for what it covers (its source)
			return true
		case eid == id && have:
			l.inherit(cur)
		}
		id, cur, have = eid, l, true
		return true
	})
	switch {
	case err != nil:
		return err
	case derr != nil:
		return fmt.Errorf("receipt: reading back a sorted line: %w", derr)
	case have && !stop && cur.Op != retire:
		fn(cur)
	}
	return nil
}

// retire is the op of the entry Collect adds under the id of a moved line's source; it
// never leaves Each.
const retire = "retire"

// Retired reports whether a later move took the line's object or file away (Collect):
// it is not to be found, but what it covers (its Source) still arrived.
func (l Line) Retired() bool { return l.retired }

// sourceID is the id of the lines of l's source: its object, or the local file.
func (l Line) sourceID() string {
	switch {
	case l.Source == "":
		return ""
	case object.IsURL(l.Source):
		return l.Source
	}
	return "file:" + l.Source
}

// inherit gives l, an unchanged line without a checksum, the checksum of prev, the line
// of the same object before it, when prev states the same bytes (size and ETag).
func (l *Line) inherit(prev Line) {
	if l.Op != Unchanged || l.Checksum != "" || prev.Op == Delete || prev.Checksum == "" ||
		prev.Size != l.Size || prev.ETag == "" || !strings.EqualFold(prev.ETag, l.ETag) {
		return
	}
	l.ChecksumAlgorithm, l.Checksum = prev.ChecksumAlgorithm, prev.Checksum
}

// Close removes the runs on disk, if there are any.
func (x *Latest) Close() { x.s.Close() }

package receipt

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/haul-s3/haul/filelist"
)

// Latest is the last line of each object and local file of one or more receipts: a later
// line of an object stands over an earlier one, as a rerun of a sync states what is there
// now. Its lines are held as filelist.Collect holds names: in memory up to some 16 MiB,
// past that in sorted runs in temporary files, merged as they are read, so that receipts
// of millions of lines are checked in bounded memory. Close removes the runs.
type Latest struct {
	s *filelist.Sorted
}

// Collect keeps the last line of each object and file of the lines that read gives to add,
// in the order given (the receipts one after the other, each from its first line). read's
// error, or add's (a run that could not be written), is returned.
func Collect(read func(add func(Line) error) error) (*Latest, error) {
	seq := uint64(0)
	s, err := filelist.Collect(func(add func(string) error) error {
		return read(func(l Line) error {
			b, err := json.Marshal(l)
			if err != nil {
				return fmt.Errorf("receipt: %w", err)
			}
			seq++
			// The id in hex keeps the byte order of ids and holds no space, so that the
			// lines of one id sort together, in the order they came (seq).
			return add(hex.EncodeToString([]byte(l.id())) + fmt.Sprintf(" %016x ", seq) + string(b))
		})
	})
	if err != nil {
		return nil, err
	}
	return &Latest{s: s}, nil
}

// Each calls fn with the last line of each object and file, in the byte order of their
// ids (the local path of a line that has one, else the URL), until fn returns false.
func (x *Latest) Each(fn func(Line) bool) error {
	var id, last string
	var stop bool
	var derr error
	emit := func() bool {
		var l Line
		_, b, _ := strings.Cut(last[strings.IndexByte(last, ' ')+1:], " ")
		if derr = json.Unmarshal([]byte(b), &l); derr != nil {
			return false
		}
		stop = !fn(l)
		return !stop
	}
	err := x.s.Each(func(e string) bool {
		eid, _, _ := strings.Cut(e, " ")
		if last != "" && eid != id && !emit() {
			return false
		}
		id, last = eid, e
		return true
	})
	switch {
	case err != nil:
		return err
	case derr == nil && !stop && last != "":
		emit()
	}
	if derr != nil {
		return fmt.Errorf("receipt: reading back a sorted line: %w", derr)
	}
	return nil
}

// Close removes the runs on disk, if there are any.
func (x *Latest) Close() { x.s.Close() }

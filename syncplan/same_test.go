package syncplan

import (
	"sync"
	"testing"

	"github.com/haul-s3/haul/transfer"
)

// Options.Unchanged hears of each key found the same, once, with what the comparison saw
// of both sides; keys sent are not among them.
func TestUnchangedTellsWhatWasCompared(t *testing.T) {
	for _, dir := range []Direction{Up, Down} {
		f := newFixture(t)
		f.file("a", "aaa", tOld)
		f.file("b", "bb", tOld)
		if dir == Down {
			f.haulObject("a", "aaa", tOld, tNew)
			f.haulObject("b", "bb", tOld, tNew)
			f.file("b", "xx", base) // the same size, another time and content: downloaded again
		} else {
			f.up(nil)
			f.file("b", "xyz", tOld) // another size: sent again
		}
		var mu sync.Mutex
		var same []Same
		r := f.sync(dir, func(o *Options) {
			o.Unchanged = func(s Same) { mu.Lock(); same = append(same, s); mu.Unlock() }
		})
		if r.sent("b") == "" || r.sent("a") != "" {
			t.Fatalf("%v: sent %q; want b alone (%+v, %v, %v)", dir, r.order, r.counts, r.runErr, r.failed)
		}
		if len(same) != 1 || r.counts.Unchanged != 1 {
			t.Fatalf("%v: told of %d keys unchanged, counted %d; want a", dir, len(same), r.counts.Unchanged)
		}
		s := same[0]
		info, _ := f.mem.HeadObject(t.Context(), ref("a"))
		wantOp := transfer.Upload
		if dir == Down {
			wantOp = transfer.Download
		}
		if s.Item.Op != wantOp || s.Item.Object != ref("a") || s.Item.Path != f.path("a") || s.Item.Reason == "" ||
			s.Object.Size != 3 || s.Object.ETag != info.ETag || s.Other.Size != 3 || !s.Other.ModTime.Equal(tOld) {
			t.Errorf("%v: %+v", dir, s)
		}
	}
}

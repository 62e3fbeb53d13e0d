// Package syncplan plans and carries out haul sync: it merges the source's and the
// destination's listings and the state file, each in key byte order, in one pass over the
// keys, so that memory stays bounded however many keys there are; decides per key whether
// to transfer (decide.go); yields the transfers as items for transfer.Engine.Run; and keeps
// the keys only the destination holds in a spool file on disk for the deletions, which the
// guards check as a whole before the first one is made.
package syncplan

import (
	"context"
	"fmt"
	"iter"
	"time"
)

// Entry is what one side holds at a key: a local file or an object.
type Entry struct {
	Key     string // relative to the sync root, "/"-separated; the merge's order
	Size    int64
	ModTime time.Time // a file's mtime, an object's LastModified
	ETag    string    // objects only

	// Local files only: where to read or write it, and the rest of its fingerprint.
	Path   string
	Change int64  // ctime, Unix ns (0 where not known)
	Inode  uint64 // 0 where not known
	Seen   int64  // when it was walked, Unix ns
	// Err is set on a source entry that cannot be synced (a key no local file could have).
	Err error
	// carried is an entry of another shard that a sync splitting big files
	// (Options.SplitOver) carries into the merge all the same (shard.go).
	carried bool
}

// Stream yields one side's entries in strictly increasing byte order of Key (Go string
// order, which is S3's listing order). It returns when it has no more, at once when yield
// returns false, or with the error that stopped it (a failed listing).
type Stream func(ctx context.Context, yield func(Entry) bool) error

// Pair is a key and what each side holds there; one of Src and Dst may be nil.
type Pair struct {
	Key      string
	Src, Dst *Entry
}

// OrderError is a stream that broke its order: a key not greater than the one before it. A
// listing out of order cannot be merged, and a sync must not delete on its strength.
type OrderError struct {
	Side      string // "source" or "destination"
	Prev, Key string
}

func (e *OrderError) Error() string {
	return fmt.Sprintf("the %s listing is out of order: %q came after %q; nothing is deleted on the strength of it", e.Side, e.Key, e.Prev)
}

// Merge reads src and dst in one pass and calls fn with each key either side holds, in
// increasing order, once. It stops at the first error: fn's, a stream's, or an
// *OrderError; a side that fails ends the merge at once, so no key is ever paired as absent
// from a side whose listing did not finish. Memory is that of the two streams, never a
// list of keys.
func Merge(ctx context.Context, src, dst Stream, fn func(Pair) error) error {
	next, stopSrc, srcErr := pull(ctx, src, "source")
	defer stopSrc()
	nextDst, stopDst, dstErr := pull(ctx, dst, "destination")
	defer stopDst()
	// A side that ends with an error (a failed listing, an order break) ends the merge at
	// once: pairing the other side's keys as absent from it would be a lie.
	s, sok := next()
	if err := srcErr(); err != nil {
		return err
	}
	d, dok := nextDst()
	if err := dstErr(); err != nil {
		return err
	}
	for sok || dok {
		var p Pair
		switch {
		case sok && (!dok || s.Key < d.Key):
			p = Pair{Key: s.Key, Src: &s}
		case dok && (!sok || d.Key < s.Key):
			p = Pair{Key: d.Key, Dst: &d}
		default:
			p = Pair{Key: s.Key, Src: &s, Dst: &d}
		}
		if err := fn(p); err != nil {
			return err
		}
		if p.Src != nil {
			if s, sok = next(); !sok {
				if err := srcErr(); err != nil {
					return err
				}
			}
		}
		if p.Dst != nil {
			if d, dok = nextDst(); !dok {
				if err := dstErr(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// pull turns a stream into a function that returns its next entry, checking the order; the
// third function returns the stream's error (or its order error) once it has ended.
func pull(ctx context.Context, s Stream, side string) (next func() (Entry, bool), stop func(), errOf func() error) {
	var streamErr, orderErr error
	seq := func(yield func(Entry) bool) {
		streamErr = s(ctx, yield)
	}
	nextRaw, stopRaw := iter.Pull(iter.Seq[Entry](seq))
	var prev string
	first := true
	next = func() (Entry, bool) {
		if orderErr != nil {
			return Entry{}, false
		}
		e, ok := nextRaw()
		if !ok {
			return Entry{}, false
		}
		if !first && e.Key <= prev {
			orderErr = &OrderError{Side: side, Prev: prev, Key: e.Key}
			stopRaw() // the stream's own return after a stop is not looked at
			return Entry{}, false
		}
		first, prev = false, e.Key
		return e, true
	}
	errOf = func() error {
		if orderErr != nil {
			return orderErr
		}
		return streamErr
	}
	return next, stopRaw, errOf
}

package syncplan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/haul-s3/haul/filelist"
	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// Direction is which way a sync goes.
type Direction int

// The directions.
const (
	Up   Direction = iota // a local directory to an S3 prefix
	Down                  // an S3 prefix to a local directory
	Copy                  // an S3 prefix (Options.Source) to another (Options.Remote): Copy items
)

// Store is what a sync asks of the object store besides what the engine uses: the
// destination's or the source's listing, and an object's metadata when a listing does not
// say enough (haul-mtime, haul-checksum).
type Store interface {
	List(ctx context.Context, bucket, prefix string, fn func(object.Info) error) error
	HeadObject(ctx context.Context, ref object.Ref) (object.Info, error)
}

// Options say what to sync and how to decide.
type Options struct {
	Dir    Direction
	Local  string     // the local directory (Up, Down)
	Remote object.Ref // the bucket and prefix (Copy: the destination's); Key is "" or ends in "/"
	// Source is the source's bucket and prefix of a sync between two S3 locations (Dir
	// Copy); Key is "" or ends in "/".
	Source object.Ref
	// SourceStore lists and describes Source when it is on another server or account than
	// the destination (the engine's Options.Source, whose Copy items then pass the bytes
	// through the client); nil: the Store given to New, where the server copies.
	SourceStore Store
	// Filter keeps the keys it matches (relative to the sync roots) on both sides; nil
	// keeps every key. Keys it excludes are neither sent nor deleted, unless
	// DeleteExcluded: then excluded destination keys are deleted.
	Filter transfer.Filter
	// Shard, when set, is this run's shard of a job split over several (--shard I/N;
	// filter.Shard): the keys it does not match belong to other runs and are neither sent
	// nor deleted here, whatever DeleteExcluded says. The guards count this shard's keys,
	// except the empty-source guard and the floor of the percentage guard, which look at
	// the whole source and destination (shard.go).
	Shard transfer.Filter
	// SplitOver, when above 0 with Shard, uploading (Up) or copying (Copy, where the server
	// copies: no Options.Source store of its own), is the size above which a file (object) is
	// not kept by its shard alone but decided by every shard alike, whose transfers
	// share its parts (transfer.SplitLarge): such a file, and the object at its key, are
	// in every shard's plan. A destination key of another shard is never deleted here,
	// whatever its size (shard.go).
	SplitOver      int64
	Delete         bool
	DeleteExcluded bool
	Guards         Guards

	SizeOnly       bool // same size is unchanged (rule 1 only)
	Checksum       bool // decide by content: no time shortcut, and no comparable checksum means transfer
	Update         bool // never replace a destination newer than the source
	IgnoreExisting bool // never replace what the destination holds

	// StatePath is the state file (a cache of unchanged keys); "" keeps none. A sync
	// between two S3 locations keeps none: both sides are listings that say each object's
	// size and ETag, and what decides past them is asked of the servers (decideobj.go).
	StatePath string
	// DryRun plans only: no file's time is set and no state is written.
	DryRun bool
	// Note, when set, hears of keys kept from deletion and of names that cannot be synced.
	Note func(Note)
	// Unchanged, when set, hears of each key found the same on both sides, with what the
	// comparison saw: in key order, from one goroutine at a time, before Items returns.
	Unchanged func(Same)
	// NoFollowSymlinks passes over the symbolic links under Local instead of following
	// them (localfs.WalkOptions). Whatever the local walk passes over on purpose (such a
	// link, a loop, a named pipe, socket or device) is an item with Skip set, not a
	// failure, and, as an entry that could not be read, keeps its key and every key under
	// it from deletion: a link not followed is not a file deleted.
	NoFollowSymlinks bool
	// Checks is how many decisions that need a request or a read (a HEAD, a file's
	// checksum) are made at once; 0 is DefaultChecks.
	Checks int
	// List, when set, is the list of names to sync (--files-from): only they are looked at,
	// on both sides, and nothing is walked or listed (see listed.go). The state file is
	// read but not written: it would keep only the listed keys.
	List *filelist.Reader
	// CaseInsensitive says the local directory's filesystem takes names equal but for case
	// as one (macOS by default; see localfs.CaseInsensitive): downloading, such keys are
	// conflicts rather than one overwriting the other.
	CaseInsensitive bool
}

// Guards stop a sync from deleting more than it should: checked on the whole plan before
// the first delete, all or nothing. The zero value allows no deletion at all (MaxDelete
// 0); DefaultGuards are the CLI's.
type Guards struct {
	AllowEmptySource bool  // delete even when the source holds nothing
	MaxDelete        int64 // most deletions; < 0: no limit
	MaxDeleteSize    int64 // most bytes deleted; < 0: no limit
	// MaxDeletePercent is the most of the destination's keys one run may delete, once the
	// destination holds at least PercentFloor of them; 100 (or more) is no limit.
	MaxDeletePercent int64
}

// DefaultGuards are the guards of haul sync without guard flags: no count or size limit,
// no empty source, and at most half the destination's keys once it holds PercentFloor.
func DefaultGuards() Guards {
	return Guards{MaxDelete: -1, MaxDeleteSize: -1, MaxDeletePercent: 50}
}

// PercentFloor is the number of destination keys from which MaxDeletePercent applies.
const PercentFloor = 100

// Note is something a sync tells its caller about a key that is neither a transfer nor a
// deletion.
type Note struct {
	Kind string // "protect": a destination key not deleted because its source could not be read or was skipped
	Key  string // the key, relative to the sync roots
	Err  error  // why
}

// Same is a key a sync found the same on both sides, and what the comparison saw of it.
type Same struct {
	// Item is the transfer the key would have been (its Op, Path, Object and Source), with
	// Reason the rule that found it unchanged (ByState, ByMtime, ...).
	Item transfer.Item
	// Object is the object compared: the destination's (Up, Copy) or the source's (Down),
	// with its size, ETag and time as listed.
	Object Entry
	// Other is the other side: the local file (Up, Down; Path, Size, ModTime) or the
	// source object (Copy).
	Other Entry
	// Sum is the content's checksum when the comparison knew it (from the state, read, or
	// the object's own haul checksum that a HEAD gave); zero otherwise.
	Sum object.Checksum
}

// Counts are what a sync found and decided, for its summary.
type Counts struct {
	Source, Dest int // keys on each side, after filters (and in the shard)
	// OtherSource and OtherDest are the keys on each side that the filters keep and that
	// belong to other shards (Options.Shard): seen, left to their shards.
	OtherSource, OtherDest int
	Unchanged              int            // keys the same on both sides
	UnchangedBy            map[string]int // Unchanged by the rule that said so: state, mtime, same checksum, ...
	Heads                  int            // HeadObject requests made to decide
	Hashed                 int            // local files read to compare checksums
	HashedBytes            int64
	Deletes                int // deletion candidates (made only if the guards and listings allow)
	DeleteBytes            int64
	Protected              int // destination keys kept because their source could not be read
}

// Sync plans and carries out one sync between a local directory and a prefix. Its Items
// are the transfers, for Engine.Run; after them, Deletes gives the deletions, if the
// listings and guards allow any. Close writes the state file.
type Sync struct {
	o     Options
	e     *transfer.Engine
	st    Store
	state *stateReader
	out   *stateWriter
	spool *spool

	mu       sync.Mutex
	counts   Counts
	inflight map[string]inflight // key -> a transfer whose outcome goes in the state
	problems []problem           // unreadable or skipped local entries not yet reported
	protect  []protection        // keys (and the prefixes under them) that must not be deleted

	held  twinHold        // one-sided keys not in NFC, waiting for a twin (twins.go)
	names *nameCheck      // downloading: the names a local directory cannot hold apart (names.go)
	keep  map[string]bool // keys spooled for deletion that a conflict showed must stay

	listErr    error // the merge's error: a listing failed, was cut short or out of order
	incomplete bool  // the merge did not reach its end (the run was cancelled or stopped)
}

type inflight struct {
	slot  *slot
	local Entry
}

// problem is a local entry that could not be read, or that the walk passed over on
// purpose (skipped: err is a *localfs.SkipError).
type problem struct {
	rel, path string
	err       error
	skipped   bool
}

// protection is a key kept from deletion, with every key under it: its local entry could
// not be read, or was skipped.
type protection struct {
	key     string
	skipped bool
}

// New prepares a sync. The destination's listing is not read until Items is.
func New(e *transfer.Engine, st Store, o Options) (*Sync, error) {
	for _, r := range []object.Ref{o.Remote, o.Source} {
		if r.Key != "" && !strings.HasSuffix(r.Key, "/") {
			return nil, fmt.Errorf("sync: prefix %q does not end in /", r.Key)
		}
	}
	if o.Dir == Copy && o.StatePath != "" {
		return nil, errors.New("sync: a sync between two S3 locations keeps no state file")
	}
	s := &Sync{o: o, e: e, st: st, inflight: map[string]inflight{}, state: &stateReader{}, keep: map[string]bool{}}
	if o.Dir == Down {
		s.names = newNameCheck(o.CaseInsensitive)
	}
	s.counts.UnchangedBy = map[string]int{}
	if o.StatePath != "" {
		s.state = openState(o.StatePath)
		if !o.DryRun && o.List == nil {
			w, err := createState(o.StatePath)
			if err != nil {
				return nil, fmt.Errorf("sync: state file: %w", err)
			}
			s.out = w
		}
	}
	if o.Delete {
		sp, err := newSpool()
		if err != nil {
			_ = s.Close(false)
			return nil, err
		}
		s.spool = sp
	}
	return s, nil
}

// Counts returns what the sync has found and decided so far.
func (s *Sync) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts
	c.UnchangedBy = make(map[string]int, len(s.counts.UnchangedBy))
	for k, v := range s.counts.UnchangedBy {
		c.UnchangedBy[k] = v
	}
	return c
}

// errStop ends a merge whose run wants no more items.
var errStop = stopError{}

type stopError struct{}

func (stopError) Error() string   { return "sync stopped" }
func (stopError) Retryable() bool { return false }

// Items is the producer of the sync's transfers (a transfer.Producer): it merges the two
// sides' listings in key order and yields an upload or download for each key that differs,
// with its reason. Keys only the destination holds are kept for Deletes. A listing that
// fails, is cut short or comes out of order ends it with that error; what was decided
// before it is still yielded.
//
// The decisions that need a request or a read (a HEAD, a checksum) are made up to
// Options.Checks at a time; their outcomes are yielded, and recorded in the state, in key
// order all the same.
func (s *Sync) Items(ctx context.Context, yield func(transfer.Item) bool) error {
	var src, dst Stream
	switch {
	case s.o.List != nil:
		var done func()
		var err error
		if src, dst, done, err = s.listedStreams(); err != nil {
			s.listErr = err
			return err
		}
		defer done()
	case s.o.Dir == Up:
		src, dst = s.localStream(false), s.remoteStream(true)
	case s.o.Dir == Down:
		src, dst = s.remoteStream(false), s.localStream(true)
	default:
		src, dst = s.remoteStream(false), s.remoteStream(true)
	}
	checks := s.o.Checks
	if checks <= 0 {
		checks = DefaultChecks
	}
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	o := newOrdered(mctx, 4*checks, yield, cancel)
	slots := make(chan struct{}, checks)
	err := Merge(mctx, src, dst, func(p Pair) error {
		if ps := s.takeProblems(); len(ps) > 0 {
			if !o.push(decided(func(yield func(transfer.Item) bool) bool { return s.yieldProblems(ps, yield) })) {
				return errStop
			}
		}
		return s.pair(mctx, p, o, slots)
	})
	if err == nil {
		err = s.releaseTwins("", true, o)
	}
	if ps := s.takeProblems(); err == nil && len(ps) > 0 {
		if !o.push(decided(func(yield func(transfer.Item) bool) bool { return s.yieldProblems(ps, yield) })) {
			err = errStop
		}
	}
	stopped := o.close()
	if s.spool != nil {
		if serr := s.spool.finish(); err == nil && serr != nil {
			err = fmt.Errorf("sync: spooling deletions: %w", serr)
		}
	}
	if stopped || errors.Is(err, errStop) || ctx.Err() != nil {
		s.incomplete = true
		if err == nil || errors.Is(err, errStop) || errors.Is(err, context.Canceled) {
			return nil
		}
	}
	s.listErr = err
	return err
}

// DefaultChecks is how many decisions (a HEAD, a file read) a sync makes at once when
// Options.Checks is 0.
const DefaultChecks = 16

// takeProblems returns the local entries found unreadable since the last call.
func (s *Sync) takeProblems() []problem {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.problems
	s.problems = nil
	return ps
}

// yieldProblems yields a failed item for each local entry that could not be read, and an
// item with Skip set for each that the walk passed over.
func (s *Sync) yieldProblems(ps []problem, yield func(transfer.Item) bool) bool {
	for _, p := range ps {
		it := transfer.Item{Op: transfer.Upload, Path: p.path, Object: s.ref(p.rel), Size: -1, Err: &transfer.SourceError{Path: p.path, Err: p.err}}
		switch s.o.Dir {
		case Down:
			it = transfer.Item{Op: transfer.Download, Path: p.path, Object: s.ref(p.rel), Size: -1, Err: p.err}
		case Copy:
			it = s.listedItem(p)
		}
		if p.skipped {
			it.Err, it.Skip = nil, p.err
		}
		if !yield(it) {
			return false
		}
	}
	return true
}

func (s *Sync) ref(rel string) object.Ref {
	return object.Ref{Bucket: s.o.Remote.Bucket, Key: s.o.Remote.Key + rel}
}

// sourceRef is the source's object at rel, in a sync between two S3 locations.
func (s *Sync) sourceRef(rel string) object.Ref {
	return object.Ref{Bucket: s.o.Source.Bucket, Key: s.o.Source.Key + rel}
}

// sourceStore is the store that holds the source of a sync between two S3 locations.
func (s *Sync) sourceStore() Store {
	if s.o.SourceStore != nil {
		return s.o.SourceStore
	}
	return s.st
}

// pair decides one key and queues what follows from it (a transfer, or a record in the
// state), in key order. A key both sides hold is decided by a goroutine of its own, at
// most cap(slots) at once, when the decision may need a request or a read. A key one side
// holds in another Unicode form than the other (twins.go) is paired with it.
func (s *Sync) pair(ctx context.Context, p Pair, o *ordered, slots chan struct{}) error {
	rec, hasRec := s.state.lookup(p.Key)
	if err := s.releaseTwins(p.Key, false, o); err != nil {
		return err
	}
	if s.names != nil {
		switch fail, keep := s.conflicts(p); {
		case keep:
			return nil
		case fail != nil:
			src := *p.Src
			it := s.item(p.Key, &src, "", fail)
			if !o.push(decided(func(yield func(transfer.Item) bool) bool { return yield(it) })) {
				return errStop
			}
			return nil
		}
	}
	if p.Src == nil && p.Dst != nil && p.Dst.carried {
		return nil // another shard's key, with no big file of its own here: that shard's
	}
	if p.Src == nil || p.Dst == nil {
		if twin, held := s.twin(p, o); held {
			return nil
		} else if twin != nil {
			return s.both(ctx, p.Key, twin.Src, twin.Dst, Record{}, false, true, o, slots)
		}
		return s.oneSided(p.Key, p.Src, p.Dst, o, nil)
	}
	return s.both(ctx, p.Key, p.Src, p.Dst, rec, hasRec, false, o, slots)
}

// oneSided queues the transfer of a key only the source holds, or keeps one only the
// destination holds for deletion; held is as for send.
func (s *Sync) oneSided(key string, srcE, dstE *Entry, o *ordered, held *heldSlot) error {
	var out *outcome
	switch {
	case srcE == nil:
		s.destOnly(key, dstE)
		return nil
	case srcE.Err != nil:
		it := s.item(key, srcE, "", srcE.Err)
		out = decided(func(yield func(transfer.Item) bool) bool {
			if s.out != nil {
				held.close(s.out)
			}
			return yield(it)
		})
	default:
		src := *srcE // the merge reuses its entries once pair returns
		out = decided(func(yield func(transfer.Item) bool) bool { return s.send(key, &src, nil, "new", held, yield) })
	}
	if !o.push(out) {
		return errStop
	}
	return nil
}

// both decides a key both sides hold. For twins (the same name in two Unicode forms) the
// transfer goes to the destination's name and nothing is recorded in the state, whose
// records must come in key order.
func (s *Sync) both(ctx context.Context, key string, srcE, dstE *Entry, rec Record, hasRec, twins bool, o *ordered, slots chan struct{}) error {
	src, dst := *srcE, *dstE
	local, obj := &src, &dst
	if s.o.Dir == Down {
		local, obj = &dst, &src
	}
	follow := func(v verdict, err error) func(yield func(transfer.Item) bool) bool {
		return func(yield func(transfer.Item) bool) bool {
			switch {
			case twins && err == nil && v.send:
				return yield(s.twinItem(&src, &dst, v.reason))
			case twins && err == nil:
				s.unchanged(verdict{reason: v.reason})
				s.same(func() transfer.Item { return s.twinItem(&src, &dst, v.reason) }, obj, local, v)
				return true
			case err != nil:
				return yield(s.item(key, &src, "", err))
			case v.send:
				return s.send(key, &src, local, v.reason, nil, yield)
			}
			s.unchanged(v)
			s.same(func() transfer.Item { return s.item(key, &src, v.reason, nil) }, obj, local, v)
			return true
		}
	}
	quick := func() (verdict, bool) { return s.decideQuick(obj.Key, local, obj, rec, hasRec) }
	slow := func(ctx context.Context) (verdict, error) { return s.decide(ctx, obj.Key, local, obj, rec, hasRec) }
	if s.o.Dir == Copy {
		quick = func() (verdict, bool) { return s.decideObjectsQuick(&src, &dst) }
		slow = func(ctx context.Context) (verdict, error) { return s.decideObjects(ctx, key, &src, &dst) }
	}
	var out *outcome
	if v, ok := quick(); ok {
		out = decided(follow(v, nil)) // no request, no read: no goroutine
	} else {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return errStop
		}
		out = &outcome{done: make(chan struct{})}
		go func() {
			defer func() { <-slots }()
			out.fn = follow(slow(ctx))
			close(out.done)
		}()
	}
	if !o.push(out) {
		return errStop
	}
	return nil
}

// destOnly keeps a key only the destination holds for deletion, unless it is protected.
func (s *Sync) destOnly(key string, e *Entry) {
	if s.spool == nil {
		return
	}
	s.mu.Lock()
	var protected *protection
	for i, p := range s.protect {
		if key == p.key || strings.HasPrefix(key, p.key+"/") {
			protected = &s.protect[i]
			break
		}
	}
	var why error
	switch {
	case protected == nil:
	case protected.skipped:
		why = fmt.Errorf("not deleted: the source's %s was skipped", protected.key)
	default:
		why = fmt.Errorf("not deleted: the source's %s could not be read", protected.key)
	}
	if protected != nil {
		s.counts.Protected++
	}
	s.mu.Unlock()
	if why != nil {
		if s.o.Note != nil {
			s.o.Note(Note{Kind: "protect", Key: key, Err: why})
		}
		return
	}
	s.mu.Lock()
	s.counts.Deletes++
	s.counts.DeleteBytes += e.Size
	s.mu.Unlock()
	s.spool.add(key, e.Size)
}

// item is the transfer of key from src, with its reason (or its error).
func (s *Sync) item(key string, src *Entry, reason string, err error) transfer.Item {
	ref := s.ref(key)
	switch s.o.Dir {
	case Up:
		return transfer.Item{Op: transfer.Upload, Path: src.Path, Object: ref, Size: src.Size, Reason: reason, Err: err}
	case Copy:
		return transfer.Item{Op: transfer.Copy, Source: s.sourceRef(key), Object: ref, Size: src.Size, ETag: src.ETag, LastModified: src.ModTime, Reason: reason, Err: err}
	}
	path, jerr := localfs.SafeJoin(s.o.Local, key)
	if err == nil {
		err = jerr
	}
	return transfer.Item{Op: transfer.Download, Path: path, Object: ref, Size: src.Size, ETag: src.ETag, LastModified: src.ModTime, Reason: reason, Err: err}
}

// send yields the transfer of key, and keeps what the state needs to record its outcome:
// in a new slot of the state, or in the one held for it (a key held back for a twin, whose
// slot was taken in key order; nil otherwise).
func (s *Sync) send(key string, src, local *Entry, reason string, held *heldSlot, yield func(transfer.Item) bool) bool {
	it := s.item(key, src, reason, nil)
	if s.out != nil {
		in := inflight{slot: held.take(s.out)}
		if local != nil {
			in.local = *local
		} else if s.o.Dir == Up {
			in.local = *src
		}
		s.mu.Lock()
		s.inflight[key] = in
		s.mu.Unlock()
	}
	return yield(it)
}

// unchanged counts a key decided the same on both sides and records it in the state.
func (s *Sync) unchanged(v verdict) {
	s.mu.Lock()
	s.counts.Unchanged++
	s.counts.UnchangedBy[v.reason]++
	s.mu.Unlock()
	if s.out != nil {
		s.out.set(s.out.reserve(), v.rec, v.record)
	}
}

// same tells Options.Unchanged, if set, of a key found unchanged: item makes the transfer
// it would have been.
func (s *Sync) same(item func() transfer.Item, obj, other *Entry, v verdict) {
	if s.o.Unchanged == nil || obj.carried || other.carried {
		return // a big file of another shard: that shard tells of it
	}
	it := item()
	it.Reason = v.reason
	sum := v.rec.Sum
	if sum.Algorithm == "" {
		sum = v.known
	}
	s.o.Unchanged(Same{Item: it, Object: *obj, Other: *other, Sum: sum})
}

// Close writes the state file (commit) or leaves the old one (!commit), and removes the
// spool of deletions.
func (s *Sync) Close(commit bool) error {
	s.state.close()
	var err error
	if s.out != nil {
		if commit {
			err = s.out.commit()
		} else {
			s.out.discard()
		}
	}
	if s.spool != nil {
		s.spool.remove()
	}
	return err
}

// removeEmptyDirs removes dir and then its parents, up to but not including root, for as
// long as each is empty.
func removeEmptyDirs(dir, root string) {
	root = filepath.Clean(root)
	for dir = filepath.Clean(dir); dir != root && strings.HasPrefix(dir, root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			return
		}
	}
}

package syncplan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/haul-s3/haul/filelist"
	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// A sync given a list of names (Options.List, --files-from) considers only those names,
// on both sides, as rclone's --files-from does: nothing is walked or listed. The list is
// sorted first (filelist.Sort: bounded memory, runs on disk past 16 MiB), because the merge
// needs both sides in key order and a list may come in any; then each side looks up each
// name: a local file is one stat, an object one HEAD (up to Options.Checks at once, in the
// list's order). A name neither side holds is nothing to do; one only the destination holds
// is deleted with --delete (the guards apply as ever, to the listed keys), and without it
// is a failed item, as in cp --files-from; a name refused as a key (what localfs.SafeJoin
// refuses) is a failed item.

// ErrNotInSource is the error of a listed name the source does not hold, in a sync
// without deletion.
var ErrNotInSource = errors.New("listed, but the source does not hold it")

// listedStreams sorts the list and returns the two sides' streams of its names, and what
// removes the sorted runs. Entries of the list that cannot be used are failed items.
func (s *Sync) listedStreams() (src, dst Stream, done func(), err error) {
	sorted, err := filelist.Sort(s.o.List, func(e filelist.Entry) {
		s.addProblem("", s.o.Local, &filelist.EntryError{Line: e.Line, Err: e.Err}, false)
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sync: reading the list: %w", err)
	}
	return s.listedStream(sorted, false), s.listedStream(sorted, true), sorted.Close, nil
}

// addProblem keeps a failed item of key rel (path: its local path, if any) for the merge
// to yield; protect keeps rel from deletion.
func (s *Sync) addProblem(rel, path string, err error, protect bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems = append(s.problems, problem{rel: rel, path: path, err: err})
	if protect {
		s.protect = append(s.protect, protection{key: rel})
	}
}

// local reports whether the side (dest or source) is the local directory.
func (s *Sync) local(dest bool) bool {
	return s.o.Dir == Up && !dest || s.o.Dir == Down && dest
}

// lookup is what one side holds at a listed name.
type lookup struct {
	name  string
	entry Entry
	found bool
	err   error // neither found nor known to be absent
	skip  bool  // excluded, or refused (reported by the source's side)
	done  chan struct{}
}

// listedStream yields what one side holds at each listed name, in key order.
func (s *Sync) listedStream(sorted *filelist.Sorted, dest bool) Stream {
	window, look := 1, s.lookLocal
	if !s.local(dest) {
		window, look = s.o.Checks, s.lookRemote(dest)
		if window <= 0 {
			window = DefaultChecks
		}
	}
	return func(ctx context.Context, yield func(Entry) bool) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		queue := make(chan *lookup, window)
		var eachErr error
		go func() {
			defer close(queue)
			eachErr = sorted.Each(func(name string) bool {
				l := &lookup{name: name, done: make(chan struct{})}
				l.skip = s.excluded(name, dest) || s.refused(name, dest)
				if !l.skip && window == 1 { // a stat: no goroutine
					look(ctx, l)
					l.skip = ctx.Err() != nil
				}
				select {
				case queue <- l:
				case <-ctx.Done():
					return false
				}
				if l.skip || window == 1 {
					close(l.done)
					return true
				}
				go func() {
					defer close(l.done)
					look(ctx, l)
				}()
				return true
			})
		}()
		var err error
		for l := range queue {
			<-l.done
			if err != nil || l.skip {
				continue
			}
			if err = s.listedEntry(l, dest, yield); err != nil {
				cancel()
			}
		}
		if errors.Is(err, errStop) {
			return nil
		}
		if err == nil {
			err = eachErr
		}
		return err
	}
}

// refused reports whether name cannot be a key of the sync (what SafeJoin refuses); the
// source's side reports it as a failed item.
func (s *Sync) refused(name string, dest bool) bool {
	_, err := localfs.SafeJoin(".", name)
	if err != nil && !dest {
		s.addProblem(name, name, fmt.Errorf("refused: %w", err), false)
	}
	return err != nil
}

// listedEntry yields what l found; a name the source lacks, or cannot be read, is a
// failed item (see the file's comment). An object the destination cannot be asked about
// ends the stream, as a failed listing does: nothing is deleted on the strength of it.
func (s *Sync) listedEntry(l *lookup, dest bool, yield func(Entry) bool) error {
	switch {
	case l.found:
		s.count(dest)
		if !yield(l.entry) {
			return errStop
		}
	case l.err != nil && dest && !s.local(dest):
		return l.err
	case l.err != nil:
		s.addProblem(l.name, s.localPath(l.name), l.err, true)
	case !dest && !s.o.Delete:
		s.addProblem(l.name, s.localPath(l.name), ErrNotInSource, false)
	}
	return nil
}

// localPath is the local path of key rel, or "" in a sync between two S3 locations.
func (s *Sync) localPath(rel string) string {
	if s.o.Dir == Copy {
		return ""
	}
	p, _ := localfs.SafeJoin(s.o.Local, rel)
	return p
}

// lookLocal stats the local file of l.
func (s *Sync) lookLocal(_ context.Context, l *lookup) {
	p, _ := localfs.SafeJoin(s.o.Local, l.name)
	f, err := localfs.Stat(p, l.name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		l.err = err
	default:
		l.found = true
		l.entry = Entry{Key: l.name, Size: f.Size, ModTime: f.ModTime, Path: f.Path, Change: f.Change, Inode: f.Inode, Seen: time.Now().UnixNano()}
	}
}

// lookRemote returns the HEAD of a listed name on the destination's store, or the
// source's in a sync between two S3 locations.
func (s *Sync) lookRemote(dest bool) func(context.Context, *lookup) {
	st := s.st
	at := s.o.Remote
	if s.o.Dir == Copy && !dest {
		st, at = s.sourceStore(), s.o.Source
	}
	return func(ctx context.Context, l *lookup) {
		ref := object.Ref{Bucket: at.Bucket, Key: at.Key + l.name}
		var info object.Info
		err := s.e.Retry(ctx, func(ctx context.Context) error {
			var err error
			info, err = st.HeadObject(ctx, ref)
			return err
		})
		s.mu.Lock()
		s.counts.Heads++
		s.mu.Unlock()
		var nf interface{ NotFound() bool }
		switch {
		case errors.As(err, &nf) && nf.NotFound():
		case err != nil:
			l.err = err
		default:
			l.found = true
			l.entry = Entry{Key: l.name, Size: info.Size, ModTime: info.LastModified, ETag: info.ETag}
		}
	}
}

// listedItem is the failed item of a problem found by a listed stream in a sync between
// two S3 locations, where there is no local path.
func (s *Sync) listedItem(p problem) transfer.Item {
	return transfer.Item{Op: transfer.Copy, Source: s.sourceRef(p.rel), Object: s.ref(p.rel), Size: -1, Err: p.err}
}

package syncplan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// The two sides' streams of entries, in key order: the local walk and the listing.

// excluded reports whether the filter, or the shard, leaves rel out of the sync on this
// side. A key of another shard that the filter keeps is counted (OtherSource, OtherDest).
func (s *Sync) excluded(rel string, dest bool) bool {
	if s.otherShard(rel) {
		if s.o.Filter == nil || s.o.Filter.Match(rel) {
			s.countOther(dest)
		}
		return true
	}
	return s.filtered(rel, dest)
}

// filtered reports whether the filter leaves rel out of the sync on this side.
func (s *Sync) filtered(rel string, dest bool) bool {
	if s.o.Filter == nil || s.o.Filter.Match(rel) {
		return false
	}
	return !dest || !s.o.DeleteExcluded
}

// localStream walks the local directory in key order.
func (s *Sync) localStream(dest bool) Stream {
	var prune func(string) bool
	if p, ok := s.o.Filter.(interface{ Prune(dir string) bool }); ok && (!dest || !s.o.DeleteExcluded) {
		prune = p.Prune
	}
	return func(ctx context.Context, yield func(Entry) bool) error {
		if _, err := os.Stat(s.o.Local); dest && errors.Is(err, os.ErrNotExist) {
			return nil // a destination not made yet (a dry run's) holds nothing
		}
		walk := localfs.WalkOptions{Prune: prune, NoFollowSymlinks: s.o.NoFollowSymlinks}
		err := localfs.WalkWith(ctx, s.o.Local, walk, func(f localfs.File) error {
			carried := false
			if s.excluded(f.Rel, dest) {
				if carried = s.carried(f.Rel, f.Size, dest); !carried {
					return nil
				}
			} else {
				s.count(dest)
			}
			e := Entry{Key: f.Rel, Size: f.Size, ModTime: f.ModTime, Path: f.Path, Change: f.Change, Inode: f.Inode, Seen: time.Now().UnixNano(), carried: carried}
			if !yield(e) {
				return errStop
			}
			return nil
		}, func(p string, err error) {
			rel, rerr := filepath.Rel(s.o.Local, p)
			if rerr != nil {
				return
			}
			rel = filepath.ToSlash(rel)
			if s.filtered(rel, dest) {
				return
			}
			skipped := errors.As(err, new(*localfs.SkipError))
			s.mu.Lock()
			defer s.mu.Unlock()
			// An entry that cannot be read protects its key, and a directory every key
			// under it, in every shard: the keys under a directory are spread over all
			// of them. It is reported (a failed or skipped item) by its own shard alone.
			if !s.otherShard(rel) {
				s.problems = append(s.problems, problem{rel: rel, path: p, err: err, skipped: skipped})
			}
			s.protect = append(s.protect, protection{key: rel, skipped: skipped})
		})
		if errors.Is(err, errStop) {
			return nil
		}
		return err
	}
}

func (s *Sync) count(dest bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if dest {
		s.counts.Dest++
	} else {
		s.counts.Source++
	}
}

// remoteStream lists the prefix in key order, retried under the engine's policy: the
// destination's, or the source's in a sync between two S3 locations (on its own store when
// it has one). Directory markers (keys ending in "/" with no bytes) are passed over. A key
// that no local file could have (one SafeJoin refuses) is never a deletion candidate: on the
// destination it is passed over, on the source it is an item that fails; between two S3
// locations every other key is an ordinary key.
func (s *Sync) remoteStream(dest bool) Stream {
	var st transfer.Lister = s.st
	at := s.o.Remote
	if s.o.Dir == Copy && !dest {
		st, at = s.sourceStore(), s.o.Source
	}
	prefix := at.Key
	return func(ctx context.Context, yield func(Entry) bool) error {
		err := s.e.Policy().ListPrefix(ctx, st, at.Bucket, prefix, func(ctx context.Context, info object.Info) error {
			rel := strings.TrimPrefix(info.Key, prefix)
			if rel == "" || strings.HasSuffix(rel, "/") && info.Size == 0 {
				return nil // a directory marker
			}
			carried := false
			if s.excluded(rel, dest) {
				if carried = s.carried(rel, info.Size, dest); !carried {
					return nil
				}
			} else {
				s.count(dest)
			}
			e := Entry{Key: rel, Size: info.Size, ModTime: info.LastModified, ETag: info.ETag, carried: carried}
			if _, err := localfs.SafeJoin(s.o.Local, rel); err != nil && s.o.Dir != Copy {
				if dest {
					if strings.HasSuffix(rel, "/") && !carried { // a marker with bytes: worth a word
						s.mu.Lock()
						s.counts.Protected++
						s.mu.Unlock()
						if s.o.Note != nil {
							s.o.Note(Note{Kind: "protect", Key: rel, Err: fmt.Errorf("not deleted: no file can have this name (%w)", err)})
						}
					}
					return nil
				}
				e.Err = fmt.Errorf("cannot be represented locally: %w", err)
			}
			resume := transfer.Hold(ctx) // a busy scheduler is not a stalled listing
			ok := yield(e)
			resume()
			if !ok {
				return errStop
			}
			return nil
		})
		if errors.Is(err, errStop) {
			return nil
		}
		return err
	}
}

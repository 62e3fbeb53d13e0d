package syncplan

import (
	"strings"
	"time"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/transfer"
)

// What the state records of the transfers, as they finish.

// Observer returns an observer that records in the state each transfer that finished, and
// passes every event on to next (which may be nil).
func (s *Sync) Observer(next transfer.Observer) transfer.Observer {
	return transfer.ObserverFunc(func(ev transfer.Event) {
		switch ev.Kind {
		case transfer.Done, transfer.Failed, transfer.NotDone, transfer.Skipped:
			if ev.Item.Op != transfer.Delete {
				s.finished(ev)
			}
		}
		if next != nil {
			next.Observe(ev)
		}
	})
}

func (s *Sync) finished(ev transfer.Event) {
	if s.out == nil {
		return
	}
	key := strings.TrimPrefix(ev.Item.Object.Key, s.o.Remote.Key)
	s.mu.Lock()
	in, ok := s.inflight[key]
	delete(s.inflight, key)
	s.mu.Unlock()
	if !ok {
		return
	}
	if ev.Kind != transfer.Done {
		s.out.set(in.slot, Record{}, false)
		return
	}
	it := ev.Item
	switch s.o.Dir {
	case Up:
		l := in.local
		rec := Record{Key: key, Size: l.Size, Mtime: l.ModTime.UnixNano(), Change: l.Change, Inode: l.Inode, Seen: l.Seen, ETag: it.ETag, Sum: ev.Checksum}
		s.out.set(in.slot, rec, it.ETag != "")
	case Down:
		f, err := localfs.Stat(it.Path, key)
		rec := Record{Key: key, Size: f.Size, Mtime: f.ModTime.UnixNano(), Change: f.Change, Inode: f.Inode, Seen: time.Now().UnixNano(),
			ETag: it.ETag, LastModified: it.LastModified.UnixNano()}
		s.out.set(in.slot, rec, err == nil && f.Size == it.Size && it.ETag != "")
	}
}

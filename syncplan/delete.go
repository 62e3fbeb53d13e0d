package syncplan

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/transfer"
)

// GuardError is a plan's deletions refused by a guard: nothing is deleted.
type GuardError struct {
	Guard   string // which: GuardEmptySource, GuardMaxDelete, GuardMaxDeleteSize, GuardPercent
	Deletes int    // deletions planned
	Bytes   int64  // their bytes
	Dest    int    // keys the destination holds (after filters)
	Limit   int64  // the guard's limit: a count, bytes or a percentage (0 for GuardEmptySource)
	// Sharded says the sync is one shard of a job (Options.Shard): Deletes, Bytes and Dest
	// are this shard's (shard.go).
	Sharded bool
}

// The guards.
const (
	GuardEmptySource   = "empty-source"
	GuardMaxDelete     = "max-delete"
	GuardMaxDeleteSize = "max-delete-size"
	GuardPercent       = "max-delete-percent"
)

func (e *GuardError) Error() string {
	switch e.Guard {
	case GuardEmptySource:
		return fmt.Sprintf("the source is empty and the destination holds %d keys: nothing deleted", e.Dest)
	case GuardMaxDelete:
		return fmt.Sprintf("%d deletions planned, more than the limit of %d: nothing deleted", e.Deletes, e.Limit)
	case GuardMaxDeleteSize:
		return fmt.Sprintf("%d bytes to delete, more than the limit of %d: nothing deleted", e.Bytes, e.Limit)
	}
	return fmt.Sprintf("%d of the destination's %d keys to delete, more than %d%%: nothing deleted", e.Deletes, e.Dest, e.Limit)
}

// ErrNoDeletes is why a sync deletes nothing when its merge did not run to its end: the
// run was interrupted or stopped, so keys not yet seen on the source could be taken for
// gone.
var ErrNoDeletes = errors.New("the comparison did not finish: nothing deleted")

// Deletes returns the producer of the sync's deletions (Delete items for
// transfer.Engine.Delete), once Items has run to its end. It returns an error instead when
// nothing may be deleted: the merge's listing error (a listing failed, was cut short or out
// of order), ErrNoDeletes when the merge did not finish, or a *GuardError when a guard
// refuses the plan as a whole. A sync without Options.Delete deletes nothing (nil, nil).
func (s *Sync) Deletes() (transfer.Producer, error) {
	if s.spool == nil {
		return nil, nil
	}
	switch {
	case s.listErr != nil:
		return nil, s.listErr
	case s.incomplete:
		return nil, ErrNoDeletes
	}
	if err := s.guard(); err != nil {
		return nil, err
	}
	return s.deleteItems, nil
}

func (s *Sync) guard() error {
	c, g := s.Counts(), s.o.Guards
	ge := &GuardError{Deletes: c.Deletes, Bytes: c.DeleteBytes, Dest: c.Dest, Sharded: s.o.Shard != nil}
	switch {
	case c.Deletes == 0:
		return nil
	case c.Source+c.OtherSource == 0 && !g.AllowEmptySource: // the whole source (shard.go)
		ge.Guard = GuardEmptySource
	case g.MaxDelete >= 0 && int64(c.Deletes) > g.MaxDelete:
		ge.Guard, ge.Limit = GuardMaxDelete, g.MaxDelete
	case g.MaxDeleteSize >= 0 && c.DeleteBytes > g.MaxDeleteSize:
		ge.Guard, ge.Limit = GuardMaxDeleteSize, g.MaxDeleteSize
	case g.MaxDeletePercent < 100 && c.Dest+c.OtherDest >= PercentFloor && int64(c.Deletes)*100 > g.MaxDeletePercent*int64(c.Dest):
		ge.Guard, ge.Limit = GuardPercent, g.MaxDeletePercent
	default:
		return nil
	}
	return ge
}

// deleteItems yields the spooled deletions in key order. Downloading, each is a local file;
// the directories its deletions leave empty are removed as the next deletion moves to
// another directory, and at the end.
func (s *Sync) deleteItems(ctx context.Context, yield func(transfer.Item) bool) error {
	lastDir := ""
	tidy := func(next string) {
		if lastDir != "" && lastDir != next && !s.o.DryRun {
			removeEmptyDirs(lastDir, s.o.Local)
		}
		lastDir = next
	}
	err := s.spool.each(ctx, func(key string, size int64) bool {
		s.mu.Lock()
		keep := s.keep[key]
		s.mu.Unlock()
		if keep {
			return true
		}
		if s.o.Dir != Down {
			return yield(transfer.Item{Op: transfer.Delete, Object: s.ref(key), Size: size, Reason: "not in the source"})
		}
		path, err := localfs.SafeJoin(s.o.Local, key)
		tidy(filepath.Dir(path))
		return yield(transfer.Item{Op: transfer.Delete, Path: path, Size: size, Reason: "not in the source", Err: err})
	})
	tidy("")
	return err
}

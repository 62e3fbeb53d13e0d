//go:build unix

package syncplan

import (
	"errors"
	"os"
	"slices"
	"syscall"
	"testing"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/transfer"
)

// A source entry that cannot be read (a broken symlink) is a failed item; one the walk
// passes over on purpose (a link back to an ancestor, a FIFO) is an item with Skip set and
// no failure. Each protects its key, and every key under it, from deletion.
func TestUnreadableSourceProtects(t *testing.T) {
	f := sides(t, Up, []string{"a", "z"}, []string{"a", "broken", "broken/x", "brokenx", "fifo", "loop/y", "old", "z"})
	for link, target := range map[string]string{"broken": "nowhere", "loop": "."} {
		if err := os.Symlink(target, f.path(link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(f.path("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := f.up(func(o *Options) { o.Delete = true })
	if r.runErr == nil {
		t.Errorf("run: no error, want broken's")
	}
	var se *transfer.SourceError
	if it := r.items["broken"]; it.Op != transfer.Upload || !errors.As(it.Err, &se) || r.failed["broken"] == nil {
		t.Errorf("broken: item %+v, failed %v", it, r.failed["broken"])
	}
	for k, kind := range map[string]localfs.SkipKind{"fifo": localfs.SkipSpecial, "loop": localfs.SkipLoop} {
		var skip *localfs.SkipError
		if it := r.items[k]; it.Op != transfer.Upload || it.Err != nil || !errors.As(it.Skip, &skip) || skip.Kind != kind || r.failed[k] != nil {
			t.Errorf("%s: item %+v, failed %v; want skipped (kind %d), not failed", k, it, r.failed[k], kind)
		}
	}
	if r.delErr != nil || !slices.Equal(r.deleted, []string{"brokenx", "old"}) {
		t.Errorf("deletes: %v, deleted %v", r.delErr, r.deleted)
	}
	checkProtected(t, r, []string{"broken", "broken/x", "fifo", "loop/y"})
}

// checkProtected fails unless exactly want were noted and counted as protected.
func checkProtected(t *testing.T, r result, want []string) {
	t.Helper()
	var noted []string
	for _, n := range r.notes {
		if n.Kind == "protect" && n.Err != nil {
			noted = append(noted, n.Key)
		}
	}
	slices.Sort(noted)
	if !slices.Equal(noted, want) || r.counts.Protected != len(want) {
		t.Errorf("protected %v (%d counted), want %v", noted, r.counts.Protected, want)
	}
}

// With NoFollowSymlinks every link is skipped, not sent and not failed, a broken one too,
// and the keys of the links (a link to a file, to a directory, a broken one) are not
// deleted from the destination, nor is anything under them: a link not followed is not a
// file deleted. Keys that only the destination holds are deleted as ever.
func TestNoFollowSymlinksSkipsAndProtects(t *testing.T) {
	f := sides(t, Up, []string{"a", "d/x"}, []string{"a", "broken", "d/x", "dlink/x", "flink", "old"})
	for link, target := range map[string]string{"broken": "nowhere", "dlink": "d", "flink": "a"} {
		if err := os.Symlink(target, f.path(link)); err != nil {
			t.Fatal(err)
		}
	}
	r := f.up(func(o *Options) { o.Delete = true; o.NoFollowSymlinks = true })
	if r.runErr != nil || len(r.failed) != 0 {
		t.Errorf("run: %v, failed %v", r.runErr, r.failed)
	}
	for _, k := range []string{"broken", "dlink", "flink"} {
		var skip *localfs.SkipError
		if it := r.items[k]; it.Err != nil || !errors.As(it.Skip, &skip) || skip.Kind != localfs.SkipLink || r.done[k] {
			t.Errorf("%s: item %+v, done %v; want skipped as a link", k, it, r.done[k])
		}
	}
	if r.delErr != nil || !slices.Equal(r.deleted, []string{"old"}) {
		t.Errorf("deletes: %v, deleted %v; want only old", r.delErr, r.deleted)
	}
	checkProtected(t, r, []string{"broken", "dlink/x", "flink"})
	// Followed (the default), the same tree has no skip; the broken link fails and still
	// keeps its key.
	r = f.up(func(o *Options) { o.Delete = true })
	for k, it := range r.items {
		if it.Skip != nil {
			t.Errorf("followed: %s skipped: %v", k, it.Skip)
		}
	}
	if r.runErr == nil || r.failed["broken"] == nil || len(r.failed) != 1 || len(r.deleted) != 0 {
		t.Errorf("followed: run %v, failed %v, deleted %v", r.runErr, r.failed, r.deleted)
	}
	if got, want := f.remoteKeys(), []string{"a", "broken", "d/x", "dlink/x", "flink"}; !slices.Equal(got, want) {
		t.Errorf("followed: destination holds %v, want %v", got, want)
	}
}

// Downloading, the local walk is the destination's: a named pipe there is skipped (an item
// with Skip set, not a failure) and never a deletion candidate; a loop is skipped, and
// nothing under it is walked or deleted.
func TestDownloadSkipsSpecialDestinationEntries(t *testing.T) {
	f := sides(t, Down, []string{"a"}, []string{"a", "old"})
	if err := syscall.Mkfifo(f.path("pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(".", f.path("loop")); err != nil {
		t.Fatal(err)
	}
	r := f.down(func(o *Options) { o.Delete = true })
	if r.runErr != nil || len(r.failed) != 0 || !slices.Equal(r.deleted, []string{"old"}) {
		t.Fatalf("run %v, failed %v, deleted %v; want only old deleted", r.runErr, r.failed, r.deleted)
	}
	for _, k := range []string{"pipe", "loop"} {
		if it := r.items[k]; it.Op != transfer.Download || it.Skip == nil || it.Err != nil {
			t.Errorf("%s: item %+v, want a skipped download", k, it)
		}
	}
	if fi, err := os.Lstat(f.path("pipe")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("pipe is now %v (%v), want the named pipe kept", fi.Mode(), err)
	}
}

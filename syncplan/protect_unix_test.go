//go:build unix

package syncplan

import (
	"errors"
	"os"
	"slices"
	"syscall"
	"testing"

	"github.com/haul-s3/haul/transfer"
)

// A source entry that cannot be read (a broken symlink, a link back to an ancestor, a FIFO)
// is a failed item and protects its key, and every key under it, from deletion.
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
	if !errors.Is(r.runErr, transfer.ErrSomeFailed) {
		t.Errorf("run: %v", r.runErr)
	}
	for _, k := range []string{"broken", "fifo", "loop"} {
		var se *transfer.SourceError
		if it := r.items[k]; it.Op != transfer.Upload || !errors.As(it.Err, &se) || r.failed[k] == nil {
			t.Errorf("%s: item %+v, failed %v", k, it, r.failed[k])
		}
	}
	if r.delErr != nil || !slices.Equal(r.deleted, []string{"brokenx", "old"}) {
		t.Errorf("deletes: %v, deleted %v", r.delErr, r.deleted)
	}
	var noted []string
	for _, n := range r.notes {
		if n.Kind == "protect" && n.Err != nil {
			noted = append(noted, n.Key)
		}
	}
	slices.Sort(noted)
	if want := []string{"broken", "broken/x", "fifo", "loop/y"}; !slices.Equal(noted, want) || r.counts.Protected != len(want) {
		t.Errorf("protected %v (%d counted), want %v", noted, r.counts.Protected, want)
	}
}

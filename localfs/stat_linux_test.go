package localfs

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A file rewritten with the same size and its old mtime put back keeps Size and ModTime but
// not Change: that is what lets a sync's state see the rewrite.
func TestStatFingerprintSeesARewriteWithMtimeRestored(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	a, err := Stat(p, "f")
	if err != nil || a.Inode == 0 || a.Change == 0 {
		t.Fatalf("Stat = %+v, %v; want an inode and a ctime", a, err)
	}
	time.Sleep(20 * time.Millisecond) // past the kernel's coarse clock tick
	if err := os.WriteFile(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	b, err := Stat(p, "f")
	if err != nil {
		t.Fatal(err)
	}
	if b.Size != a.Size || !b.ModTime.Equal(a.ModTime) || b.Inode != a.Inode {
		t.Fatalf("rewrite changed more than ctime: %+v vs %+v", b, a)
	}
	if b.Change == a.Change {
		t.Fatalf("ctime unchanged after a rewrite: %d", b.Change)
	}
}

package transfer

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

// A file that goes up and comes back keeps its modification time to the nanosecond: the
// upload records it in the object's metadata, and a download, whole or in ranges, from one
// object or a prefix, sets it again (the object's LastModified is later).
func TestModificationTimeGoesUpAndComesBack(t *testing.T) {
	fs := newFake()
	dir := t.TempDir()
	mtime := time.Date(2025, 6, 1, 12, 30, 45, 123456789, time.UTC)
	for name, size := range map[string]int{"small": 1000, "big": 12 * mib} {
		p := filepath.Join(dir, name)
		writeFile(t, p, randomBytes(size, 7))
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib}))
	if _, err := e.UploadDir(context.Background(), dir, object.Ref{Bucket: "b", Key: "p/"}); err != nil {
		t.Fatal(err)
	}
	if got := fs.meta["b/p/big"][MtimeMetadata]; got != "1748781045123456789" {
		t.Fatalf("metadata %s = %q", MtimeMetadata, got)
	}
	out := t.TempDir()
	if _, err := e.DownloadPrefix(context.Background(), object.Ref{Bucket: "b", Key: "p/"}, out); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DownloadFile(context.Background(), object.Ref{Bucket: "b", Key: "p/small"}, filepath.Join(out, "one")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"small", "big", "one"} {
		fi, err := os.Stat(filepath.Join(out, name))
		if err != nil || !fi.ModTime().Equal(mtime) {
			t.Errorf("%s: mtime %v, %v; want %v", name, fi.ModTime(), err, mtime)
		}
	}
}

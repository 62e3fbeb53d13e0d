package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/storetest"
)

var _ storetest.PageLister = (*s3store.Store)(nil)

// A prefix of 50 common prefixes, the first of them large, is listed in parallel (one
// listing per common prefix) by ls -r, cp -r down and sync down, and each gives exactly the
// keys of a plain listing, in its order: keys that sort next to a common prefix ("d07-a"
// before "d07/", "d070" after it) stay where they belong.
func TestWidePrefixListedInParallelInKeyOrder(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		var files []string
		for i := range 1100 { // more than a page, all under one common prefix: listing fans out
			files = append(files, fmt.Sprintf("a-big/%04d", i))
		}
		for d := range 49 {
			files = append(files, fmt.Sprintf("d%02d-a", d), fmt.Sprintf("d%02d0", d))
			for i := range 4 {
				files = append(files, fmt.Sprintf("d%02d/%d", d, i))
			}
		}
		files = append(files, "top", "d05/sub/deeper/x", "d05.x")
		for _, f := range files {
			p := filepath.Join(dir, filepath.FromSlash(f))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		must(t, srv, "-q", "cp", "-r", dir, "s3://"+bucket+"/t/")
		want := keys(t, srv, bucket, "t/") // the plain listing: what callers saw before
		if len(want) != len(files) {
			t.Fatalf("%d keys stored, want %d", len(want), len(files))
		}

		r := must(t, srv, "--json", "--debug", "ls", "-r", "s3://"+bucket+"/t/")
		var got []string
		type object struct{ Event, Key string }
		for _, ev := range jsonLines[object](t, r.stdout) {
			if ev.Event == "object" {
				got = append(got, ev.Key)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("ls -r listed %d keys, want the %d of the plain listing in its order (first difference at %d)", len(got), len(want), firstDifference(got, want))
		}
		// One listing per common prefix: the subtrees were listed on their own.
		for _, p := range []string{"t/a-big/", "t/d00/", "t/d48/"} {
			if !strings.Contains(r.stderr, fmt.Sprintf("ListObjectsV2 bucket=%s key=%q", bucket, p)) {
				t.Errorf("ls -r made no listing of %s:\n%s", p, r.stderr)
			}
		}

		r = must(t, srv, "--json", "cp", "-r", "s3://"+bucket+"/t/", t.TempDir(), "--dry-run")
		items, _ := planOf(t, r.stdout)
		got = got[:0]
		for _, it := range items {
			got = append(got, strings.TrimPrefix(it.Src, "s3://"+bucket+"/"))
		}
		if !slices.Equal(got, want) {
			t.Errorf("cp -r --dry-run planned %d downloads, want the %d keys in listing order (first difference at %d)", len(got), len(want), firstDifference(got, want))
		}

		down := t.TempDir()
		must(t, srv, "-q", "cp", "-r", "s3://"+bucket+"/t/", down)
		sameTree(t, dir, down)
		synced := t.TempDir()
		must(t, srv, "-q", "sync", "s3://"+bucket+"/t/", synced) // its merge refuses a listing out of order
		sameTree(t, dir, synced)
	})
}

func firstDifference(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

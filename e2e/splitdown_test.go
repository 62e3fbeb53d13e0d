package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
)

// rangesFetched returns the ranges ("A-B") of the GetObject requests of key that a --debug
// run made and that succeeded, sorted, and how many GETs of key it made without a range.
func rangesFetched(stderr, key string) (ranges []string, whole int) {
	re := regexp.MustCompile(`debug: GetObject bucket=\S+ key="` + regexp.QuoteMeta(key) + `"( range=(\S+))? status=(\d+) `)
	for _, m := range re.FindAllStringSubmatch(stderr, -1) {
		switch {
		case m[2] == "":
			whole++
		case m[3] == "200" || m[3] == "206":
			ranges = append(ranges, m[2])
		}
	}
	slices.Sort(ranges)
	return ranges, whole
}

// shardBytes returns the byte ranges of the parts shard i of n fetches of a 24 MiB object
// in parts of 5 MiB, sorted as rangesFetched sorts them.
func shardBytes(i, n int) []string {
	var r []string
	for _, p := range shardRange(i, n) {
		off := int64(p-1) * 5 << 20
		r = append(r, fmt.Sprintf("%d-%d", off, min(off+5<<20, 24<<20)-1))
	}
	slices.Sort(r)
	return r
}

// splitLeft returns the files under dir that a shared download leaves while it is
// unfinished: its temporary file and markers.
func splitLeft(t *testing.T, dir string) []string {
	t.Helper()
	var left []string
	for rel := range treeFiles(t, dir) {
		if strings.Contains(rel, ".haul-") {
			left = append(left, rel)
		}
	}
	return left
}

// cp -r --shard I/N --shard-parts-over from S3 to one directory that the three shards
// (processes, as the pods of an Indexed Job on a ReadWriteMany volume) all write: the 24
// MiB object is fetched in 5 ranged GETs split among them, each shard only its own range,
// into one temporary file that the last to finish checks and renames into place, with the
// file's time; the small objects are fetched whole by their own shards. The tree is the
// source's, nothing temporary is left, and the shards' receipts verify against the
// prefix. A second run fetches nothing of the big object.
func TestSplitDown(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		local := filepath.Join(dir, "src")
		randomFile(t, filepath.Join(local, "sub", "big.bin"), 24<<20)
		makeFiles(t, local, 1000, "a.txt", "b.txt", "c/d.txt", "c/e.txt")
		src := "s3://" + bucket + "/src/"
		must(t, srv, append([]string{"cp", "-r", local, src}, copyFlags...)...)

		out := filepath.Join(dir, "out")
		rc := filepath.Join(dir, "r.receipt")
		run := func(extra ...string) (completed int, fetched []string) {
			args := append([]string{"-r", "--shard-parts-over", "16MiB", "--part-size", "5MiB", src, out}, extra...)
			for i, r := range runShards(t, srv, []int{0, 1, 2}, 3, args...) {
				if r.code != 0 {
					t.Fatalf("shard %d/3: exit %d\n%s", i, r.code, r.stderr)
				}
				mine, whole := rangesFetched(r.stderr, "src/sub/big.bin")
				if whole != 0 || len(mine) > 0 && !slices.Equal(mine, shardBytes(i, 3)) {
					t.Fatalf("shard %d/3 fetched big.bin in ranges %v and %d whole; want its own ranges %v\n%s", i, mine, whole, shardBytes(i, 3), r.stderr)
				}
				fetched = append(fetched, mine...)
				completed += strings.Count(r.stderr, "checked and renamed into place")
			}
			slices.Sort(fetched)
			return completed, fetched
		}

		completed, fetched := run("--receipt", rc)
		var all []string
		for i := range 3 {
			all = append(all, shardBytes(i, 3)...)
		}
		slices.Sort(all)
		if completed != 1 || !slices.Equal(fetched, all) {
			t.Fatalf("%d shards completed big.bin, ranges fetched %v; want one, and each of %v once", completed, fetched, all)
		}
		sameTree(t, local, out) // hidden temporary files and markers would make it differ
		if left := splitLeft(t, out); len(left) > 0 {
			t.Fatalf("left behind: %v", left)
		}
		want, _ := os.Stat(filepath.Join(local, "sub", "big.bin"))
		if got, err := os.Stat(filepath.Join(out, "sub", "big.bin")); err != nil || !got.ModTime().Equal(want.ModTime()) {
			t.Fatalf("big.bin's time %v (%v); want the source file's %v", got.ModTime(), err, want.ModTime())
		}
		var receipts []string
		for i := range 3 {
			receipts = append(receipts, filepath.Join(dir, "r.shard-"+strconv.Itoa(i)+"-of-3.receipt"))
		}
		if r := wantVerify(t, srv, 0, nil, append(receipts, "--against", src)...); !strings.Contains(r.stderr, "5 objects checked") {
			t.Fatalf("verify of the shards' receipts: %s", r.stderr)
		}
		lines := 0
		for _, p := range receipts {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			lines += strings.Count(string(b), `"key":"src/sub/big.bin"`)
		}
		if lines != 1 {
			t.Fatalf("the receipts hold %d lines of big.bin; want one, the finishing shard's", lines)
		}

		if completed, fetched := run(); completed != 0 || len(fetched) != 0 {
			t.Fatalf("second run: %d completed, ranges %v fetched; want nothing of big.bin, which the directory holds", completed, fetched)
		}
		sameTree(t, local, out)
	})
}

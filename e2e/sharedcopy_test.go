package e2e

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/haul-s3/haul/filter"
	"github.com/haul-s3/haul/internal/s3test"
	"github.com/haul-s3/haul/transfer"
)

// partsCopied returns the part numbers of the UploadPartCopy requests a --debug run made
// that succeeded, sorted.
func partsCopied(stderr string) []int { return partsOf(stderr, "UploadPartCopy") }

// shardRange returns the parts shard i of n copies of a 24 MiB object in parts of 5 MiB.
func shardRange(i, n int) []int {
	lay, _ := transfer.NewLayout(24<<20, 5<<20)
	first, end := lay.Shard(i, n)
	return seq(int(first), int(end)-1)
}

// copyShards runs the three shards of cp -r --shard-parts-over 16MiB from src to dst at
// once and returns the parts they copied and how many completed the upload, failing the
// test when one fails or copies parts of the 24 MiB object other than its own range.
func copyShards(t *testing.T, srv *s3test.Server, src, dst string, extra ...string) (parts []int, completed int, stderr []string) {
	t.Helper()
	args := readACL(srv, append([]string{"-r", "--shard-parts-over", "16MiB", src, dst}, extra...)...)
	for i, r := range runShards(t, srv, []int{0, 1, 2}, 3, args...) {
		if r.code != 0 {
			t.Fatalf("shard %d/3: exit %d\n%s", i, r.code, r.stderr)
		}
		// The owner's one UploadPart is the upload's mark, part 10000.
		marks := len(regexp.MustCompile(`debug: UploadPart .* part=10000 `).FindAllString(r.stderr, -1))
		if n := countOps(r.stderr)["GetObject"] + countOps(r.stderr)["UploadPart"] - marks; n != 0 || marks > 1 {
			t.Fatalf("shard %d/3 sent %d GetObject and UploadPart besides %d marks: the bytes went through haul\n%s", i, n, marks, r.stderr)
		}
		mine := partsCopied(r.stderr)
		if len(mine) > 0 && !slices.Equal(mine, shardRange(i, 3)) {
			t.Fatalf("shard %d/3 copied parts %v; want its range %v", i, mine, shardRange(i, 3))
		}
		parts = append(parts, mine...)
		completed += strings.Count(r.stderr, "every part was there: completed")
		stderr = append(stderr, r.stderr)
	}
	slices.Sort(parts)
	return parts, completed, stderr
}

// cp -r --shard I/N --shard-parts-over from S3 to S3 on one server: three shards (processes,
// as the pods of an Indexed Job) at once. The 24 MiB object is copied by the server in 5
// UploadPartCopy parts split among them, each made once, in one upload completed by a
// shard that found every part there; the small objects are copied whole by their own
// shards. The copy records the source's ETag (haul-source-etag) and carries its checksum,
// which a download verifies. A rerun copies nothing of it; after the source is written
// again, a rerun copies every part again and the copy is the new version. Nothing is left
// incomplete.
func TestShardPartsOverCopy(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		big := filepath.Join(dir, "src", "big.bin")
		data := randomFile(t, big, 24<<20)
		makeFiles(t, filepath.Join(dir, "src"), 100, "a.txt", "b.txt", "c/d.txt")
		src, dst := "s3://"+bucket+"/src/", "s3://"+bucket+"/dst/"
		must(t, srv, append([]string{"cp", "-r", filepath.Join(dir, "src"), src}, copyFlags...)...)

		rc := filepath.Join(t.TempDir(), "r.receipt")
		parts, completed, _ := copyShards(t, srv, src, dst, "--receipt", rc)
		if !slices.Equal(parts, seq(1, 5)) || completed < 1 {
			t.Fatalf("the shards copied parts %v and %d completed the upload; want each of 1-5 once, completed", parts, completed)
		}
		if got := keys(t, srv, bucket, "dst/"); !slices.Equal(got, []string{"dst/a.txt", "dst/b.txt", "dst/big.bin", "dst/c/d.txt"}) {
			t.Fatalf("keys %v", got)
		}
		meta := headObject(t, srv, bucket, "dst/big.bin").meta
		if meta["haul-source-etag"] == "" || meta["haul-checksum"] == "" {
			t.Fatalf("the copy's metadata %v; want haul-source-etag and the source's haul-checksum", meta)
		}
		got, verified := downloadVerified(t, srv, dst+"big.bin")
		if !bytes.Equal(got, data) || verified != "crc32c" && verified != "crc64nvme" {
			t.Fatalf("big.bin copied: equal %v, verified %q; want the source's bytes, checked against its checksum", bytes.Equal(got, data), verified)
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads after the job", len(ups))
		}
		// The receipts of the three shards state each object once, big.bin by the shard
		// that completed it, and cover every source object.
		var receipts []string
		for i := range 3 {
			receipts = append(receipts, filepath.Join(filepath.Dir(rc), "r.shard-"+strconv.Itoa(i)+"-of-3.receipt"))
		}
		if r := wantVerify(t, srv, 0, nil, append(receipts, "--against", src)...); !strings.Contains(r.stderr, "4 objects checked") {
			t.Fatalf("verify of the shards' receipts: %s", r.stderr)
		}

		parts, _, stderr := copyShards(t, srv, src, dst)
		if len(parts) != 0 || !slices.ContainsFunc(stderr, func(s string) bool { return strings.Contains(s, "copy of the source's version already") }) {
			t.Fatalf("rerun: parts %v copied; want none, the object being the copy already\n%s", parts, strings.Join(stderr, "\n"))
		}

		data = randomFile(t, big, 24<<20)
		must(t, srv, append([]string{"cp", big, src + "big.bin"}, copyFlags...)...)
		if parts, completed, _ = copyShards(t, srv, src, dst); !slices.Equal(parts, seq(1, 5)) || completed < 1 {
			t.Fatalf("after the source changed: parts %v copied, %d completed; want each of 1-5 again", parts, completed)
		}
		if got, _ := downloadVerified(t, srv, dst+"big.bin"); !bytes.Equal(got, data) {
			t.Fatal("the copy is not the source's new version")
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads after the second job", len(ups))
		}
	})
}

// --shard-parts-over refuses what it does not split: a download, and a copy or sync from
// another endpoint, each with a usage error (exit 2) before anything is sent; mv has no
// such flag.
func TestShardPartsOverRefusals(t *testing.T) {
	srv := s3test.Shared(t, s3test.Kinds()[0])
	bucket := srv.NewBucket(t)
	src, dst := "s3://"+bucket+"/a/", "s3://"+bucket+"/b/"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mv", "-r", "--shard", "0/2", "--shard-parts-over", "1GiB", t.TempDir(), dst}, "unknown flag: --shard-parts-over"},
		{[]string{"sync", "--shard", "0/2", "--shard-parts-over", "1GiB", src, t.TempDir()}, "downloads do not split"},
		{[]string{"sync", "--shard", "0/2", "--shard-parts-over", "1GiB", "--source-endpoint-url", "http://127.0.0.1:1", src, dst}, "only when the server copies it"},
		{[]string{"cp", "-r", "--shard", "0/2", "--shard-parts-over", "1GiB", "--source-endpoint-url", "http://127.0.0.1:1", src, dst}, "only when the server copies it"},
	} {
		r := haul(t, srv, nil, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("haul %s: exit %d; want 2 and %q\n%s", strings.Join(tc.args, " "), r.code, tc.want, r.stderr)
		}
	}
}

// sync --shard I/N --shard-parts-over between two S3 locations on one server: three shards
// at once. The big object is copied by the server in parts split among all of them, each
// part once, the small ones whole by their own shards. A second run copies nothing (every
// shard finds the big object unchanged). A third, with --delete, after the big object was
// rewritten and a small one removed: the big one is copied again in parts by all the
// shards, and the small one deleted by its own shard alone.
func TestSyncShardPartsOverCopy(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		const n = 3
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		big := filepath.Join(dir, "src", "big.bin")
		randomFile(t, big, 24<<20)
		small := []string{"a.txt", "b.txt", "c/d.txt", "c/e.txt"}
		makeFiles(t, filepath.Join(dir, "src"), 100, small...)
		src, dst := "s3://"+bucket+"/src/", "s3://"+bucket+"/dst/"
		must(t, srv, append([]string{"cp", "-r", filepath.Join(dir, "src"), src}, copyFlags...)...)
		args := readACL(srv, "--shard-parts-over", "16MiB", src, dst)
		run := func(extra ...string) (parts []int, out map[int]syncOut) {
			out = syncShards(t, srv, t.TempDir(), seq(0, n-1), n, append(extra, args...)...)
			for i, o := range out {
				if o.code != 0 {
					t.Fatalf("shard %d/%d: exit %d\n%s\n%s", i, n, o.code, o.stderr, o.stdout)
				}
				mine := partsCopied(o.stderr)
				if len(mine) > 0 && !slices.Equal(mine, shardRange(i, n)) {
					t.Fatalf("shard %d/%d copied parts %v; want its range %v", i, n, mine, shardRange(i, n))
				}
				parts = append(parts, mine...)
			}
			slices.Sort(parts)
			return parts, out
		}

		if parts, _ := run(); !slices.Equal(parts, seq(1, 5)) {
			t.Fatalf("parts copied %v; want each of 1-5 once", parts)
		}
		want := []string{"dst/a.txt", "dst/b.txt", "dst/big.bin", "dst/c/d.txt", "dst/c/e.txt"}
		if got := keys(t, srv, bucket, "dst/"); !slices.Equal(got, want) {
			t.Fatalf("keys %v; want %v", got, want)
		}
		if parts, out := run(); len(parts) != 0 {
			t.Fatalf("second run: parts %v copied; want none", parts)
		} else {
			for i, o := range out {
				if c := o.sum.Calls["CopyObject"] + o.sum.Calls["CreateMultipartUpload"]; c != 0 {
					t.Fatalf("second run of shard %d: %d copies or uploads started; want none\n%s", i, c, o.stderr)
				}
			}
		}

		data := randomFile(t, big, 24<<20)
		must(t, srv, append([]string{"cp", big, src + "big.bin"}, copyFlags...)...)
		must(t, srv, "rm", src+"a.txt")
		parts, out := run("--delete", "--max-delete-percent", "100")
		if !slices.Equal(parts, seq(1, 5)) {
			t.Fatalf("after the rewrite: parts copied %v; want each of 1-5 again", parts)
		}
		for i, o := range out {
			var mine []string
			if filter.Of("a.txt", n) == i {
				mine = []string{"dst/a.txt"}
			}
			if got := deleted(o, bucket); !slices.Equal(got, mine) {
				t.Fatalf("--delete run of shard %d/%d deleted %v; want exactly %v", i, n, got, mine)
			}
		}
		if got, _ := downloadVerified(t, srv, dst+"big.bin"); !bytes.Equal(got, data) {
			t.Fatal("big.bin is not the source's new version")
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads after the job", len(ups))
		}
	})
}

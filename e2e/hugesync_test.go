package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haul-s3/haul/filter"
	"github.com/haul-s3/haul/internal/s3test"
	"github.com/haul-s3/haul/transfer"
)

// The tests of sync --shard I/N --shard-parts-over (issue #14): the N shards of a sync of
// a local directory to S3 each decide every big file alike, and send their share of its
// parts when it is new or changed, through one multipart upload they find through the
// server; small files stay with their shards, and so do deletions.

// syncShards runs sync with args as shards of n, each a process of its own given its index
// as an Indexed Job gives it (JOB_COMPLETION_INDEX), all at once, with --json --debug and
// the state home state. It returns their outputs by shard.
func syncShards(t *testing.T, srv *s3test.Server, state string, shards []int, n int, args ...string) map[int]syncOut {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := map[int]syncOut{}
	for _, i := range shards {
		wg.Go(func() {
			env := []string{"JOB_COMPLETION_INDEX=" + strconv.Itoa(i), "XDG_STATE_HOME=" + state}
			r := haulEnv(t, srv, env, append([]string{"--json", "--debug", "sync", "--shard", fmt.Sprintf("$JOB_COMPLETION_INDEX/%d", n)}, args...)...)
			o := syncOut{result: r, events: jsonLines[syncEvent](t, r.stdout)}
			for _, e := range o.events {
				if e.Event == "summary" {
					o.sum = e
				}
			}
			mu.Lock()
			out[i] = o
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

var uploadPartLine = regexp.MustCompile(`debug: UploadPart bucket=\S+ key="([^"]*)" part=(\d+) status=200 `)

// keyParts returns the parts of each key that UploadPart requests of a --debug run sent.
func keyParts(stderr string, into map[string][]int) {
	for _, m := range uploadPartLine.FindAllStringSubmatch(stderr, -1) {
		n, _ := strconv.Atoi(m[2])
		into[m[1]] = append(into[m[1]], n)
	}
}

// deleted returns the keys a sync --json run deleted, relative to the bucket.
func deleted(o syncOut, bucket string) []string {
	var ks []string
	for _, e := range o.of("done", "delete") {
		ks = append(ks, strings.TrimPrefix(e.Dst, "s3://"+bucket+"/"))
	}
	slices.Sort(ks)
	return ks
}

// Three shards of sync --shard-parts-over at once: each small file goes whole from its own
// shard, each big file in parts from all of them through one upload, created once; the
// destination is the source, with no upload left. A second run sends nothing. A third,
// with --delete, after a big file was removed and another rewritten: the rewritten one is
// sent again by all the shards and deleted by none, the removed one is deleted by its own
// shard alone.
func TestSyncShardPartsOver(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		const n = 3
		start := time.Now()
		bucket := srv.NewBucket(t)
		state := t.TempDir()
		src := t.TempDir()
		bigs := map[string]int{"big1.bin": 16 << 20, "d/big2.bin": 12 << 20} // 4 and 3 parts of 5 MiB
		for rel, size := range bigs {
			randomFile(t, filepath.Join(src, filepath.FromSlash(rel)), size)
			setMtime(t, filepath.Join(src, filepath.FromSlash(rel)), oldMtime)
		}
		small := []string{"a.txt", "b.txt", "c/d.txt", "c/e.txt", "d/f.txt", "g.txt"}
		makeFiles(t, src, 100, small...)
		dst := "s3://" + bucket + "/p/"
		args := []string{"--shard-parts-over", "8MiB", "--part-size", "5MiB", src, dst}

		rc := filepath.Join(t.TempDir(), "r.receipt")
		parts := map[string][]int{}
		creates, completes := 0, 0
		for i, o := range syncShards(t, srv, state, seq(0, n-1), n, append(args, "--receipt", rc)...) {
			if o.code != 0 {
				t.Fatalf("shard %d/%d: exit %d\n%s\n%s", i, n, o.code, o.stderr, o.stdout)
			}
			keyParts(o.stderr, parts)
			creates += o.sum.Calls["CreateMultipartUpload"]
			completes += o.sum.Calls["CompleteMultipartUpload"]
		}
		for rel, size := range bigs {
			got := parts["p/"+rel]
			slices.Sort(got)
			if lay, _ := transfer.NewLayout(int64(size), 5<<20); !slices.Equal(got, seq(1, lay.Parts)) {
				t.Fatalf("%s: parts sent %v; want each of 1-%d once", rel, got, lay.Parts)
			}
		}
		if creates != len(bigs) || completes < len(bigs) {
			t.Fatalf("%d uploads created, %d completed; want one per big file, each completed", creates, completes)
		}
		want := numberedWith("p/", append(slices.Collect(func(yield func(string) bool) {
			for rel := range bigs {
				yield(rel)
			}
		}), small...))
		slices.Sort(want)
		if got := keys(t, srv, bucket, "p/"); !slices.Equal(got, want) {
			t.Fatalf("keys %v; want %v", got, want)
		}
		back := t.TempDir()
		must(t, srv, "cp", "-r", dst, back)
		sameTree(t, src, back)
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads after the job", len(ups))
		}
		var receipts []string
		for i := range n {
			receipts = append(receipts, filepath.Join(filepath.Dir(rc), fmt.Sprintf("r.shard-%d-of-%d.receipt", i, n)))
		}
		r := wantVerify(t, srv, 0, nil, append(receipts, "--against", src)...)
		if !strings.Contains(r.stderr, fmt.Sprintf("%d objects checked", len(want))) {
			t.Fatalf("verify of the shards' receipts: %s", r.stderr)
		}
		t.Logf("%s: first run of %d shards done in %s", srv.Kind, n, time.Since(start).Round(time.Millisecond))

		// A second run: every shard finds every file unchanged, big ones too; the receipts
		// state each object once (a big file by its own shard).
		rc = filepath.Join(t.TempDir(), "r.receipt")
		for i, o := range syncShards(t, srv, state, seq(0, n-1), n, append(args, "--receipt", rc)...) {
			if o.code != 0 || o.puts() != 0 || o.sum.Calls["UploadPart"] != 0 {
				t.Fatalf("second run of shard %d/%d: exit %d, %d uploads, %d parts; want none\n%s", i, n, o.code, o.puts(), o.sum.Calls["UploadPart"], o.stderr)
			}
		}
		var lines int
		for i := range n {
			b, err := os.ReadFile(filepath.Join(filepath.Dir(rc), fmt.Sprintf("r.shard-%d-of-%d.receipt", i, n)))
			if err != nil {
				t.Fatal(err)
			}
			lines += strings.Count(string(b), "\n")
		}
		if lines != len(want) {
			t.Fatalf("the second run's receipts hold %d lines; want one per object, %d", lines, len(want))
		}

		// A third, with --delete: big1.bin rewritten (same size), d/big2.bin and a.txt gone.
		data := randomFile(t, filepath.Join(src, "big1.bin"), bigs["big1.bin"])
		for _, rel := range []string{"d/big2.bin", "a.txt"} {
			if err := os.Remove(filepath.Join(src, filepath.FromSlash(rel))); err != nil {
				t.Fatal(err)
			}
		}
		parts = map[string][]int{}
		for i, o := range syncShards(t, srv, state, seq(0, n-1), n, append([]string{"--delete", "--max-delete-percent", "100"}, args...)...) {
			var mine []string
			for _, rel := range []string{"a.txt", "d/big2.bin"} {
				if filter.Of(rel, n) == i {
					mine = append(mine, "p/"+rel)
				}
			}
			if got := deleted(o, bucket); o.code != 0 || !slices.Equal(got, mine) {
				t.Fatalf("--delete run of shard %d/%d: exit %d, deleted %v; want exactly %v\n%s", i, n, o.code, got, mine, o.stderr)
			}
			keyParts(o.stderr, parts)
		}
		if got, lay := parts["p/big1.bin"], 4; len(got) != lay || len(parts) != 1 {
			t.Fatalf("parts sent %v; want the 4 of big1.bin alone", parts)
		}
		want = slices.DeleteFunc(want, func(k string) bool { return k == "p/a.txt" || k == "p/d/big2.bin" })
		if got := keys(t, srv, bucket, "p/"); !slices.Equal(got, want) {
			t.Fatalf("keys after --delete %v; want %v", got, want)
		}
		out := filepath.Join(t.TempDir(), "big1")
		must(t, srv, "cp", dst+"big1.bin", out)
		if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
			t.Fatal("big1.bin does not hold the rewritten file")
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads after the --delete run", len(ups))
		}
		t.Logf("%s: took %s in all", srv.Kind, time.Since(start).Round(time.Millisecond))
	})
}

// A shard that runs after the others completed the upload of a big file it shares (it has
// none of its parts, or its parts were sent by an earlier attempt of it): its listing shows
// the object as it must be, so it finds the file unchanged and sends nothing, and it neither
// waits for an upload nor fails.
func TestSyncShardPartsOverLateShard(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		const n, size = 3, 9 << 20 // 2 parts of 5 MiB among 3 shards: one has none
		lay, _ := transfer.NewLayout(size, 5<<20)
		late := -1
		for i := range n {
			if first, end := lay.Shard(i, n); first == end {
				late = i
			}
		}
		rel := ""
		for k := 0; rel == ""; k++ { // a file whose owner (which creates the upload) is not late
			if name := fmt.Sprintf("big%d.bin", k); filter.Of(name, n) != late {
				rel = name
			}
		}
		bucket := srv.NewBucket(t)
		state := t.TempDir()
		src := t.TempDir()
		randomFile(t, filepath.Join(src, rel), size)
		makeFiles(t, src, 100, "a.txt", "b.txt", "c.txt", "d.txt")
		dst := "s3://" + bucket + "/p/"
		args := []string{"--shard-parts-over", "8MiB", "--part-size", "5MiB", "--shard-wait", "1m", src, dst}
		var early []int
		for i := range n {
			if i != late {
				early = append(early, i)
			}
		}
		for i, o := range syncShards(t, srv, state, early, n, args...) {
			if o.code != 0 {
				t.Fatalf("shard %d/%d: exit %d\n%s\n%s", i, n, o.code, o.stderr, o.stdout)
			}
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 || !slices.Contains(keys(t, srv, bucket, "p/"), "p/"+rel) {
			t.Fatalf("the early shards left %d uploads and no p/%s", len(ups), rel)
		}
		began := time.Now()
		o := syncShards(t, srv, state, []int{late}, n, args...)[late]
		if o.code != 0 || o.sum.Calls["UploadPart"]+o.sum.Calls["CreateMultipartUpload"]+o.sum.Calls["ListMultipartUploads"] != 0 {
			t.Fatalf("late shard %d/%d: exit %d, requests %v; want it to find the object unchanged\n%s", late, n, o.code, o.sum.Calls, o.stderr)
		}
		if time.Since(began) > 30*time.Second {
			t.Fatalf("the late shard took %s: it waited", time.Since(began))
		}
		back := t.TempDir()
		must(t, srv, "cp", "-r", dst, back)
		sameTree(t, src, back)
	})
}

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/internal/s3test"
)

// The tests of one huge object sent from many machines (issue #14): haul uploads start,
// N runs of haul cp --shard I/N --upload-id ID (the pods of an Indexed Job, given their
// index as Kubernetes gives it), and haul uploads complete.

// startUpload runs haul uploads start with args and returns the upload ID it printed alone
// on stdout.
func startUpload(t *testing.T, srv *s3test.Server, args ...string) string {
	t.Helper()
	r := must(t, srv, append([]string{"uploads", "start"}, args...)...)
	id := strings.TrimSpace(r.stdout)
	if id == "" || strings.ContainsAny(id, " \n") {
		t.Fatalf("uploads start printed %q on stdout; want the upload ID alone\n%s", r.stdout, r.stderr)
	}
	return id
}

// runShards runs the shards of n given at once, as separate processes, each with
// --shard '$JOB_COMPLETION_INDEX/n' and JOB_COMPLETION_INDEX set, and returns their results
// by shard.
func runShards(t *testing.T, srv *s3test.Server, shards []int, n int, args ...string) map[int]result {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := map[int]result{}
	for _, i := range shards {
		wg.Go(func() {
			env := []string{"JOB_COMPLETION_INDEX=" + strconv.Itoa(i)}
			r := haulEnv(t, srv, env, append([]string{"--debug", "cp", "--shard", fmt.Sprintf("$JOB_COMPLETION_INDEX/%d", n)}, args...)...)
			mu.Lock()
			out[i] = r
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// partsSent returns the part numbers of the UploadPart requests a --debug run made that
// succeeded, sorted.
func partsSent(stderr string) []int { return partsOf(stderr, "UploadPart") }

// partsOf returns the part numbers of the op requests (UploadPart, UploadPartCopy) a
// --debug run made that succeeded, sorted.
func partsOf(stderr, op string) []int {
	var nums []int
	for _, m := range regexp.MustCompile(`debug: `+op+` .* part=(\d+) status=200 `).FindAllStringSubmatch(stderr, -1) {
		n, _ := strconv.Atoi(m[1])
		nums = append(nums, n)
	}
	slices.Sort(nums)
	return nums
}

func seq(first, last int) []int {
	var s []int
	for i := first; i <= last; i++ {
		s = append(s, i)
	}
	return s
}

// A 48 MiB file in 10 parts of 5 MiB, 4 shards. Shards 0, 1 and 3 run at once; complete
// then fails naming shard 2 and leaves the upload; all 4 run at once again and only shard
// 2 sends anything; complete succeeds, and a plain download verifies the object against
// something. A job given up is aborted by uploads abort --upload-id, leaving nothing.
func TestSharedUpload(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		f := filepath.Join(dir, "big.bin")
		data := randomFile(t, f, 48<<20)
		dst := "s3://" + bucket + "/big.bin"
		id := startUpload(t, srv, dst, "--metadata", "job=shared")
		cp := []string{"--upload-id", id, "--part-size", "5MiB", f, dst}
		want := map[int][]int{0: seq(1, 2), 1: seq(3, 5), 2: seq(6, 7), 3: seq(8, 10)}

		for i, r := range runShards(t, srv, []int{0, 1, 3}, 4, cp...) {
			if r.code != 0 || !slices.Equal(partsSent(r.stderr), want[i]) {
				t.Fatalf("shard %d/4: exit %d, sent parts %v, want %v\n%s", i, r.code, partsSent(r.stderr), want[i], r.stderr)
			}
		}
		complete := []string{"uploads", "complete", dst, "--upload-id", id, "--source", f, "--part-size", "5MiB", "--shards", "4"}
		r := haul(t, srv, nil, complete...)
		if r.code != 1 || !strings.Contains(r.stderr, "2 missing (6-7)") || !strings.Contains(r.stderr, "haul cp --shard 2/4 --upload-id "+id) ||
			strings.Contains(r.stderr, "--shard 1/4") {
			t.Fatalf("complete with shard 2 missing: exit %d, want 1 naming parts 6-7 and shard 2/4 alone\n%s", r.code, r.stderr)
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 1 {
			t.Fatalf("%d incomplete uploads after a refused complete; want the one left as it was", len(ups))
		}

		for i, r := range runShards(t, srv, []int{0, 1, 2, 3}, 4, cp...) {
			sent, held := partsSent(r.stderr), len(want[i])
			if i == 2 {
				sent, held = want[2], 0
			}
			note := fmt.Sprintf("%d sent, %d already there", len(sent), held)
			if r.code != 0 || !slices.Equal(partsSent(r.stderr), sent) || (i != 2 && len(sent) != 0) || !strings.Contains(r.stderr, note) {
				t.Fatalf("shard %d/4 again: exit %d, sent parts %v, want only shard 2's %v, and %q\n%s", i, r.code, partsSent(r.stderr), want[2], note, r.stderr)
			}
		}
		r = must(t, srv, complete...)
		verified := regexp.MustCompile(`verified: (.*)`).FindStringSubmatch(r.stdout)
		if verified == nil {
			t.Fatalf("complete says nothing verified\n%s", r.stdout)
		}
		// MinIO and versitygw keep a full-object CRC, which uploads start asks for; moto
		// would report a wrong one, so haul asks it for none: there the multipart ETag.
		wantSum := map[string]string{"minio": "CRC32C (full object)", "versitygw": "CRC32C (full object)", "moto": "md5 (multipart ETag)"}[srv.Kind]
		if verified[1] != wantSum {
			t.Fatalf("%s: complete verified %q; want %q", srv.Kind, verified[1], wantSum)
		}

		back := filepath.Join(t.TempDir(), "back")
		r = must(t, srv, "--json", "cp", dst, back)
		done := doneEvent(t, r.stdout)
		if got, _ := os.ReadFile(back); !bytes.Equal(got, data) || done.Event != "done" || done.Verified == "" || done.Verified == "none" {
			t.Fatalf("download of the completed object: %+v; want the file's bytes, verified", done)
		}
		t.Logf("%s: the download was verified with %s", srv.Kind, done.Verified)
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads after complete", len(ups))
		}

		// A job given up: one shard sent, then aborted by its ID.
		id2 := startUpload(t, srv, dst+".2")
		must(t, srv, "cp", "--shard", "0/4", "--upload-id", id2, "--part-size", "5MiB", f, dst+".2")
		must(t, srv, "uploads", "abort", dst+".2", "--upload-id", id2)
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads after uploads abort --upload-id", len(ups))
		}
	})
}

// With --source, uploads start records the file's CRC in the object's metadata, which a
// download checks first, on every server; complete checks it too.
func TestSharedUploadRecordsTheChecksum(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		f := filepath.Join(t.TempDir(), "f.bin")
		data := randomFile(t, f, 12<<20+3)
		dst := "s3://" + bucket + "/f.bin"
		r := must(t, srv, "--json", "uploads", "start", dst, "--source", f, "--part-size", "5MiB")
		evs := jsonLines[struct {
			Event    string
			UploadID string `json:"upload_id"`
			Parts    int
		}](t, r.stdout)
		if len(evs) != 2 || evs[0].Event != "started" || evs[0].UploadID == "" || evs[0].Parts != 3 || evs[1].Event != "summary" {
			t.Fatalf("--json uploads start: %+v; want a started event with the upload ID and 3 parts, then the summary", evs)
		}
		id := evs[0].UploadID
		r = must(t, srv, "cp", "--upload-id", id, "--part-size", "5MiB", f, dst)
		if !strings.Contains(r.stderr, "shard 0/1: parts 1-3 of 3: 3 sent, 0 already there") {
			t.Fatalf("cp --upload-id without --shard: want all 3 parts sent\n%s", r.stderr)
		}
		r = must(t, srv, "uploads", "complete", dst, "--upload-id", id, "--source", f, "--part-size", "5MiB")
		if !strings.Contains(r.stdout, "(haul-checksum)") {
			t.Fatalf("complete did not check the recorded checksum\n%s", r.stdout)
		}
		back := filepath.Join(t.TempDir(), "back")
		r = must(t, srv, "--json", "cp", dst, back)
		done := doneEvent(t, r.stdout)
		if got, _ := os.ReadFile(back); !bytes.Equal(got, data) || done.Verified != "crc32c" {
			t.Fatalf("download: verified %q; want the bytes checked against the recorded crc32c", done.Verified)
		}
	})
}

// A 2 GiB file in 4 shards of 64 parts on MinIO alone (it is heavy: 2 GiB written,
// sent and read back as checksums on a small machine). Shard 1 is killed with SIGKILL after
// 20 of its parts; its rerun sends only parts the server did not hold (none it held before
// the rerun), complete succeeds, and the object's full-object CRC32C is the file's.
func TestSharedUploadKilledShardRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("2 GiB: not with -short")
	}
	srv := s3test.Shared(t, "minio")
	bucket := srv.NewBucket(t)
	f := filepath.Join(t.TempDir(), "huge.bin")
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	writeRandom(t, f, 2<<30, h)
	dst := "s3://" + bucket + "/huge.bin"
	key := "huge.bin"
	id := startUpload(t, srv, dst)
	cp := []string{"--upload-id", id, f, dst}

	killAfter(t, haulCmd(t, srv, append([]string{"--debug", "cp", "--shard", "1/4", "--concurrency", "2"}, cp...)...), "debug: UploadPart", 20)
	start := time.Now()
	others := runShards(t, srv, []int{0, 2, 3}, 4, cp...)
	t.Logf("shards 0, 2 and 3 (1.5 GiB) at once: %s", time.Since(start).Round(time.Millisecond))
	for i, r := range others {
		if r.code != 0 || len(partsSent(r.stderr)) != 64 {
			t.Fatalf("shard %d/4: exit %d, %d parts sent, want 64\n%s", i, r.code, len(partsSent(r.stderr)), r.stderr)
		}
	}
	held := map[int]bool{}
	lp, err := srv.Client(t).ListParts(context.Background(), &s3.ListPartsInput{Bucket: &bucket, Key: &key, UploadId: &id, MaxParts: aws.Int32(1000)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range lp.Parts {
		if n := int(aws.ToInt32(p.PartNumber)); n >= 65 && n <= 128 {
			held[n] = true
		}
	}
	if len(held) < 10 || len(held) == 64 {
		t.Fatalf("the killed shard left %d of its 64 parts; want some but not all", len(held))
	}
	rec, log := srv.Record(t)
	r := haul(t, rec, nil, append([]string{"cp", "--shard", "1/4"}, cp...)...)
	if r.code != 0 {
		t.Fatalf("rerun of shard 1/4: exit %d\n%s", r.code, r.stderr)
	}
	sent := log.Requests(s3test.UploadParts)
	for _, q := range sent {
		n, _ := strconv.Atoi(q.Query.Get("partNumber"))
		if held[n] || n < 65 || n > 128 {
			t.Errorf("the rerun sent part %d: held already, or not shard 1's", n)
		}
	}
	note := regexp.MustCompile(`(\d+) sent, (\d+) already there`).FindStringSubmatch(r.stderr)
	if note == nil || note[1] != strconv.Itoa(len(sent)) || len(sent)+len(held) > 64 {
		t.Fatalf("rerun: %d UploadPart requests with %d parts held before; its note: %v\n%s", len(sent), len(held), note, r.stderr)
	}
	t.Logf("the rerun sent %d parts; %d were held before it", len(sent), len(held))

	start = time.Now()
	must(t, srv, "uploads", "complete", dst, "--upload-id", id, "--source", f, "--shards", "4")
	t.Logf("uploads complete (reads and checks 2 GiB): %s", time.Since(start).Round(time.Millisecond))
	head, err := srv.Client(t).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	want := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, h.Sum32()))
	if aws.ToString(head.ChecksumCRC32C) != want || head.ChecksumType != types.ChecksumTypeFullObject || aws.ToInt64(head.ContentLength) != 2<<30 {
		t.Fatalf("the object: %d bytes, CRC32C %s (%s); the file's is %s", aws.ToInt64(head.ContentLength), aws.ToString(head.ChecksumCRC32C), head.ChecksumType, want)
	}
	if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
		t.Fatalf("%d incomplete uploads after complete", len(ups))
	}
}

// doneEvent returns the done event of a --json run of one item.
func doneEvent(t *testing.T, stdout string) struct{ Event, Verified string } {
	t.Helper()
	for _, ev := range jsonLines[struct{ Event, Verified string }](t, stdout) {
		if ev.Event == "done" {
			return ev
		}
	}
	t.Fatalf("no done event in\n%s", stdout)
	return struct{ Event, Verified string }{}
}

// writeRandom writes size random bytes to path, through h as well.
func writeRandom(t *testing.T, path string, size int64, h io.Writer) {
	t.Helper()
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	buf := make([]byte, 4<<20)
	for left := size; left > 0; left -= int64(len(buf)) {
		b := buf[:min(int64(len(buf)), left)]
		for i := 0; i+8 <= len(b); i += 8 {
			binary.LittleEndian.PutUint64(b[i:], uint64(left)*0x9E3779B97F4A7C15^uint64(i)*0xBF58476D1CE4E5B9)
		}
		h.Write(b)
		if _, err := out.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// What a shared upload refuses: as usage errors before anything is sent (exit 2), and a
// run whose part size disagrees with the parts already there, or an upload ID that does
// not exist (exit 1), each saying why. HAUL_SHARD splits a cp --upload-id run.
func TestSharedUploadRefusals(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		f := filepath.Join(dir, "f.bin")
		randomFile(t, f, 12<<20)
		empty := filepath.Join(dir, "empty")
		makeFiles(t, dir, 0, "empty")
		dst := "s3://" + bucket + "/f.bin"
		for _, tc := range []struct {
			args []string
			says string
		}{
			{[]string{"cp", "-r", dir, "s3://" + bucket + "/p/", "--upload-id", "x"}, "--upload-id sends the parts of one file"},
			{[]string{"cp", f, dst, "--upload-id", "x", "--acl", "private"}, "are given to haul uploads start"},
			{[]string{"cp", f, "s3://" + bucket + "/p/", "--upload-id", "x"}, "not a prefix"},
			{[]string{"cp", empty, dst, "--upload-id", "x"}, "is empty"},
			{[]string{"cp", f, dst, "--upload-id", "x", "--resume"}, "--resume"},
			{[]string{"cp", f, dst, "--shard", "0/2"}, "add --upload-id"},
			{[]string{"uploads", "complete", dst, "--upload-id", "x"}, "--source"},
			{[]string{"uploads", "start", "s3://" + bucket + "/p/"}, "not a prefix"},
		} {
			if r := haul(t, srv, nil, tc.args...); r.code != 2 || !strings.Contains(r.stderr, tc.says) {
				t.Errorf("haul %s: exit %d, want 2 and %q\n%s", strings.Join(tc.args, " "), r.code, tc.says, r.stderr)
			}
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("refused runs left %d uploads", len(ups))
		}

		id := startUpload(t, srv, dst)
		r := haulEnv(t, srv, []string{"HAUL_SHARD=0/2"}, "--debug", "cp", "--upload-id", id, "--part-size", "5MiB", f, dst)
		if r.code != 0 || !slices.Equal(partsSent(r.stderr), []int{1}) {
			t.Fatalf("HAUL_SHARD=0/2: exit %d, sent %v; want part 1 of 3 alone\n%s", r.code, partsSent(r.stderr), r.stderr)
		}
		r = haul(t, srv, nil, "--debug", "cp", "--upload-id", id, "--part-size", "5MiB", "--shard", "1/8", f, dst)
		if r.code != 0 || len(partsSent(r.stderr)) != 0 || !strings.Contains(r.stderr, "shard 1/8 has none of the 3 parts: nothing to send") {
			t.Fatalf("a shard with no parts: exit %d, sent %v; want 0 and nothing to send\n%s", r.code, partsSent(r.stderr), r.stderr)
		}
		r = haul(t, srv, nil, "cp", "--upload-id", id, "--part-size", "6MiB", f, dst)
		if r.code != 1 || !strings.Contains(r.stderr, "holds part 1 of 5242880 bytes where this run's layout (parts of 6291456 bytes) makes it 6291456 bytes") ||
			!strings.Contains(r.stderr, "is left as it is") {
			t.Fatalf("another --part-size: exit %d, want 1 naming the part sizes\n%s", r.code, r.stderr)
		}
		r = haul(t, srv, nil, "uploads", "complete", dst, "--upload-id", id, "--source", f, "--part-size", "6MiB")
		if r.code != 1 || !strings.Contains(r.stderr, "disagree on the part size") {
			t.Fatalf("complete with another --part-size: exit %d, want 1\n%s", r.code, r.stderr)
		}
		r = haul(t, srv, nil, "cp", "--upload-id", "no-such-upload", f, dst+".x")
		if r.code != 1 || !strings.Contains(r.stderr, "this key has no incomplete multipart upload with this ID") || strings.Contains(r.stderr, "left as it is") {
			t.Fatalf("an upload ID that does not exist: exit %d\n%s", r.code, r.stderr)
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 1 {
			t.Fatalf("%d incomplete uploads; want the one started, never aborted by a failed run", len(ups))
		}
	})
}

// cp -r --shard I/N --shard-parts-over: three shards of one directory at once (processes,
// as the pods of an Indexed Job). The 24 MiB file is split by parts among them: 5 parts,
// each sent once, one upload created, completed by a shard that found every part there;
// the small files go whole to their own shards. A rerun of the job sends nothing of the
// big file (the object holds it already), and leaves no upload behind.
func TestShardPartsOver(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		src := t.TempDir()
		data := randomFile(t, filepath.Join(src, "big.bin"), 24<<20)
		makeFiles(t, src, 100, "a.txt", "b.txt", "c/d.txt", "c/e.txt")
		dst := "s3://" + bucket + "/p/"
		args := []string{"-r", "--shard-parts-over", "16MiB", "--part-size", "5MiB", src, dst}
		rc := filepath.Join(t.TempDir(), "r.receipt")
		var parts []int
		completed := 0
		for i, r := range runShards(t, srv, []int{0, 1, 2}, 3, append(args, "--receipt", rc)...) {
			if r.code != 0 {
				t.Fatalf("shard %d/3: exit %d\n%s", i, r.code, r.stderr)
			}
			parts = append(parts, partsSent(r.stderr)...)
			completed += strings.Count(r.stderr, "every part was there: completed")
		}
		slices.Sort(parts)
		if !slices.Equal(parts, seq(1, 5)) || completed < 1 {
			t.Fatalf("the shards sent parts %v and %d completed the upload; want each of 1-5 once, completed", parts, completed)
		}
		if got := keys(t, srv, bucket, "p/"); !slices.Equal(got, []string{"p/a.txt", "p/b.txt", "p/big.bin", "p/c/d.txt", "p/c/e.txt"}) {
			t.Fatalf("keys %v", got)
		}
		back := filepath.Join(t.TempDir(), "back")
		r := must(t, srv, "--json", "cp", dst+"big.bin", back)
		if got, _ := os.ReadFile(back); !bytes.Equal(got, data) || doneEvent(t, r.stdout).Verified != "crc32c" {
			t.Fatalf("big.bin: verified %q, want the file's bytes checked against the recorded checksum", doneEvent(t, r.stdout).Verified)
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads after the job", len(ups))
		}
		// The receipts of the three shards state each object once, big.bin by the shard
		// that completed it: haul verify finds them all as stated.
		var receipts []string
		for i := range 3 {
			receipts = append(receipts, filepath.Join(filepath.Dir(rc), fmt.Sprintf("r.shard-%d-of-3.receipt", i)))
		}
		r = wantVerify(t, srv, 0, nil, append(receipts, "--against", src)...)
		if !strings.Contains(r.stderr, "5 objects checked") {
			t.Fatalf("verify of the shards' receipts: %s", r.stderr)
		}
		for i, r := range runShards(t, srv, []int{0, 1, 2}, 3, args...) {
			if r.code != 0 || len(partsSent(r.stderr)) != 0 || !strings.Contains(r.stderr, "holds the file already") {
				t.Fatalf("rerun of shard %d/3: exit %d, sent parts %v; want none\n%s", i, r.code, partsSent(r.stderr), r.stderr)
			}
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads after the rerun", len(ups))
		}
	})
}

// An upload of the key left by an earlier job, holding a part of other bytes: the shards of
// the next job take it (the earliest upload of the key), the shard owning that part finds
// it wrong and sends it again, and the object is the file.
func TestShardPartsOverTakesAStaleUpload(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		src := t.TempDir()
		data := randomFile(t, filepath.Join(src, "big.bin"), 12<<20) // 3 parts
		key := "p/big.bin"
		c := srv.Client(t)
		ctx := context.Background()
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		other := bytes.Repeat([]byte("x"), 5<<20)
		if _, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(other)}); err != nil {
			t.Fatal(err)
		}
		args := []string{"-r", "--shard-parts-over", "8MiB", "--part-size", "5MiB", src, "s3://" + bucket + "/p/"}
		var parts []int
		for i, r := range runShards(t, srv, []int{0, 1}, 2, args...) {
			if r.code != 0 || !strings.Contains(r.stderr, "shared upload "+aws.ToString(up.UploadId)) {
				t.Fatalf("shard %d/2: exit %d; want it to take the upload left before\n%s", i, r.code, r.stderr)
			}
			parts = append(parts, partsSent(r.stderr)...)
		}
		slices.Sort(parts)
		if !slices.Equal(parts, seq(1, 3)) {
			t.Fatalf("parts sent %v; want 1 (held with other bytes), 2 and 3", parts)
		}
		back := filepath.Join(t.TempDir(), "back")
		r := must(t, srv, "--json", "cp", "s3://"+bucket+"/"+key, back)
		if got, _ := os.ReadFile(back); !bytes.Equal(got, data) {
			t.Fatal("the object is not the file")
		}
		t.Logf("%s: the download was verified with %s", srv.Kind, doneEvent(t, r.stdout).Verified)
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads after the job", len(ups))
		}
	})
}

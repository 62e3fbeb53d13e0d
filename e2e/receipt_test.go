package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/internal/s3test"
	"github.com/haul-s3/haul/receipt"
)

// The tests of --receipt and haul verify: what a run records, and what verify finds when
// the store or the disk no longer holds it.

// receiptLines reads a receipt file; a line that is not a receipt line fails the test.
func receiptLines(t *testing.T, path string) []receipt.Line {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ls []receipt.Line
	torn, err := receipt.Read(f, func(l receipt.Line) error { ls = append(ls, l); return nil })
	if err != nil || torn {
		t.Fatalf("receipt %s: torn %v, %v", path, torn, err)
	}
	return ls
}

// ops counts a receipt's lines by op.
func ops(ls []receipt.Line) map[string]int {
	m := map[string]int{}
	for _, l := range ls {
		m[l.Op]++
	}
	return m
}

// wantVerify runs haul verify with args and fails unless it exits code and its stdout
// holds each of want, and no more difference lines than want has.
func wantVerify(t *testing.T, srv *s3test.Server, code int, want []string, args ...string) result {
	t.Helper()
	r := haul(t, srv, nil, append([]string{"verify"}, args...)...)
	if r.code != code {
		t.Fatalf("haul verify %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, code, r.stdout, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("haul verify %v: no %q in\n%s", args, w, r.stdout)
		}
	}
	if n := strings.Count(strings.TrimSpace(r.stdout), "\n") + 1; r.stdout != "" && n != len(want) {
		t.Errorf("haul verify %v: %d difference lines, want %d:\n%s", args, n, len(want), r.stdout)
	}
	return r
}

// An upload's receipt states every object; verify finds them as stated, and then names an
// object changed, one deleted and a local file no line covers.
func TestReceiptUploadVerify(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := filepath.Join(t.TempDir(), "src")
		makeFiles(t, dir, 1000, "a.txt", "b.txt", "sub/c.txt")
		rcpt := filepath.Join(t.TempDir(), "up.receipt")
		dst := "s3://" + bucket + "/p/"
		must(t, srv, "cp", "-r", dir, dst, "--receipt", rcpt)

		ls := receiptLines(t, rcpt)
		if got := ops(ls); got[receipt.Upload] != 3 || len(ls) != 3 {
			t.Fatalf("receipt ops %v, want 3 uploads", got)
		}
		for _, l := range ls {
			rel := strings.TrimPrefix(l.Key, "p/")
			if l.URL != dst+rel || l.Bucket != bucket || l.Size != 1000 || l.ETag == "" || l.Checksum == "" || l.ChecksumAlgorithm == "" ||
				l.Source != filepath.Join(dir, filepath.FromSlash(rel)) || l.SourceMtime.IsZero() || l.Time.IsZero() || l.Shard != "" {
				t.Errorf("upload line %+v", l)
			}
		}
		r := wantVerify(t, srv, 0, nil, rcpt, "--against", dir)
		if !strings.Contains(r.stderr, "3 objects checked") {
			t.Errorf("summary: %s", r.stderr)
		}

		other := filepath.Join(t.TempDir(), "other")
		randomFile(t, other, 1000)
		must(t, srv, "cp", other, dst+"a.txt")
		must(t, srv, "rm", dst+"b.txt")
		randomFile(t, filepath.Join(dir, "sub", "new.txt"), 10)
		wantVerify(t, srv, 1, []string{"changed: " + dst + "a.txt: ", "missing: " + dst + "b.txt", "not covered: " + filepath.Join(dir, "sub", "new.txt")},
			rcpt, "--against", dir)
	})
}

// A download's receipt states the files written; only --deep finds a file rewritten with
// its size and mtime kept, and an object whose bytes no longer match its checksum.
func TestReceiptDeep(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := filepath.Join(t.TempDir(), "src")
		makeFiles(t, dir, 2000, "a.txt", "b.txt")
		up := filepath.Join(t.TempDir(), "up.receipt")
		src := "s3://" + bucket + "/p/"
		must(t, srv, "cp", "-r", dir, src, "--receipt", up)
		out := filepath.Join(t.TempDir(), "out")
		down := filepath.Join(t.TempDir(), "down.receipt")
		must(t, srv, "cp", "-r", src, out, "--receipt", down)

		ls := receiptLines(t, down)
		if got := ops(ls); got[receipt.Download] != 2 || len(ls) != 2 {
			t.Fatalf("receipt ops %v, want 2 downloads", got)
		}
		for _, l := range ls {
			if l.Path != filepath.Join(out, strings.TrimPrefix(l.Key, "p/")) || l.Source != l.URL || l.Mtime.IsZero() || l.Verified == "" || l.Verified == "none" {
				t.Errorf("download line %+v", l)
			}
		}
		wantVerify(t, srv, 0, nil, down, "--deep", "--against", src)

		// a.txt rewritten in place: same size, one byte flipped, mtime put back.
		a := filepath.Join(out, "a.txt")
		fi, err := os.Stat(a)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(a)
		data[100] ^= 0xff
		if err := os.WriteFile(a, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(a, fi.ModTime(), fi.ModTime()); err != nil {
			t.Fatal(err)
		}
		wantVerify(t, srv, 0, nil, down)
		wantVerify(t, srv, 1, []string{"changed: " + a + ": content "}, down, "--deep")

		// The objects as a bad disk would serve them: every GET body has a byte flipped,
		// while HEAD says what it said.
		rotten, _ := srv.CorruptResponses(t, -1)
		wantVerify(t, rotten, 0, nil, up)
		wantVerify(t, rotten, 1, []string{"changed: " + src + "a.txt: content", "changed: " + src + "b.txt: content"}, up, "--deep", "--concurrency", "1")
	})
}

// A sync's receipt states the whole destination: a rerun's receipt has a line for each
// file it found unchanged, one for what it sent and one for what it deleted.
func TestReceiptSync(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := filepath.Join(t.TempDir(), "src")
		makeFiles(t, dir, 100, "a.txt", "b.txt", "c.txt")
		dst := "s3://" + bucket + "/p/"
		state := filepath.Join(t.TempDir(), "state")
		first := filepath.Join(t.TempDir(), "first.receipt")
		must(t, srv, "sync", dir, dst, "--state", state, "--receipt", first)
		if got := ops(receiptLines(t, first)); got[receipt.Upload] != 3 || len(got) != 1 {
			t.Fatalf("first sync: receipt ops %v, want 3 uploads", got)
		}

		randomFile(t, filepath.Join(dir, "a.txt"), 50)
		if err := os.Remove(filepath.Join(dir, "c.txt")); err != nil {
			t.Fatal(err)
		}
		again := filepath.Join(t.TempDir(), "again.receipt")
		must(t, srv, "sync", dir, dst, "--state", state, "--delete", "--max-delete-percent", "100", "--receipt", again)
		ls := receiptLines(t, again)
		byKey := map[string]receipt.Line{}
		for _, l := range ls {
			byKey[l.Key] = l
		}
		if len(ls) != 3 || byKey["p/a.txt"].Op != receipt.Upload || byKey["p/b.txt"].Op != receipt.Unchanged || byKey["p/c.txt"].Op != receipt.Delete {
			t.Fatalf("rerun's receipt: %+v", ls)
		}
		if b := byKey["p/b.txt"]; b.Size != 100 || b.ETag == "" || b.Source != filepath.Join(dir, "b.txt") || b.Reason == "" {
			t.Errorf("unchanged line %+v", b)
		}
		wantVerify(t, srv, 0, nil, again, "--against", dir)
		// Both receipts together: the rerun's lines stand over the first's.
		wantVerify(t, srv, 0, nil, first, again)
		// The first alone is out of date: a.txt changed, c.txt deleted since.
		wantVerify(t, srv, 1, []string{"changed: " + dst + "a.txt", "missing: " + dst + "c.txt"}, first)
	})
}

// Each shard of a job writes its own receipt; together they cover the whole source, and
// one alone does not.
func TestReceiptShards(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := filepath.Join(t.TempDir(), "src")
		rels, of := shardFiles(t, dir, 30, 3)
		dst := "s3://" + bucket + "/p/"
		base := filepath.Join(t.TempDir(), "job.receipt")
		var files []string
		for i := range 3 {
			must(t, srv, "cp", "-r", dir, dst, "--shard", fmt.Sprintf("%d/3", i), "--receipt", base)
			files = append(files, filepath.Join(filepath.Dir(base), fmt.Sprintf("job.shard-%d-of-3.receipt", i)))
			for _, l := range receiptLines(t, files[i]) {
				if l.Shard != fmt.Sprintf("%d/3", i) || of[strings.TrimPrefix(l.Key, "p/")] != i {
					t.Errorf("shard %d's receipt: %+v", i, l)
				}
			}
		}
		if _, err := os.Stat(base); err == nil {
			t.Errorf("%s written: a shard's receipt must have its suffix", base)
		}
		wantVerify(t, srv, 0, nil, append(slices.Clone(files), "--against", dir)...)
		var uncovered []string
		for _, rel := range rels {
			if of[rel] != 0 {
				uncovered = append(uncovered, "not covered: "+filepath.Join(dir, filepath.FromSlash(rel))+"\n")
			}
		}
		wantVerify(t, srv, 1, uncovered, files[0], "--against", dir)
	})
}

// --receipt - writes the lines to stdout only where nothing else goes there.
func TestReceiptStdout(t *testing.T) {
	srv := s3test.Shared(t, s3test.Kinds()[0])
	bucket := srv.NewBucket(t)
	file := filepath.Join(t.TempDir(), "f")
	randomFile(t, file, 10)
	dst := "s3://" + bucket + "/f"
	for _, args := range [][]string{{}, {"--json"}, {"--quiet", "--json"}, {"--quiet", "--dry-run"}} {
		r := haul(t, srv, nil, append([]string{"cp", file, dst, "--receipt", "-"}, args...)...)
		if r.code != 2 {
			t.Errorf("cp --receipt - %v: exit %d, want 2 (usage)\n%s", args, r.code, r.stderr)
		}
	}
	r := must(t, srv, "cp", file, dst, "--receipt", "-", "--quiet")
	rc := filepath.Join(t.TempDir(), "r")
	if err := os.WriteFile(rc, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if ls := receiptLines(t, rc); len(ls) != 1 || ls[0].URL != dst {
		t.Fatalf("stdout: %q", r.stdout)
	}
	wantVerify(t, srv, 0, nil, rc)
}

// In a bucket that keeps versions, each line of an upload (in one request or in parts) and
// of a copy names the version the write made. versitygw keeps versions only with a
// versioning back end, which the test server is not given: there the lines name none, as
// the server gives none.
func TestReceiptVersionID(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		c := srv.Client(t)
		bucket := srv.NewBucket(t)
		versioned := srv.Kind != "versitygw"
		if _, err := c.PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{Bucket: &bucket,
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); versioned && err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "src")
		randomFile(t, filepath.Join(dir, "small"), 10)
		randomFile(t, filepath.Join(dir, "parts"), 6<<20)
		rcpt := filepath.Join(t.TempDir(), "r")
		must(t, srv, "cp", "-r", dir, "s3://"+bucket+"/p/", "--multipart-threshold", "5MiB", "--receipt", rcpt)
		must(t, srv, "cp", "s3://"+bucket+"/p/small", "s3://"+bucket+"/q/small", "--receipt", rcpt)
		ls := receiptLines(t, rcpt)
		if len(ls) != 3 {
			t.Fatalf("%d lines: %+v", len(ls), ls)
		}
		for _, l := range ls {
			head, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &bucket, Key: &l.Key})
			if err != nil {
				t.Fatal(err)
			}
			if (l.VersionID == "") == versioned || l.VersionID != aws.ToString(head.VersionId) {
				t.Errorf("%s line of %s: version_id %q, the object's is %q", l.Op, l.Key, l.VersionID, aws.ToString(head.VersionId))
			}
		}
		wantVerify(t, srv, 0, nil, rcpt, "--against", dir)
	})
}

// A copy's receipt covers its source prefix; a key added there since is not covered.
func TestReceiptCopyAgainstPrefix(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := filepath.Join(t.TempDir(), "src")
		makeFiles(t, dir, 100, "a.txt", "d/b.txt")
		src, dst := "s3://"+bucket+"/p/", "s3://"+bucket+"/q/"
		must(t, srv, "cp", "-r", dir, src)
		rcpt := filepath.Join(t.TempDir(), "copy.receipt")
		must(t, srv, "cp", "-r", src, dst, "--receipt", rcpt)
		if got := ops(receiptLines(t, rcpt)); got[receipt.Copy] != 2 || len(got) != 1 {
			t.Fatalf("receipt ops %v, want 2 copies", got)
		}
		wantVerify(t, srv, 0, nil, rcpt, "--deep", "--against", src)
		must(t, srv, "cp", filepath.Join(dir, "a.txt"), src+"new.txt")
		wantVerify(t, srv, 1, []string{"not covered: " + src + "new.txt"}, rcpt, "--against", src)
	})
}

// verify --deep says which lines it could not compare with the bytes (a foreign multipart
// object downloaded: an ETag that is no MD5, no checksum), rather than counting them as
// checked; a sync's unchanged line of a multipart upload carries haul's checksum, so that
// --deep reads it back.
func TestReceiptDeepNoChecksum(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		uploadPartsWithSDK(t, srv, bucket, "f/foreign.bin", "", randomParts(2, 5<<20, 1000))
		down := filepath.Join(t.TempDir(), "down.receipt")
		must(t, srv, "cp", "s3://"+bucket+"/f/foreign.bin", filepath.Join(t.TempDir(), "foreign.bin"), "--receipt", down)
		switch ls := receiptLines(t, down); {
		case len(ls) != 1 || !strings.Contains(ls[0].ETag, "-"):
			t.Fatalf("setup: want one line with a multipart ETag: %+v", ls)
		case ls[0].Checksum != "":
			// versitygw gives every object a whole-object checksum (CRC64NVME), which the
			// download checked and the line records: --deep compares with it.
			t.Logf("%s: the foreign object has a whole-object checksum (%s): --deep reads it", srv.Kind, ls[0].ChecksumAlgorithm)
			r := wantVerify(t, srv, 0, nil, down, "--deep")
			if !strings.Contains(r.stderr, "1 object checked") || strings.Contains(r.stderr, "read-checked") {
				t.Errorf("verify --deep: %s", r.stderr)
			}
		default:
			r := wantVerify(t, srv, 0, nil, down, "--deep")
			if !strings.Contains(r.stderr, "0 objects checked") || !strings.Contains(r.stderr, "1 not read-checked: no checksum recorded") {
				t.Errorf("verify --deep of a line with no checksum: %s", r.stderr)
			}
		}

		dir := filepath.Join(t.TempDir(), "src")
		randomFile(t, filepath.Join(dir, "big"), 6<<20)
		dst := "s3://" + bucket + "/p/"
		must(t, srv, "sync", dir, dst, "--multipart-threshold", "5MiB")
		again := filepath.Join(t.TempDir(), "again.receipt")
		// No state: the rerun finds the file unchanged by haul-mtime, from a HEAD, and reads nothing.
		must(t, srv, "sync", dir, dst, "--multipart-threshold", "5MiB", "--no-state", "--receipt", again)
		ls := receiptLines(t, again)
		if len(ls) != 1 || ls[0].Op != receipt.Unchanged || ls[0].Checksum == "" || !strings.Contains(ls[0].ETag, "-") {
			t.Fatalf("rerun's receipt: want one unchanged line of a multipart object, with haul's checksum: %+v", ls)
		}
		r := wantVerify(t, srv, 0, nil, again, "--deep")
		if !strings.Contains(r.stderr, "1 object checked") || strings.Contains(r.stderr, "read-checked") {
			t.Errorf("verify --deep of the rerun: %s", r.stderr)
		}
	})
}

// A sync down that finds a file the same by its checksum gives it the object's time; the
// receipt records the file as it is then, and verify finds it so.
func TestReceiptSyncDownSetsTime(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := filepath.Join(t.TempDir(), "src")
		makeFiles(t, dir, 100, "a.txt")
		src := "s3://" + bucket + "/p/"
		must(t, srv, "cp", "-r", dir, src)
		out := filepath.Join(t.TempDir(), "out")
		must(t, srv, "cp", "-r", src, out)
		a := filepath.Join(out, "a.txt")
		old := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
		if err := os.Chtimes(a, old, old); err != nil {
			t.Fatal(err)
		}
		rcpt := filepath.Join(t.TempDir(), "down.receipt")
		must(t, srv, "sync", src, out, "--receipt", rcpt)
		ls := receiptLines(t, rcpt)
		fi, err := os.Stat(a)
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != 1 || ls[0].Op != receipt.Unchanged || ls[0].Path != a || !ls[0].Mtime.Equal(fi.ModTime()) || fi.ModTime().Equal(old) {
			t.Fatalf("receipt %+v; the file's mtime is %s (was %s)", ls, fi.ModTime(), old)
		}
		wantVerify(t, srv, 0, nil, rcpt)
	})
}

// --against s3://bucket/prefix is the prefix as cp -r takes it: with or without its slash,
// it holds p/... and not the sibling p2/....
func TestReceiptAgainstPrefixNoSlash(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := filepath.Join(t.TempDir(), "src")
		makeFiles(t, dir, 100, "a.txt")
		base := "s3://" + bucket + "/p"
		rcpt := filepath.Join(t.TempDir(), "up.receipt")
		must(t, srv, "cp", "-r", dir, base, "--receipt", rcpt)
		must(t, srv, "cp", filepath.Join(dir, "a.txt"), base+"2/x.txt")
		copied := filepath.Join(t.TempDir(), "copy.receipt")
		must(t, srv, "cp", "-r", base, "s3://"+bucket+"/q/", "--receipt", copied)
		wantVerify(t, srv, 0, nil, copied, "--against", base)
		wantVerify(t, srv, 0, nil, copied, "--against", base+"/")
		must(t, srv, "cp", filepath.Join(dir, "a.txt"), base+"/new.txt")
		wantVerify(t, srv, 1, []string{"not covered: " + base + "/new.txt"}, copied, "--against", base)
	})
}

// haul mv a b, then haul mv b c, into one receipt: b is gone as it should be, not missing;
// the file the first upload came from is still covered.
func TestReceiptMoveChain(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := filepath.Join(t.TempDir(), "src")
		makeFiles(t, dir, 100, "a.txt")
		u := "s3://" + bucket + "/"
		rcpt := filepath.Join(t.TempDir(), "mv.receipt")
		must(t, srv, "cp", filepath.Join(dir, "a.txt"), u+"a", "--receipt", rcpt)
		must(t, srv, "mv", u+"a", u+"b", "--receipt", rcpt)
		must(t, srv, "mv", u+"b", u+"c", "--receipt", rcpt)
		if ls := receiptLines(t, rcpt); len(ls) != 3 || !ls[2].Moved || ls[2].Source != u+"b" {
			t.Fatalf("receipt: %+v", ls)
		}
		r := wantVerify(t, srv, 0, nil, rcpt, "--against", dir)
		if !strings.Contains(r.stderr, "1 object checked") {
			t.Errorf("summary: %s", r.stderr)
		}
		must(t, srv, "rm", u+"c")
		wantVerify(t, srv, 1, []string{"missing: " + u + "c"}, rcpt)
	})
}

// A receipt that is a pipe (/dev/stdout of a run whose output is read by another
// program) is written to as it is: no seek, no cut.
func TestReceiptDevStdout(t *testing.T) {
	srv := s3test.Shared(t, s3test.Kinds()[0])
	bucket := srv.NewBucket(t)
	file := filepath.Join(t.TempDir(), "f")
	randomFile(t, file, 10)
	dst := "s3://" + bucket + "/f"
	r := must(t, srv, "cp", file, dst, "--receipt", "/dev/stdout", "--quiet")
	rc := filepath.Join(t.TempDir(), "r")
	if err := os.WriteFile(rc, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if ls := receiptLines(t, rc); len(ls) != 1 || ls[0].URL != dst {
		t.Fatalf("stdout: %q", r.stdout)
	}
}

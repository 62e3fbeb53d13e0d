package e2e

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/haul-s3/haul/internal/s3test"
)

// TestSoakRandomFaults copies a directory of a few hundred files (a few of them multipart)
// up through a proxy that gives each request a random fault with probability
// HAUL_SOAK_RATE (default 0.1: 503 SlowDown, 500 InternalError, a reset in the middle of a
// body, a truncated response), then back down through another such proxy. Nothing may be
// lost: every file reported done is byte for byte the source, every other file is reported
// failed (and then haul exits 1), no stored object or written file differs from its source,
// and no multipart upload or temporary file is left behind. HAUL_SOAK_SEED (default 1)
// seeds the data and the faults; which request gets which fault still depends on the order
// in which concurrent requests arrive.
//
// It runs on one server, MinIO or else versitygw, because one is enough to exercise haul's
// retries and the run is the longest of the suite.
func TestSoakRandomFaults(t *testing.T) {
	kind := longRunServer(t, "soak")
	t.Parallel()
	seed, err := strconv.ParseUint(envOr("HAUL_SOAK_SEED", "1"), 10, 64)
	if err != nil {
		t.Fatalf("HAUL_SOAK_SEED: %v", err)
	}
	rate, err := strconv.ParseFloat(envOr("HAUL_SOAK_RATE", "0.1"), 64)
	if err != nil || rate < 0 || rate > 1 {
		t.Fatalf("HAUL_SOAK_RATE %q: want a probability from 0 to 1", os.Getenv("HAUL_SOAK_RATE"))
	}
	srv := s3test.Shared(t, kind)
	bucket := srv.NewBucket(t)
	start := time.Now()
	src, files := soakTree(t, seed)
	var total int64
	for _, data := range files {
		total += int64(len(data))
	}
	t.Logf("soak on %s: seed %d, fault rate %.2f, %d files, %.1f MiB", kind, seed, rate, len(files), float64(total)/(1<<20))
	// A run may take a while at scale through the faults: 90 s, and 20 ms more per file.
	limit := faultRunLimit + time.Duration(len(files))*20*time.Millisecond

	// Up.
	up, upFaults := srv.Faults(t)
	upFaults.Random(rate, seed, nil)
	began := time.Now()
	r, rss := haulMeasured(t, up, limit, "--json", "cp", "-r", src, "s3://"+bucket+"/soak/", "--part-size", "5MiB", "--multipart-threshold", "5MiB")
	upWall := time.Since(began)
	rep := parseReport(t, r.stdout)
	checkOutcome(t, "upload", r, rep, len(files))
	stored := storedObjects(t, srv, bucket, "soak/")
	verified, verifiedBytes := 0, int64(0)
	for rel, got := range stored {
		if want, known := files[rel]; !known || !bytes.Equal(got, want) {
			t.Fatalf("upload: object %s (%d bytes) is not the source file (known %t, %d bytes)", rel, len(got), known, len(want))
		}
		verified++
		verifiedBytes += int64(len(got))
	}
	for rel := range files {
		if _, done := rep.done[filepath.Join(src, filepath.FromSlash(rel))]; done && stored[rel] == nil {
			t.Fatalf("upload: %s was reported done but there is no object", rel)
		}
	}
	noUploadsLeft(t, srv, bucket)
	t.Logf("upload:   %s; %d retries; %d done, %d failed, exit %d; %d objects (%.1f MiB) verified; %s; peak RSS %.1f MiB",
		upFaults.Stats(), rep.retries, len(rep.done), len(rep.failed), r.code, verified, float64(verifiedBytes)/(1<<20), upWall.Round(time.Millisecond), float64(rss)/(1<<20))

	// Down: whatever was stored.
	down, downFaults := srv.Faults(t)
	downFaults.Random(rate, seed+1, nil)
	out := filepath.Join(t.TempDir(), "back")
	began = time.Now()
	r, rss = haulMeasured(t, down, limit, "--json", "cp", "-r", "s3://"+bucket+"/soak/", out, "--part-size", "5MiB", "--multipart-threshold", "5MiB")
	downWall := time.Since(began)
	rep = parseReport(t, r.stdout)
	checkOutcome(t, "download", r, rep, len(stored))
	verified, verifiedBytes = 0, 0
	for rel, got := range treeFiles(t, out) {
		if strings.Contains(rel, ".haul-") {
			t.Fatalf("download: temporary file %s left behind", rel)
		}
		if want, known := files[rel]; !known || !bytes.Equal(got, want) {
			t.Fatalf("download: %s (%d bytes) is not the source file (known %t, %d bytes)", rel, len(got), known, len(want))
		}
		if _, done := rep.done["s3://"+bucket+"/soak/"+rel]; !done {
			t.Fatalf("download: %s was written but not reported done", rel)
		}
		verified++
		verifiedBytes += int64(len(got))
	}
	if verified != len(rep.done) {
		t.Fatalf("download: %d files reported done, %d written", len(rep.done), verified)
	}
	t.Logf("download: %s; %d retries; %d done, %d failed, exit %d; %d files (%.1f MiB) verified; %s; peak RSS %.1f MiB",
		downFaults.Stats(), rep.retries, len(rep.done), len(rep.failed), r.code, verified, float64(verifiedBytes)/(1<<20), downWall.Round(time.Millisecond), float64(rss)/(1<<20))
	t.Logf("soak wall time %s", time.Since(start).Round(time.Millisecond))
}

// longRunServer is the one server a long test (the soak, the storm) runs on: MinIO, else
// versitygw; one is enough to exercise haul's retries. Without either the test is skipped,
// saying so.
func longRunServer(t *testing.T, what string) string {
	t.Helper()
	for _, k := range []string{"minio", "versitygw"} {
		if slices.Contains(s3test.Kinds(), k) {
			return k
		}
	}
	t.Skipf("the %s test runs on minio or versitygw; HAUL_TEST_SERVERS=%s has neither", what, os.Getenv("HAUL_TEST_SERVERS"))
	return ""
}

// storedObjects reads every object under prefix straight from the server, a few at a time,
// and returns their bytes by key without the prefix.
func storedObjects(t *testing.T, srv *s3test.Server, bucket, prefix string) map[string][]byte {
	t.Helper()
	client := srv.Client(t)
	objects := map[string][]byte{}
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(t.Context())
	g.SetLimit(8)
	for _, key := range keys(t, srv, bucket, prefix) {
		g.Go(func() error {
			out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
			if err != nil {
				return fmt.Errorf("reading back %s: %w", key, err)
			}
			defer out.Body.Close()
			data, err := io.ReadAll(out.Body)
			if err != nil {
				return fmt.Errorf("reading back %s: %w", key, err)
			}
			mu.Lock()
			objects[strings.TrimPrefix(key, prefix)] = data
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	return objects
}

// checkOutcome fails the test unless every one of n items was reported either done or
// failed, and the exit code is 1 exactly when some failed. A run that stopped on an error of
// its own (the listing of a download failed for good) must exit 1 and say so; the items it
// never learnt of are not reported one by one.
func checkOutcome(t *testing.T, what string, r result, rep report, n int) {
	t.Helper()
	for _, line := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(line, "haul: ") {
			t.Logf("%s: the run stopped: %s (%d done, %d failed)", what, line, len(rep.done), len(rep.failed))
			if r.code != 1 {
				t.Fatalf("%s: exit %d after %q, want 1", what, r.code, line)
			}
			return
		}
	}
	if len(rep.done)+len(rep.failed) != n {
		t.Fatalf("%s: %d items, but %d reported done and %d failed: some went unreported\n%s", what, n, len(rep.done), len(rep.failed), r.stderr)
	}
	want := 0
	if len(rep.failed) > 0 {
		want = 1
		for src, ev := range rep.failed {
			t.Logf("%s: failed for good: %s: %s", what, src, ev.Error)
		}
	}
	if r.code != want {
		t.Fatalf("%s: exit %d with %d failed, want %d\n%s", what, r.code, len(rep.failed), want, r.stderr)
	}
}

// soakTree writes the soak's source directory: 300 files in 12 directories, most of them
// up to 64 KiB, some up to 1 MiB, a few empty, and four of 5 to 11 MiB that are sent in
// parts. It returns the directory and the files by slash-separated relative path.
func soakTree(t *testing.T, seed uint64) (string, map[string][]byte) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0x50a6))
	var key [32]byte
	copy(key[:], fmt.Sprint(seed))
	content := rand.NewChaCha8(key)
	dir := filepath.Join(t.TempDir(), "soak")
	files := map[string][]byte{}
	n, err := strconv.Atoi(envOr("HAUL_SOAK_FILES", "300"))
	if err != nil || n < 5 {
		t.Fatalf("HAUL_SOAK_FILES %q: want a number of files, 5 or more", os.Getenv("HAUL_SOAK_FILES"))
	}
	for i := range n {
		var size int
		switch {
		case i < 4:
			size = 5<<20 + rng.IntN(6<<20)
		case i%50 == 0:
			size = 0
		case i%10 == 0:
			size = rng.IntN(1 << 20)
		default:
			size = rng.IntN(64 << 10)
		}
		rel := fmt.Sprintf("d%02d/f%03d.bin", i%(12+n/1000), i)
		data := make([]byte, size)
		_, _ = content.Read(data)
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files[rel] = data
	}
	return dir, files
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

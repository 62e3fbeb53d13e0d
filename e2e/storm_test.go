package e2e

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haul-s3/haul/internal/s3test"
)

// stormFor answers every request 503 SlowDown for d from the first request it sees, as S3
// does while it scales a prefix.
func stormFor(d time.Duration) func(*http.Request) bool {
	var once sync.Once
	var end time.Time
	return func(*http.Request) bool {
		once.Do(func() { end = time.Now().Add(d) })
		return time.Now().Before(end)
	}
}

// TestThrottleStormThenFaultsLosesNothing copies the soak tree (300 files, 4 of them
// multipart) up and back down, each way through a proxy that throttles every request for
// HAUL_STORM_SECONDS (default 3) and then gives one request in ten a random fault (SlowDown,
// InternalError, a reset, a truncated body). The throttling uses up no retry, so every
// file must arrive, byte for byte, with exit 0, no incomplete upload and no temporary file.
// HAUL_STORM_SEEDS (default "1,2") seeds the data and the faults, one run each.
func TestThrottleStormThenFaultsLosesNothing(t *testing.T) {
	kind := longRunServer(t, "storm")
	secs, err := strconv.ParseFloat(envOr("HAUL_STORM_SECONDS", "3"), 64)
	if err != nil || secs < 0 {
		t.Fatalf("HAUL_STORM_SECONDS %q: want a number of seconds", os.Getenv("HAUL_STORM_SECONDS"))
	}
	storm := time.Duration(secs * float64(time.Second))
	for _, s := range strings.Split(envOr("HAUL_STORM_SEEDS", "1,2"), ",") {
		seed, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			t.Fatalf("HAUL_STORM_SEEDS: %v", err)
		}
		t.Run("seed"+s, func(t *testing.T) {
			t.Parallel()
			srv := s3test.Shared(t, kind)
			bucket := srv.NewBucket(t)
			src, files := soakTree(t, seed)
			flags := []string{"--part-size", "5MiB", "--multipart-threshold", "5MiB"}

			up, upFaults := srv.Faults(t)
			upFaults.Add(-1, stormFor(storm), s3test.Fault{Kind: s3test.SlowDown})
			upFaults.Random(0.1, seed, nil)
			began := time.Now()
			r := haulWithin(t, up, faultRunLimit, append([]string{"--json", "cp", "-r", src, "s3://" + bucket + "/s/"}, flags...)...)
			rep := parseReport(t, r.stdout)
			if r.code != 0 || len(rep.done) != len(files) {
				t.Fatalf("upload: exit %d, %d of %d done, failed %v\n%s", r.code, len(rep.done), len(files), rep.failed, r.stderr)
			}
			for rel, got := range storedObjects(t, srv, bucket, "s/") {
				if !bytes.Equal(got, files[rel]) {
					t.Fatalf("upload: object %s is not the file", rel)
				}
			}
			noUploadsLeft(t, srv, bucket)
			t.Logf("upload: %s; %d retries; %s", upFaults.Stats(), rep.retries, time.Since(began).Round(time.Millisecond))

			down, downFaults := srv.Faults(t)
			downFaults.Add(-1, stormFor(storm), s3test.Fault{Kind: s3test.SlowDown})
			downFaults.Random(0.1, seed+1, nil)
			out := filepath.Join(t.TempDir(), "back")
			began = time.Now()
			r = haulWithin(t, down, faultRunLimit, append([]string{"--json", "cp", "-r", "s3://" + bucket + "/s/", out}, flags...)...)
			rep = parseReport(t, r.stdout)
			if r.code != 0 || len(rep.done) != len(files) {
				t.Fatalf("download: exit %d, %d of %d done, failed %v\n%s", r.code, len(rep.done), len(files), rep.failed, r.stderr)
			}
			got := treeFiles(t, out)
			if len(got) != len(files) {
				t.Fatalf("download: %d files written, want %d", len(got), len(files))
			}
			for rel, data := range got {
				if !bytes.Equal(data, files[rel]) {
					t.Fatalf("download: %s is not the source file", rel)
				}
			}
			t.Logf("download: %s; %d retries; %s", downFaults.Stats(), rep.retries, time.Since(began).Round(time.Millisecond))
		})
	}
}

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/haul-s3/haul/internal/s3test"
)

// TestBandwidthLimit moves data under --bwlimit on each server and times it: a 24 MiB
// file up (in parts) and down (in ranges) at 8 MiB/s, and a directory of small files (each
// sent from memory in one PUT) up at 4 MiB/s, and 48 small files at once at 200 KB/s with a
// stall timeout shorter than each waits for its turn. Each run's rate, bytes over wall seconds
// (the whole haul process: start, HEADs and all), must stay under the cap plus 15% (with
// no cap, these take a fraction of a second on loopback) and above a quarter of the cap
// (the bytes moved: they are compared too), with no retry and no stall on the way.
func TestBandwidthLimit(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		const capBig, capSmall = 8 << 20, 4 << 20
		data := randomFile(t, filepath.Join(dir, "big.bin"), 24<<20)
		small := filepath.Join(dir, "small")
		var smallBytes int
		for i := range 48 {
			smallBytes += len(randomFile(t, filepath.Join(small, fmt.Sprintf("f%02d", i)), 100_000))
		}

		capped(t, srv, len(data), capBig, "cp", filepath.Join(dir, "big.bin"), "s3://"+bucket+"/big.bin",
			"--bwlimit", "8MiB/s", "--part-size", "5MiB", "--multipart-threshold", "5MiB")
		out := filepath.Join(dir, "big.out")
		capped(t, srv, len(data), capBig, "cp", "s3://"+bucket+"/big.bin", out,
			"--bwlimit", "8MiB/s", "--part-size", "5MiB", "--multipart-threshold", "5MiB")
		if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
			t.Fatal("the downloaded file differs from the uploaded one")
		}
		capped(t, srv, smallBytes, capSmall, "cp", "-r", small, "s3://"+bucket+"/small/", "--bwlimit", "4MiB/s")
		if n := len(keys(t, srv, bucket, "small/")); n != 48 {
			t.Fatalf("%d small objects stored, want 48", n)
		}

		// 48 requests at once share 200 KB/s in waits of a tenth of a second each: a request
		// waits its turn for up to 4.8 s, longer than the stall timeout, and is not stalled.
		slow := filepath.Join(dir, "slow")
		var slowBytes int
		for i := range 48 {
			slowBytes += len(randomFile(t, filepath.Join(slow, fmt.Sprintf("f%02d", i)), 20_000))
		}
		capped(t, srv, slowBytes, 200_000, "cp", "-r", slow, "s3://"+bucket+"/slow/", "--bwlimit", "200KB/s", "--stall-timeout", "3s", "--concurrency", "48")
	})
}

// TestBandwidthLimitCopyBetweenServers copies 12 MiB from one server to another through
// haul under --bwlimit 8MiB/s: the one cap counts the bytes down from the source and up to
// the destination alike, so the object moves at half the cap (the link carries 8 MiB/s).
func TestBandwidthLimitCopyBetweenServers(t *testing.T) {
	forEachServerPair(t, func(t *testing.T, from, to *s3test.Server) {
		a, b := from.NewBucket(t), to.NewBucket(t)
		src := filepath.Join(t.TempDir(), "big")
		data := randomFile(t, src, 12<<20)
		must(t, from, "-q", "cp", src, "s3://"+a+"/big")
		config := filepath.Join(t.TempDir(), "config")
		err := os.WriteFile(config, []byte("[profile src]\naws_access_key_id = "+from.AccessKey+"\naws_secret_access_key = "+from.SecretKey+
			"\nregion = "+from.Region+"\n"), 0o600)
		if err != nil {
			t.Fatal(err)
		}
		cmd := haulCmd(t, to, "--json", "cp", "s3://"+a+"/big", "s3://"+b+"/big", "--source-endpoint-url", from.Endpoint, "--source-profile", "src",
			"--bwlimit", "8MiB/s", "--part-size", "5MiB", "--multipart-threshold", "5MiB")
		cmd.Env = append(cmd.Env, "AWS_CONFIG_FILE="+config)
		runCapped(t, cmd, from.Kind+" to "+to.Kind+" copy", 2*len(data), 8<<20)
		if got, _ := downloadVerified(t, to, "s3://"+b+"/big"); !bytes.Equal(got, data) {
			t.Fatal("the copy differs from its source")
		}
	})
}

// capped runs haul --json with args, which move n bytes under a cap of limit bytes a
// second, and checks the rate it moved them at and that nothing was retried.
func capped(t *testing.T, srv *s3test.Server, n, limit int, args ...string) {
	t.Helper()
	runCapped(t, haulCmd(t, srv, append([]string{"--json"}, args...)...), srv.Kind+" "+args[0]+" "+args[1], n, limit)
}

// runCapped runs cmd (haul --json) and checks it moved n bytes at a rate, bytes over wall
// seconds, between a quarter of limit and limit plus 15%, with no retry and no failure.
func runCapped(t *testing.T, cmd *exec.Cmd, what string, n, limit int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		t.Fatalf("%s: %v\n%s\n%s", what, err, out.String(), errb.String())
	}
	for _, ev := range jsonLines[map[string]any](t, out.String()) {
		if ev["event"] == "retry" || ev["event"] == "failed" {
			t.Errorf("%s: %v", what, ev)
		}
	}
	rate := float64(n) / wall.Seconds()
	t.Logf("%s: %d bytes in %s: %.2f MiB/s (cap %.2f MiB/s)", what, n, wall.Round(time.Millisecond), rate/(1<<20), float64(limit)/(1<<20))
	if rate > float64(limit)*1.15 || rate < float64(limit)/4 {
		t.Errorf("%s: %.2f MiB/s, want between %.2f and %.2f", what, rate/(1<<20), float64(limit)/4/(1<<20), float64(limit)*1.15/(1<<20))
	}
}

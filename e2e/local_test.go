package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/haul-s3/haul/internal/s3test"
)

// oneServer returns the first server kind's shared server: for tests of haul's own
// behaviour, which does not depend on the server.
func oneServer(t *testing.T) *s3test.Server {
	t.Helper()
	return s3test.Shared(t, s3test.Kinds()[0])
}

func TestNoCredentialsIsOneClearError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	randomFile(t, file, 10)
	cmd := haulCmd(t, nil, "--endpoint-url", "http://127.0.0.1:9", "cp", file, "s3://bucket/k")
	var env []string
	for _, kv := range cmd.Env {
		if !strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID=") && !strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY=") &&
			!strings.HasPrefix(kv, "AWS_SESSION_TOKEN=") && !strings.HasPrefix(kv, "AWS_PROFILE=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
		"AWS_EC2_METADATA_DISABLED=true")
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "no usable AWS credentials") {
		t.Fatalf("exit %d, want 2 saying there are no credentials:\n%s", cmd.ProcessState.ExitCode(), out)
	}
	checkOneLine(t, string(out))
}

func TestFileNeedingTooManyPartsIsRefused(t *testing.T) {
	srv := oneServer(t)
	bucket := srv.NewBucket(t)
	f := filepath.Join(t.TempDir(), "sparse")
	w, err := os.Create(f)
	if err != nil {
		t.Fatal(err)
	}
	// 10,000 parts of 5 MiB and one byte more; sparse, so it costs no disk.
	if err := w.Truncate(10000*5<<20 + 1); err != nil {
		t.Fatal(err)
	}
	w.Close()
	rec, log := srv.Record(t)
	r := haul(t, rec, nil, "cp", f, "s3://"+bucket+"/sparse", "--part-size", "5MiB")
	if r.code != 1 || !strings.Contains(r.stderr, "needs 10001 parts") || !strings.Contains(r.stderr, "larger --part-size") {
		t.Fatalf("exit %d, want 1 saying to use a larger part size:\n%s", r.code, r.stderr)
	}
	if n := len(log.Requests(func(q s3test.Request) bool { return q.Method == "POST" || q.Method == "PUT" })); n != 0 {
		t.Fatalf("%d upload requests sent for a file that cannot be uploaded", n)
	}
}

// TestUnreadableFileFailsAndOthersGoOn runs haul as an unprivileged user when the test runs
// as root (root reads any file), so that a mode-000 file is really unreadable.
func TestUnreadableFileFailsAndOthersGoOn(t *testing.T) {
	srv := oneServer(t)
	bucket := srv.NewBucket(t)
	dir := t.TempDir()
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	randomFile(t, filepath.Join(dir, "ok.txt"), 100)
	secret := filepath.Join(dir, "secret.txt")
	randomFile(t, secret, 100)
	if err := os.Chmod(secret, 0); err != nil {
		t.Fatal(err)
	}
	cmd := haulCmd(t, srv, "cp", "-r", dir, "s3://"+bucket+"/")
	if os.Geteuid() == 0 {
		bin := filepath.Join(t.TempDir(), "haul")
		copyFile(t, haulBin, bin, 0o755)
		for _, d := range []string{filepath.Dir(bin), filepath.Dir(filepath.Dir(bin))} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		cmd.Path, cmd.Args[0] = bin, bin
		runAsNobody(cmd)
		cmd.Env = append(cmd.Env, "HOME="+t.TempDir())
	}
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "secret.txt") || !strings.Contains(string(out), "permission denied") ||
		!strings.Contains(string(out), "1 done, 1 failed") {
		t.Fatalf("exit %d, want 1 with secret.txt failed (permission denied) and ok.txt done:\n%s", cmd.ProcessState.ExitCode(), out)
	}
	if ks := keys(t, srv, bucket, ""); len(ks) != 1 || ks[0] != "ok.txt" {
		t.Fatalf("keys %v, want just ok.txt", ks)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// TestFullDiskDuringDownload limits the file size haul may write (RLIMIT_FSIZE, which
// fails writes as a full disk does, without needing root to mount a small filesystem):
// the download fails saying so, and leaves no temporary file.
func TestFullDiskDuringDownload(t *testing.T) {
	srv := oneServer(t)
	bucket := srv.NewBucket(t)
	src := filepath.Join(t.TempDir(), "big")
	randomFile(t, src, 24<<20)
	must(t, srv, "-q", "cp", src, "s3://"+bucket+"/big")
	for _, threshold := range []string{"64MiB", "5MiB"} { // one GET; ranged GETs
		dir := t.TempDir()
		cmd := haulCmd(t, srv, "cp", "s3://"+bucket+"/big", filepath.Join(dir, "big"), "--multipart-threshold", threshold, "--part-size", "5MiB")
		cmd.Args = append([]string{"/bin/sh", "-c", `ulimit -f 4096 && exec "$0" "$@"`}, cmd.Args...)
		cmd.Path = "/bin/sh"
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "no room") {
			t.Fatalf("threshold %s: exit %d, want 1 saying there is no room:\n%s", threshold, cmd.ProcessState.ExitCode(), out)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("threshold %s: a failed download left %s", threshold, entries[0].Name())
		}
	}
}

// TestObjectChangedDuringRangedDownload overwrites an object while haul fetches it in
// ranges: every GET is pinned to the first ETag, so haul must fail that file rather than
// stitch two versions together.
func TestObjectChangedDuringRangedDownload(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		src := filepath.Join(t.TempDir(), "big")
		randomFile(t, src, 30<<20)
		must(t, srv, "-q", "cp", src, "s3://"+bucket+"/big")
		dir := t.TempDir()
		slow := srv.Delay(t, 300*time.Millisecond, s3test.IsRangedGet)
		cmd := haulCmd(t, slow, "--debug", "cp", "s3://"+bucket+"/big", filepath.Join(dir, "big"), "--part-size", "5MiB", "--multipart-threshold", "5MiB", "--concurrency", "1")
		key := "big"
		code, stderr := runUntil(t, cmd, "GetObject", func() {
			_, err := srv.Client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader("a new version")})
			if err != nil {
				t.Error(err)
			}
		})
		if code != 1 || !strings.Contains(stderr, "changed while it was being read") {
			t.Fatalf("exit %d, want 1 saying the object changed:\n%s", code, stderr)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("a download of a changed object left %s", entries[0].Name())
		}
	})
}

package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/haul-s3/haul/internal/s3test"
)

// closedPort is a loopback URL where nothing listens: port 1 (tcpmux), which no test
// server takes, unlike a free port given back, which a parallel test may take at once.
const closedPort = "http://127.0.0.1:1"

func smallTree(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		randomFile(t, filepath.Join(dir, fmt.Sprintf("f%02d.log", i)), 100)
	}
	return dir
}

// haulLines counts the lines of stderr that start with prefix.
func haulLines(stderr, prefix string) int {
	n := 0
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// A wrong endpoint fails every request: haul stops after the first item's retries with one
// message that names the endpoint and where it came from, and exits 2 (nothing was done).
func TestUnreachableEndpointStopsWithOneMessage(t *testing.T) {
	srv := s3test.Shared(t, "versitygw")
	bad := closedPort
	dir := smallTree(t, 40)
	for _, c := range []struct {
		name, from string
		args       []string
		env        []string
	}{
		{"environment", "AWS_ENDPOINT_URL", nil, []string{"AWS_ENDPOINT_URL=" + bad, "AWS_ENDPOINT_URL_S3="}},
		{"flag", "--endpoint-url", []string{"--endpoint-url", bad}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := haulCmd(t, srv, append(c.args, "cp", "-r", dir, "s3://no-matter/x/")...)
			cmd.Env = append(cmd.Env, c.env...)
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("exit %v, want 2; stderr:\n%s", err, errb.String())
			}
			stderr := errb.String()
			if haulLines(stderr, "haul: ") != 1 || haulLines(stderr, "failed: ") != 0 ||
				!strings.Contains(stderr, bad+" (from "+c.from+")") || !strings.Contains(stderr, "connection refused") {
				t.Fatalf("want one message naming %s (from %s) and no per-file failures; stderr:\n%s", bad, c.from, stderr)
			}
			if !strings.Contains(stderr, "0 done") || !strings.Contains(stderr, "not done (stopped)") {
				t.Fatalf("summary does not say the run stopped with nothing done:\n%s", stderr)
			}
		})
	}
}

// A typo'd bucket is named as a missing bucket, once, in both directions.
func TestMissingBucketIsNamedOnceBothWays(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		missing := "haul-no-such-bucket-" + strings.ToLower(srv.Kind)
		dir := smallTree(t, 30)
		for _, args := range [][]string{
			{"cp", "-r", dir, "s3://" + missing + "/p/"},
			{"cp", "s3://" + missing + "/p/f00.log", filepath.Join(t.TempDir(), "f")},
			{"cp", "-r", "s3://" + missing + "/p/", filepath.Join(t.TempDir(), "d")},
		} {
			r := haul(t, srv, nil, args...)
			if r.code != 2 || haulLines(r.stderr, "haul: ") != 1 || haulLines(r.stderr, "failed: ") != 0 ||
				!strings.Contains(r.stderr, `bucket "`+missing+`" does not exist`) || strings.Contains(r.stderr, "NoSuchKey") {
				t.Fatalf("haul %s: exit %d, want 2 and one message naming the missing bucket; stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
			}
		}
	})
}

func TestEmptyPrefixDownloadSaysSo(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dst := filepath.Join(t.TempDir(), "d")
		r := must(t, srv, "cp", "-r", "s3://"+bucket+"/no-such-prefix/", dst)
		if !strings.Contains(r.stderr, "note: no objects under s3://"+bucket+"/no-such-prefix/") {
			t.Fatalf("no note about the empty prefix; stderr:\n%s", r.stderr)
		}
		if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("an empty download left the directory it created (%v)", err)
		}
		r = haul(t, srv, nil, "-q", "cp", "-r", "s3://"+bucket+"/no-such-prefix/", dst, "--fail-if-empty")
		if r.code != 1 || !strings.Contains(r.stderr, "no objects under") {
			t.Fatalf("--fail-if-empty: exit %d, want 1 with the note; stderr:\n%s", r.code, r.stderr)
		}
	})
}

// Ctrl-C mid-run: every line says interrupted (never Go's "context canceled"), and items
// that were started are counted not done, not failed, in text and in --json.
func TestInterruptCountsNotDone(t *testing.T) {
	srv := s3test.Shared(t, "versitygw")
	bucket := srv.NewBucket(t)
	dir := smallTree(t, 60)
	slow := srv.Delay(t, 200*time.Millisecond, s3test.IsPutObject)
	for _, jsonOut := range []bool{false, true} {
		args := []string{"cp", "-r", dir, "s3://" + bucket + "/i/", "--concurrency", "4"}
		if jsonOut {
			args = append([]string{"--json"}, args...)
		}
		cmd := haulCmd(t, slow, args...)
		var out strings.Builder
		cmd.Stdout = &out
		code, stderr := runUntilEach(t, cmd, func(string) {}, func() {
			time.Sleep(600 * time.Millisecond) // 60 files, 4 at a time, 200 ms each: mid-run
			_ = cmd.Process.Signal(syscall.SIGINT)
		})
		if code != 130 {
			t.Fatalf("exit %d, want 130; stderr:\n%s", code, stderr)
		}
		all := stderr + out.String()
		if strings.Contains(all, "context canceled") || strings.Contains(all, "failed:") {
			t.Fatalf("interrupted run speaks Go or counts failures:\n%s", all)
		}
		if !jsonOut {
			if !strings.Contains(stderr, "0 failed") || !strings.Contains(stderr, "not done (interrupted)") {
				t.Fatalf("summary does not count not done:\n%s", stderr)
			}
			continue
		}
		type line struct {
			Event   string `json:"event"`
			Error   string `json:"error"`
			Failed  *int   `json:"failed"`
			NotDone *int   `json:"not_done"`
		}
		var last line
		notDone := 0
		for _, l := range jsonLines[line](t, out.String()) {
			last = l
			if l.Event == "not_done" {
				notDone++
			}
		}
		if last.Event != "summary" || last.Error != "interrupted" || last.Failed == nil || *last.Failed != 0 ||
			last.NotDone == nil || *last.NotDone == 0 || *last.NotDone != notDone {
			t.Fatalf("summary %+v after %d not_done events; stdout:\n%s", last, notDone, out.String())
		}
	}
}

// haul ls | head: the reader goes away; haul ends quietly with 141, as ls would, and a copy
// whose output is cut off cleans up its multipart uploads first.
func TestClosedPipeEndsQuietly(t *testing.T) {
	srv := s3test.Shared(t, "versitygw")
	bucket := srv.NewBucket(t)
	dir := smallTree(t, 50)
	randomFile(t, filepath.Join(dir, "zz-big"), 40<<20)
	must(t, srv, "-q", "cp", filepath.Join(dir, "zz-big"), "s3://"+bucket+"/big")
	slow := srv.Delay(t, 300*time.Millisecond, s3test.IsUploadPart)
	for _, args := range [][]string{
		{"cp", "s3://" + bucket + "/big", "-"},
		{"cp", "-r", dir, "s3://" + bucket + "/q/", "--part-size", "5MiB", "--multipart-threshold", "5MiB"},
	} {
		cmd := haulCmd(t, slow, args...)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var errb strings.Builder
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := stdout.Read(make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		stdout.Close() // head -n 1 has what it wanted
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 141 {
			t.Fatalf("haul %s: %v, want exit 141 (not death by SIGPIPE, not success)", strings.Join(args, " "), err)
		}
		if errb.Len() != 0 {
			t.Fatalf("haul %s printed on stderr after its reader left:\n%s", strings.Join(args, " "), errb.String())
		}
	}
	if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
		t.Fatalf("%d incomplete multipart uploads left by a copy whose output pipe closed", len(ups))
	}
}

// Every command retries under the one policy: uploads ls and abort, and lifecycle, which
// did not before, ride out a 503 on each of their requests.
func TestEveryCommandRetries(t *testing.T) {
	srv := s3test.Shared(t, "minio")
	bucket := srv.NewBucket(t)
	key := "u/k"
	if _, err := srv.Client(t).CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key}); err != nil {
		t.Fatal(err)
	}
	view, faults := srv.Faults(t)
	faults.Add(1, func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Query().Has("uploads") }, s3test.Fault{Kind: s3test.SlowDown}).
		Add(1, func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Query().Has("uploadId") }, s3test.Fault{Kind: s3test.SlowDown}).
		Add(1, s3test.IsAbortUpload, s3test.Fault{Kind: s3test.SlowDown}).
		Add(1, func(r *http.Request) bool { return r.URL.Query().Has("lifecycle") }, s3test.Fault{Kind: s3test.SlowDown})
	must(t, view, "uploads", "ls", "s3://"+bucket+"/")
	must(t, view, "uploads", "abort", "s3://"+bucket+"/")
	// MinIO keeps lifecycle rules (but refuses AbortIncompleteMultipartUpload): show works.
	must(t, view, "lifecycle", "show", "s3://"+bucket)
	if n := faults.Stats().Total(); n != 4 {
		t.Fatalf("%d faults injected, want 4: %s", n, faults.Stats())
	}
	if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
		t.Fatalf("%d uploads left after abort", len(ups))
	}
}

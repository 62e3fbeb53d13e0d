package e2e

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/haul-s3/haul/internal/s3test"
)

// runUntil starts cmd, waits until a line of its stderr contains marker, calls act once,
// and returns the exit code and the whole stderr.
func runUntil(t *testing.T, cmd *exec.Cmd, marker string, act func()) (int, string) {
	t.Helper()
	acted := false
	code, stderr := runUntilEach(t, cmd, func(line string) {
		if !acted && strings.Contains(line, marker) {
			act()
			acted = true
		}
	})
	if !acted {
		t.Fatalf("never saw %q; stderr:\n%s", marker, stderr)
	}
	return code, stderr
}

// runUntilEach starts cmd, calls each for every line of its stderr as it arrives, and
// returns the exit code and the whole stderr. Each of started, if any, runs in a goroutine
// of its own once the command has started.
func runUntilEach(t *testing.T, cmd *exec.Cmd, each func(line string), started ...func()) (int, string) {
	t.Helper()
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, f := range started {
		go f()
	}
	var all strings.Builder
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		all.WriteString(sc.Text() + "\n")
		each(sc.Text())
	}
	err = cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	return code, all.String()
}

func TestCancelMidUploadLeavesNoMultipartUpload(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		f := filepath.Join(t.TempDir(), "big")
		randomFile(t, f, 60<<20)
		// Each of the 12 parts is held 1s, two at a time, so the run takes 6s or more and
		// the signal lands mid-way even on a loaded machine.
		slow := srv.Delay(t, time.Second, s3test.IsUploadPart)
		cmd := haulCmd(t, slow, "--debug", "cp", f, "s3://"+bucket+"/big", "--part-size", "5MiB", "--concurrency", "2")
		code, stderr := runUntil(t, cmd, "UploadPart", func() { _ = cmd.Process.Signal(syscall.SIGINT) })
		if code != 130 {
			t.Fatalf("exit %d, want 130; stderr:\n%s", code, stderr)
		}
		if !strings.Contains(stderr, "AbortMultipartUpload") || !strings.Contains(stderr, "interrupted") {
			t.Fatalf("no abort or interruption message in stderr:\n%s", stderr)
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete multipart uploads left after Ctrl-C", len(ups))
		}
		if ks := keys(t, srv, bucket, ""); len(ks) != 0 {
			t.Fatalf("a cancelled upload left objects: %v", ks)
		}
	})
}

func TestCancelMidDownloadLeavesNoPartialFile(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		f := filepath.Join(t.TempDir(), "big")
		randomFile(t, f, 60<<20)
		must(t, srv, "-q", "cp", f, "s3://"+bucket+"/big")
		dir := t.TempDir()
		// As for the upload: 12 ranges held 1s each, two at a time, 6s or more.
		slow := srv.Delay(t, time.Second, s3test.IsRangedGet)
		cmd := haulCmd(t, slow, "--debug", "cp", "s3://"+bucket+"/big", filepath.Join(dir, "big"), "--part-size", "5MiB", "--concurrency", "2")
		code, stderr := runUntil(t, cmd, "GetObject", func() { _ = cmd.Process.Signal(syscall.SIGTERM) })
		if code != 130 {
			t.Fatalf("exit %d, want 130; stderr:\n%s", code, stderr)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("a cancelled download left %d files, first %s", len(entries), entries[0].Name())
		}
	})
}

func TestFileThatGrowsDuringUploadFailsCleanly(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		f := filepath.Join(t.TempDir(), "growing.log")
		randomFile(t, f, 30<<20) // 6 parts: the file grows after the first, 5 are still to go
		slow := srv.Delay(t, 300*time.Millisecond, s3test.IsUploadPart)
		cmd := haulCmd(t, slow, "--debug", "cp", f, "s3://"+bucket+"/growing.log", "--part-size", "5MiB", "--concurrency", "1")
		code, stderr := runUntil(t, cmd, "UploadPart", func() {
			w, err := os.OpenFile(f, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = w.WriteString("one more line\n")
			w.Close()
		})
		if code != 1 || !strings.Contains(stderr, "changed while it was being uploaded") {
			t.Fatalf("exit %d, want 1 with a 'changed' message; stderr:\n%s", code, stderr)
		}
		if ks := keys(t, srv, bucket, ""); len(ks) != 0 {
			t.Fatalf("a file that changed became an object: %v", ks)
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads left", len(ups))
		}
	})
}

func TestSecondInterruptExitsAtOnce(t *testing.T) {
	srv := s3test.Shared(t, s3test.Kinds()[0])
	bucket := srv.NewBucket(t)
	f := filepath.Join(t.TempDir(), "big")
	randomFile(t, f, 60<<20)
	// Parts are slow and the abort that follows the first Ctrl-C hangs for 20s: only the
	// second Ctrl-C can end the run quickly.
	slow := srv.Delay(t, 300*time.Millisecond, s3test.IsUploadPart).Delay(t, 20*time.Second, s3test.IsAbortUpload)
	cmd := haulCmd(t, slow, "--debug", "cp", f, "s3://"+bucket+"/big", "--part-size", "5MiB", "--concurrency", "1")
	var second time.Time
	signals := 0
	code, stderr := runUntilEach(t, cmd, func(line string) {
		switch {
		case signals == 0 && strings.Contains(line, "UploadPart"):
			_ = cmd.Process.Signal(syscall.SIGINT)
			signals++
		case signals == 1 && strings.Contains(line, "interrupted: stopping"):
			second = time.Now()
			_ = cmd.Process.Signal(syscall.SIGINT)
			signals++
		}
	})
	if signals != 2 || code != 130 {
		t.Fatalf("signals sent %d, exit %d (want 2 and 130); stderr:\n%s", signals, code, stderr)
	}
	if d := time.Since(second); d > 5*time.Second {
		t.Fatalf("exit took %s after the second Ctrl-C", d)
	}
	if !strings.Contains(stderr, "interrupted again") {
		t.Fatalf("no message for the second Ctrl-C:\n%s", stderr)
	}
}

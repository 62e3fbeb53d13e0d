package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/haul-s3/haul/internal/s3test"
)

// syncTree writes n files of size bytes, and one of big bytes when big > 0, with mtimes an
// hour old (so that the state file trusts what it records at once), and returns the dir.
func syncTree(t *testing.T, n, size, big int) string {
	t.Helper()
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("d%d/f%03d", i%4, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		randomFile(t, p, size)
		_ = os.Chtimes(p, old, old)
	}
	if big > 0 {
		p := filepath.Join(dir, "big.bin")
		randomFile(t, p, big)
		_ = os.Chtimes(p, old, old)
	}
	return dir
}

// syncSummary is what a --json sync summary says.
type syncSummary struct {
	Event     string         `json:"event"`
	Uploaded  *int           `json:"uploaded"`
	Deleted   *int           `json:"deleted"`
	Unchanged *int           `json:"unchanged"`
	Failed    *int           `json:"failed"`
	Calls     map[string]int `json:"calls"`
	Error     string         `json:"error"`
}

// lastSummary returns the summary event of a --json run.
func lastSummary(t *testing.T, stdout string) syncSummary {
	t.Helper()
	evs := jsonLines[syncSummary](t, stdout)
	if len(evs) == 0 || evs[len(evs)-1].Event != "summary" {
		t.Fatalf("no summary event last in:\n%s", stdout)
	}
	return evs[len(evs)-1]
}

// stateRun runs haul with its state in state and returns its stdout; it must exit 0.
func stateRun(t *testing.T, srv *s3test.Server, state string, args ...string) string {
	t.Helper()
	cmd := resumeEnv(haulCmd(t, srv, args...), state)
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("haul %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return string(out)
}

func puts(c map[string]int) int { return c["PutObject"] + c["CreateMultipartUpload"] }

// SYNC.md case 20: Ctrl-C half way leaves no incomplete upload; the next run sends only the
// rest, and the one after it nothing.
func TestSyncInterruptedConverges(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		const files = 60
		dir, state := syncTree(t, files, 64<<10, 12<<20), t.TempDir()
		dst := "s3://" + bucket + "/p"
		slow := srv.Delay(t, 100*time.Millisecond, func(r *http.Request) bool {
			return s3test.IsPutObject(r) || s3test.IsUploadPart(r)
		})
		cmd := resumeEnv(haulCmd(t, slow, "--debug", "sync", dir, dst, "--concurrency", "2", "--part-size", "5MiB", "--multipart-threshold", "5MiB"), state)
		seen := 0
		code, stderr := runUntilEach(t, cmd, func(line string) {
			if strings.Contains(line, "debug: PutObject") {
				if seen++; seen == files/2 {
					_ = cmd.Process.Signal(syscall.SIGINT)
				}
			}
		})
		if code != 130 {
			t.Fatalf("exit %d, want 130 after SIGINT; stderr:\n%s", code, stderr)
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete multipart uploads left after Ctrl-C", len(ups))
		}
		have := len(keys(t, srv, bucket, "p/"))
		if have == 0 || have >= files+1 {
			t.Fatalf("%d of %d objects after the interrupted run: the interrupt did not land half way", have, files+1)
		}
		// A PUT in flight at the interrupt may still land at the server (here the delaying
		// proxy forwards it after haul is gone), so the rerun may find more than we counted.
		out := stateRun(t, srv, state, "--json", "sync", dir, dst, "--part-size", "5MiB", "--multipart-threshold", "5MiB")
		sum := lastSummary(t, out)
		if sum.Unchanged == nil || *sum.Unchanged < have || puts(sum.Calls) != files+1-*sum.Unchanged {
			t.Fatalf("rerun: %d PUTs and %v unchanged, want the %d objects found unchanged and a PUT for each of the rest\n%s", puts(sum.Calls), sum.Unchanged, have, out)
		}
		out = stateRun(t, srv, state, "--json", "sync", dir, dst)
		if c := lastSummary(t, out).Calls; puts(c) != 0 || c["HeadObject"] != 0 {
			t.Fatalf("third run sent PUTs or HEADs: %v", c)
		}
		if ks := keys(t, srv, bucket, "p/"); len(ks) != files+1 {
			t.Fatalf("%d objects in the end, want %d", len(ks), files+1)
		}
	})
}

// SYNC.md case 21: kill -9 half way, then the same command: it converges, and the PUTs of
// both runs are no more than the files plus the requests that were in flight.
func TestSyncKilledConverges(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		const files, conc = 60, 2
		dir, state := syncTree(t, files, 64<<10, 0), t.TempDir()
		dst := "s3://" + bucket + "/p"
		slow := srv.Delay(t, 100*time.Millisecond, s3test.IsPutObject)
		stderr := killAfter(t, resumeEnv(haulCmd(t, slow, "--debug", "sync", dir, dst, "--concurrency", fmt.Sprint(conc)), state), "debug: PutObject", files/2)
		first := strings.Count(stderr, "debug: PutObject")
		second := puts(lastSummary(t, stateRun(t, srv, state, "--json", "sync", dir, dst)).Calls)
		if first+second > files+conc {
			t.Fatalf("%d PUTs before the kill and %d after, more than %d files + %d in flight", first, second, files, conc)
		}
		if ks := keys(t, srv, bucket, "p/"); len(ks) != files {
			t.Fatalf("%d objects after the rerun, want %d", len(ks), files)
		}
		down := t.TempDir()
		must(t, srv, "sync", dst, down)
		sameTree(t, dir, down)
	})
}

// sync --resume, killed (kill -9) while a big file's parts go up: the same command again
// continues that multipart upload (sends fewer parts than it has) and converges.
func TestSyncResumeContinuesAKilledUpload(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir, state := syncTree(t, 3, 1<<10, 60<<20), t.TempDir()
		const parts = 12 // 60 MiB in 5 MiB parts
		dst := "s3://" + bucket + "/p"
		args := []string{"sync", "--resume", dir, dst, "--part-size", "5MiB", "--multipart-threshold", "5MiB", "--concurrency", "2"}
		slow := srv.Delay(t, 150*time.Millisecond, s3test.IsUploadPart)
		killAfter(t, resumeEnv(haulCmd(t, slow, append([]string{"--debug"}, args...)...), state), "debug: UploadPart", 6)
		out := stateRun(t, srv, state, append([]string{"--json"}, args...)...)
		c := lastSummary(t, out).Calls
		if c["UploadPart"] == 0 || c["UploadPart"] > parts-4 || c["CreateMultipartUpload"] != 0 {
			t.Fatalf("the resumed run sent %d parts and %d CreateMultipartUpload; want the rest of the %d parts of the upload it continued\n%s",
				c["UploadPart"], c["CreateMultipartUpload"], parts, out)
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads after the resumed run", len(ups))
		}
		down := t.TempDir()
		stateRun(t, srv, state, "sync", dst, down)
		sameTree(t, dir, down)
	})
}

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/haul-s3/haul/internal/s3test"
)

// journalRecords reads the JSON records of a journal file (after the header).
func journalRecords(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 0; sc.Scan(); n++ {
		var m map[string]any
		if n > 0 && json.Unmarshal(sc.Bytes(), &m) == nil {
			recs = append(recs, m)
		}
	}
	return recs
}

// killAfter starts cmd and sends it SIGKILL once n lines of its stderr contain marker.
func killAfter(t *testing.T, cmd *exec.Cmd, marker string, n int) string {
	t.Helper()
	seen := 0
	code, stderr := runUntilEach(t, cmd, func(line string) {
		if strings.Contains(line, marker) {
			if seen++; seen == n {
				_ = cmd.Process.Signal(syscall.SIGKILL)
			}
		}
	})
	if seen < n || code != -1 {
		t.Fatalf("wanted to kill after %d %q lines, saw %d, exit %d:\n%s", n, marker, seen, code, stderr)
	}
	return stderr
}

func resumeEnv(cmd *exec.Cmd, state string) *exec.Cmd {
	cmd.Env = append(cmd.Env, "XDG_STATE_HOME="+state)
	return cmd
}

func TestKillDashNineThenResumeUpload(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir, state := t.TempDir(), t.TempDir()
		f := filepath.Join(dir, "dump.bin")
		// 100 MiB in 5 MiB parts: killed after 12, the resumed run has the other 8 to send.
		data := randomFile(t, f, 100<<20)
		const parts = 20
		slow := srv.Delay(t, 150*time.Millisecond, s3test.IsUploadPart)
		args := []string{"--debug", "cp", "--resume", f, "s3://" + bucket + "/dump.bin", "--part-size", "5MiB", "--concurrency", "2"}
		killAfter(t, resumeEnv(haulCmd(t, slow, args...), state), "UploadPart", 12)

		journals, _ := filepath.Glob(filepath.Join(state, "haul", "journals", "*.journal"))
		if len(journals) != 1 {
			t.Fatalf("want one journal in the state directory, found %v", journals)
		}
		recorded := map[int]bool{}
		for _, r := range journalRecords(t, journals[0]) {
			if r["op"] == "part" {
				recorded[int(r["part"].(float64))] = true
			}
		}
		if len(recorded) < 10 {
			t.Fatalf("only %d parts in the journal after 12 were acknowledged", len(recorded))
		}

		// The same command again, through a recording proxy.
		rec, log := srv.Record(t)
		start := time.Now()
		r := resumeEnv(haulCmd(t, rec, args[1:]...), state)
		out, err := r.CombinedOutput()
		if err != nil {
			t.Fatalf("resume: %v\n%s", err, out)
		}
		took := time.Since(start)
		// A request of the killed run can still land on the server after the resumed run sent
		// the same part; haul checks the parts before completing and sends such a part again,
		// saying so. Those are allowed on top of the missing parts.
		resent := strings.Count(string(out), "sending it again")
		sent := log.Requests(s3test.UploadParts)
		var bytesSent int64
		for _, q := range sent {
			n, _ := strconv.Atoi(q.Query.Get("partNumber"))
			if recorded[n] {
				t.Errorf("part %d was in the journal but was sent again", n)
			}
			bytesSent += q.Bytes
		}
		if len(sent) != parts-len(recorded)+resent || resent > 2 {
			t.Errorf("resumed run sent %d parts, want the %d missing plus %d announced re-sends (at most 2)", len(sent), parts-len(recorded), resent)
		}
		t.Logf("%s: resumed run sent %d of %d parts (%d MiB of 100, %d re-sent after the check) in %s", srv.Kind, len(sent), parts, bytesSent>>20, resent, took.Round(time.Millisecond))

		back := filepath.Join(t.TempDir(), "back")
		must(t, srv, "-q", "cp", "s3://"+bucket+"/dump.bin", back)
		if got, _ := os.ReadFile(back); !bytes.Equal(got, data) {
			t.Fatal("the resumed object differs from the file")
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads remain", len(ups))
		}
		if _, err := os.Stat(journals[0]); !os.IsNotExist(err) {
			t.Fatal("the journal of a finished run was kept")
		}
	})
}

func TestKillDashNineThenResumeDirectory(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		src := filepath.Join(t.TempDir(), "logs")
		const files = 120
		for i := range files {
			randomFile(t, filepath.Join(src, fmt.Sprintf("d%d", i%7), fmt.Sprintf("f%03d.log", i)), 64<<10)
		}
		jpath := filepath.Join(t.TempDir(), "dir.journal")
		slow := srv.Delay(t, 40*time.Millisecond, func(r *http.Request) bool { return r.Method == http.MethodPut })
		args := []string{"cp", "-r", "--resume", "--journal", jpath, src, "s3://" + bucket + "/logs/", "--concurrency", "4"}
		killAfter(t, haulCmd(t, slow, append([]string{"--debug"}, args...)...), "PutObject", files/2)

		done := map[string]bool{}
		for _, r := range journalRecords(t, jpath) {
			if r["op"] == "done" {
				done[r["key"].(string)] = true
			}
		}
		if len(done) < files/3 {
			t.Fatalf("only %d files recorded done after %d were acknowledged", len(done), files/2)
		}
		rec, log := srv.Record(t)
		r := haulCmd(t, rec, append([]string{"resume", jpath}, []string{}...)...)
		out, err := r.CombinedOutput()
		if err != nil {
			t.Fatalf("haul resume: %v\n%s", err, out)
		}
		puts := log.Requests(func(q s3test.Request) bool { return q.Method == http.MethodPut && q.Status/100 == 2 })
		for _, q := range puts {
			if key := strings.TrimPrefix(q.Path, "/"+bucket+"/"); done[key] {
				t.Errorf("%s was recorded done but sent again", key)
			}
		}
		if len(puts) != files-len(done) {
			t.Errorf("resume sent %d files, want the %d not done", len(puts), files-len(done))
		}
		if !strings.Contains(string(out), "skip: ") {
			t.Errorf("resume output does not say which files were skipped:\n%s", out)
		}
		back := filepath.Join(t.TempDir(), "back")
		must(t, srv, "-q", "cp", "-r", "s3://"+bucket+"/logs/", back)
		sameTree(t, src, back)
	})
}

func TestKillDashNineThenResumeDownload(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir, state := t.TempDir(), t.TempDir()
		f := filepath.Join(t.TempDir(), "dump.bin")
		// 100 MiB in 5 MiB ranges: killed after 12, the resumed run has the other 8 to fetch.
		data := randomFile(t, f, 100<<20)
		const ranges = 20
		must(t, srv, "-q", "cp", f, "s3://"+bucket+"/dump.bin")
		target := filepath.Join(dir, "dump.bin")
		slow := srv.Delay(t, 150*time.Millisecond, s3test.IsRangedGet)
		args := []string{"--debug", "cp", "--resume", "s3://" + bucket + "/dump.bin", target, "--part-size", "5MiB", "--concurrency", "2"}
		killAfter(t, resumeEnv(haulCmd(t, slow, args...), state), "GetObject", 12)
		if _, err := os.Stat(target); !os.IsNotExist(err) {
			t.Fatal("a killed download left a file under the target name")
		}
		journals, _ := filepath.Glob(filepath.Join(state, "haul", "journals", "*.journal"))
		if len(journals) != 1 {
			t.Fatalf("journals: %v", journals)
		}
		recorded := map[string]bool{}
		for _, r := range journalRecords(t, journals[0]) {
			if r["op"] == "range" {
				off, _ := r["offset"].(float64)
				recorded[fmt.Sprintf("bytes=%d-", int64(off))] = true
			}
		}
		rec, log := srv.Record(t)
		r := resumeEnv(haulCmd(t, rec, args[1:]...), state)
		if out, err := r.CombinedOutput(); err != nil {
			t.Fatalf("resume: %v\n%s", err, out)
		}
		gets := log.Requests(func(q s3test.Request) bool { return q.Method == http.MethodGet && q.Query.Get("list-type") == "" })
		if len(gets) != ranges-len(recorded) {
			t.Errorf("resumed download made %d GETs, want the %d missing ranges (journal had %d)", len(gets), ranges-len(recorded), len(recorded))
		}
		if got, _ := os.ReadFile(target); !bytes.Equal(got, data) {
			t.Fatal("the resumed download differs")
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Fatalf("left behind: %v", entries)
		}
	})
}

func TestTwoProcessesCannotShareAJournal(t *testing.T) {
	srv := s3test.Shared(t, s3test.Kinds()[0])
	bucket := srv.NewBucket(t)
	f := filepath.Join(t.TempDir(), "big")
	randomFile(t, f, 30<<20)
	jpath := filepath.Join(t.TempDir(), "shared.journal")
	slow := srv.Delay(t, 300*time.Millisecond, s3test.IsUploadPart)
	first := haulCmd(t, slow, "--debug", "cp", "--resume", "--journal", jpath, f, "s3://"+bucket+"/big", "--part-size", "5MiB", "--concurrency", "1")
	var second result
	code, stderr := runUntil(t, first, "UploadPart", func() {
		second = haul(t, srv, nil, "cp", "--resume", "--journal", jpath, f, "s3://"+bucket+"/big")
	})
	if code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	if second.code != 2 || !strings.Contains(second.stderr, "in use by another haul process") {
		t.Fatalf("second run: exit %d, stderr %q; want exit 2 saying the journal is in use", second.code, second.stderr)
	}
	checkOneLine(t, second.stderr)
}

func TestCorruptJournalIsRefusedClearly(t *testing.T) {
	srv := s3test.Shared(t, s3test.Kinds()[0])
	bucket := srv.NewBucket(t)
	f := filepath.Join(t.TempDir(), "f")
	randomFile(t, f, 100)
	for name, content := range map[string]string{
		"garbage":      "\x00\x01 not json at all\n",
		"older format": `{"format":"haul-journal","version":0,"args":["cp"]}` + "\n",
		"damaged":      `{"format":"haul-journal","version":1,"args":["cp"]}` + "\n{\"op\":\"part\",\n{\"op\":\"done\"}\n",
	} {
		t.Run(name, func(t *testing.T) {
			jpath := filepath.Join(t.TempDir(), "bad.journal")
			writeText(t, jpath, content)
			r := haul(t, srv, nil, "cp", "--resume", "--journal", jpath, f, "s3://"+bucket+"/k")
			if r.code != 2 || !strings.Contains(r.stderr, "journal") {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			checkOneLine(t, r.stderr)
			if len(keys(t, srv, bucket, "")) != 0 {
				t.Fatal("something was uploaded with a corrupt journal")
			}
			r = haul(t, srv, nil, "resume", jpath)
			if r.code != 2 {
				t.Fatalf("haul resume of a corrupt journal: exit %d, stderr %q", r.code, r.stderr)
			}
			checkOneLine(t, r.stderr)
		})
	}
}

func TestInterruptWithResumeKeepsPartsAndSaysHowToContinue(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		f := filepath.Join(t.TempDir(), "big")
		data := randomFile(t, f, 60<<20)
		jpath := filepath.Join(t.TempDir(), "run.journal")
		slow := srv.Delay(t, 300*time.Millisecond, s3test.IsUploadPart)
		cmd := haulCmd(t, slow, "--debug", "cp", "--resume", "--journal", jpath, f, "s3://"+bucket+"/big", "--part-size", "5MiB", "--concurrency", "2")
		code, stderr := runUntil(t, cmd, "UploadPart", func() { _ = cmd.Process.Signal(syscall.SIGINT) })
		if code != 130 || !strings.Contains(stderr, "haul resume "+jpath) || strings.Contains(stderr, "AbortMultipartUpload") {
			t.Fatalf("exit %d (want 130), want a 'haul resume' hint and no abort:\n%s", code, stderr)
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 1 {
			t.Fatalf("%d incomplete uploads after Ctrl-C with --resume, want the one kept for resuming", len(ups))
		}
		r := haul(t, srv, nil, "resume", jpath)
		if r.code != 0 {
			t.Fatalf("haul resume: exit %d\n%s", r.code, r.stderr)
		}
		back := filepath.Join(t.TempDir(), "back")
		must(t, srv, "-q", "cp", "s3://"+bucket+"/big", back)
		if got, _ := os.ReadFile(back); !bytes.Equal(got, data) {
			t.Fatal("resumed object differs")
		}
		if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
			t.Fatalf("%d incomplete uploads remain after resume", len(ups))
		}
	})
}

// TestResumeStartsOverWhenNeeded kills a --resume upload, then changes what the journal
// recorded (the file, or the upload itself) and checks the next run starts that file over,
// says so, and ends with the right bytes and no upload left behind.
func TestResumeStartsOverWhenNeeded(t *testing.T) {
	cases := map[string]struct {
		between func(t *testing.T, srv *s3test.Server, bucket, file string) []byte
		note    string
	}{
		"source changed": {
			between: func(t *testing.T, _ *s3test.Server, _, file string) []byte {
				return randomFile(t, file, 40<<20)
			},
			note: "the file changed since the interrupted run",
		},
		"upload aborted": {
			between: func(t *testing.T, srv *s3test.Server, bucket, file string) []byte {
				for _, u := range srv.IncompleteUploads(t, bucket, "") {
					_, err := srv.Client(t).AbortMultipartUpload(t.Context(), abortInput(bucket, u))
					if err != nil {
						t.Fatal(err)
					}
				}
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				return data
			},
			note: "no longer exists on the server",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachServer(t, func(t *testing.T, srv *s3test.Server) {
				bucket := srv.NewBucket(t)
				f := filepath.Join(t.TempDir(), "data.bin")
				randomFile(t, f, 40<<20)
				jpath := filepath.Join(t.TempDir(), "run.journal")
				slow := srv.Delay(t, 150*time.Millisecond, s3test.IsUploadPart)
				args := []string{"cp", "--resume", "--journal", jpath, f, "s3://" + bucket + "/data.bin", "--part-size", "5MiB", "--concurrency", "1"}
				killAfter(t, haulCmd(t, slow, append([]string{"--debug"}, args...)...), "UploadPart", 3)
				want := tc.between(t, srv, bucket, f)

				r := haul(t, srv, nil, args...)
				if r.code != 0 || !strings.Contains(r.stderr, tc.note) || !strings.Contains(r.stderr, "starting it over") && !strings.Contains(r.stderr, "starting the file over") {
					t.Fatalf("exit %d; want 0 and a note containing %q:\n%s", r.code, tc.note, r.stderr)
				}
				back := filepath.Join(t.TempDir(), "back")
				must(t, srv, "-q", "cp", "s3://"+bucket+"/data.bin", back)
				if got, _ := os.ReadFile(back); !bytes.Equal(got, want) {
					t.Fatal("the object is not the file as it is now")
				}
				if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
					t.Fatalf("%d incomplete uploads left (the stale one must be aborted)", len(ups))
				}
			})
		})
	}
}

package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/internal/s3test"
)

// These tests run haul through s3test's fault-injecting proxy: 503 SlowDown, 500
// InternalError, connections reset in the middle of a request or response body, responses
// whose answer is lost, truncated bodies, delays and stalls. After each run they check what
// is on the other side byte for byte, the exit code, what --json or the summary reports,
// and that no multipart upload is left behind.
//
// Retries back off from 100ms (transfer.Options.RetryBase; the CLI has no flag for it), so
// the scripts inject a handful of faults each: enough to hit single PUTs, parts, whole and
// ranged GETs and listings, few enough that a run stays around a second.

const (
	smallSize = 100_000
	bigSize   = 12<<20 + 7 // three parts of at most 5 MiB
	// faultRunLimit bounds one haul run through a faulty proxy: a run still going then is
	// hung, and is killed with SIGQUIT so that its goroutines are in the failure message.
	faultRunLimit = 90 * time.Second
)

// partFlags make big.bin a three-part upload and a three-range download.
var partFlags = []string{"--part-size", "5MiB", "--multipart-threshold", "5MiB", "--concurrency", "4"}

// event is one line of haul's --json output (see internal/cli/report.go).
type event struct {
	Event   string `json:"event"`
	Op      string `json:"op"`
	Src     string `json:"src"`
	Dst     string `json:"dst"`
	Bytes   int64  `json:"bytes"`
	Error   string `json:"error"`
	Attempt int    `json:"attempt"`
	Done    *int   `json:"done"`
	Failed  *int   `json:"failed"`
}

// report is what one --json run said.
type report struct {
	done    map[string]event // by source
	failed  map[string]event // by source
	retries int
	aborted []event
	summary *event
}

func parseReport(t *testing.T, stdout string) report {
	t.Helper()
	rep := report{done: map[string]event{}, failed: map[string]event{}}
	for _, ev := range jsonLines[event](t, stdout) {
		switch ev.Event {
		case "done":
			rep.done[ev.Src] = ev
		case "failed":
			rep.failed[ev.Src] = ev
		case "retry":
			rep.retries++
		case "aborted":
			rep.aborted = append(rep.aborted, ev)
		case "summary":
			sum := ev
			rep.summary = &sum
		}
	}
	if rep.summary == nil || rep.summary.Done == nil || rep.summary.Failed == nil {
		t.Fatalf("--json printed no summary:\n%s", stdout)
	}
	if *rep.summary.Done != len(rep.done) || *rep.summary.Failed != len(rep.failed) {
		t.Fatalf("summary says %d done, %d failed; the events say %d and %d:\n%s",
			*rep.summary.Done, *rep.summary.Failed, len(rep.done), len(rep.failed), stdout)
	}
	return rep
}

// haulWithin is haul, but a run still going after limit is killed with SIGQUIT (a Go
// program then prints its goroutines) and fails the test as hung.
func haulWithin(t *testing.T, srv *s3test.Server, limit time.Duration, args ...string) result {
	t.Helper()
	r, _ := haulMeasured(t, srv, limit, args...)
	return r
}

// haulMeasured is haulWithin that also returns the run's peak resident set, in bytes (0
// where the platform does not say; see watchHWM).
func haulMeasured(t *testing.T, srv *s3test.Server, limit time.Duration, args ...string) (result, int64) {
	t.Helper()
	cmd := haulCmd(t, srv, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	hwm := watchHWM(cmd.Process.Pid)
	timer := time.AfterFunc(limit, func() { _ = cmd.Process.Signal(syscall.SIGQUIT) })
	err := cmd.Wait()
	if !timer.Stop() {
		before, dump, _ := strings.Cut(errb.String(), "SIGQUIT: quit")
		var ours []string
		for _, g := range strings.Split(dump, "\n\n") {
			if strings.Contains(g, "github.com/haul-s3/haul/") {
				ours = append(ours, g)
			}
		}
		t.Fatalf("haul %s hung: still running after %s\nstdout:\n%s\nstderr:\n%s\n--- haul's goroutines ---\n%s",
			strings.Join(args, " "), limit, tail(out.String(), 2000), tail(before, 2000), tail(strings.Join(ours, "\n\n"), 8000))
	}
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running haul %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}, hwm.stop()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// fixture is a directory of files to copy: small.bin (one PutObject, one GET) and big.bin
// (a multipart upload, ranged GETs).
type fixture struct {
	dir   string
	files map[string][]byte // name -> content
}

func newFixture(t *testing.T, sizes map[string]int) fixture {
	t.Helper()
	fx := fixture{dir: filepath.Join(t.TempDir(), "src"), files: map[string][]byte{}}
	for name, size := range sizes {
		fx.files[name] = randomFile(t, filepath.Join(fx.dir, name), size)
	}
	return fx
}

// object returns the bytes of bucket/key, read straight from the server, or false when
// there is no such object.
func object(t *testing.T, srv *s3test.Server, bucket, key string) ([]byte, bool) {
	t.Helper()
	out, err := srv.Client(t).GetObject(t.Context(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return nil, false
	}
	if err != nil {
		t.Fatalf("reading back %s: %v", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("reading back %s: %v", key, err)
	}
	return data, true
}

// noUploadsLeft fails the test if any multipart upload is left in bucket.
func noUploadsLeft(t *testing.T, srv *s3test.Server, bucket string) {
	t.Helper()
	if ups := srv.IncompleteUploads(t, bucket, ""); len(ups) != 0 {
		var ks []string
		for _, u := range ups {
			ks = append(ks, *u.Key)
		}
		t.Fatalf("%d incomplete multipart uploads left: %v", len(ups), ks)
	}
}

// localFiles returns the names of the entries in dir (temporary files included).
func localFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// faultCase is one run of haul through a scripted proxy that retries must get through.
type faultCase struct {
	name   string
	upload bool   // an upload; else a download
	file   string // copy only this file of the fixture; "" copies the directory with -r
	faults func(f *s3test.Faults)
	// seen says haul must have seen a failure and retried: false where the fault may go
	// unseen (a delay) or be retried inside Go's HTTP client (a GET whose connection is
	// reset before its answer, on a reused connection).
	seen bool
}

var recoverCases = []faultCase{
	{"upload slowdown", true, "", func(f *s3test.Faults) {
		f.Add(3, s3test.IsPut, s3test.Fault{Kind: s3test.SlowDown})
	}, true},
	{"upload internal error on create, part and complete", true, "big.bin", func(f *s3test.Faults) {
		f.Add(1, s3test.IsCreateUpload, s3test.Fault{Kind: s3test.InternalError}).
			Add(1, s3test.IsUploadPart, s3test.Fault{Kind: s3test.InternalError}).
			Add(1, s3test.IsCompleteUpload, s3test.Fault{Kind: s3test.InternalError})
	}, true},
	{"upload reset mid request body", true, "", func(f *s3test.Faults) {
		f.Add(3, s3test.IsPut, s3test.Fault{Kind: s3test.ResetRequest, After: 50_000})
	}, true},
	{"upload reset at once", true, "small.bin", func(f *s3test.Faults) {
		f.Add(2, s3test.IsPutObject, s3test.Fault{Kind: s3test.ResetRequest})
	}, true},
	{"upload answer lost after the server stored it", true, "", func(f *s3test.Faults) {
		f.Add(3, s3test.IsPut, s3test.Fault{Kind: s3test.ResetResponse, After: -1})
	}, true},
	{"upload delayed parts", true, "big.bin", func(f *s3test.Faults) {
		f.Add(2, s3test.IsUploadPart, s3test.Fault{Kind: s3test.Delay, For: 300 * time.Millisecond})
	}, false},
	{"download slowdown", false, "", func(f *s3test.Faults) {
		f.Add(3, s3test.IsGet, s3test.Fault{Kind: s3test.SlowDown})
	}, true},
	{"download internal error on head and get", false, "big.bin", func(f *s3test.Faults) {
		f.Add(1, s3test.IsHead, s3test.Fault{Kind: s3test.InternalError}).
			Add(2, s3test.IsGet, s3test.Fault{Kind: s3test.InternalError})
	}, true},
	{"download reset mid response body", false, "", func(f *s3test.Faults) {
		f.Add(3, s3test.IsGet, s3test.Fault{Kind: s3test.ResetResponse, After: 50_000})
	}, true},
	{"download truncated", false, "small.bin", func(f *s3test.Faults) {
		f.Add(2, s3test.IsGet, s3test.Fault{Kind: s3test.Truncate, After: 1000})
	}, true},
	{"download truncated ranges and listing", false, "", func(f *s3test.Faults) {
		f.Add(1, s3test.IsList, s3test.Fault{Kind: s3test.Truncate, After: 100}).
			Add(2, s3test.IsRangedGet, s3test.Fault{Kind: s3test.Truncate, After: 1 << 20})
	}, true},
	{"download reset before the answer", false, "big.bin", func(f *s3test.Faults) {
		f.Add(2, s3test.IsRangedGet, s3test.Fault{Kind: s3test.ResetResponse, After: -1})
	}, false},
	{"download delayed", false, "", func(f *s3test.Faults) {
		f.Add(2, s3test.IsGet, s3test.Fault{Kind: s3test.Delay, For: 300 * time.Millisecond})
	}, false},
}

// TestFaultsAreRetried runs each case of recoverCases: haul must retry through the faults,
// exit 0, report every file done, and leave exactly the source's bytes on the other side.
func TestFaultsAreRetried(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		fx := newFixture(t, map[string]int{"small.bin": smallSize, "big.bin": bigSize})
		bucket := srv.NewBucket(t)
		must(t, srv, append([]string{"-q", "cp", "-r", fx.dir, "s3://" + bucket + "/src/"}, partFlags...)...)
		for i, tc := range recoverCases {
			t.Run(tc.name, func(t *testing.T) {
				view, faults := srv.Faults(t)
				tc.faults(faults)
				want := fx.files
				if tc.file != "" {
					want = map[string][]byte{tc.file: fx.files[tc.file]}
				}
				prefix := "up" + string(rune('a'+i)) + "/"
				out := filepath.Join(t.TempDir(), "out")
				var args []string
				switch {
				case tc.upload && tc.file == "":
					args = []string{"cp", "-r", fx.dir, "s3://" + bucket + "/" + prefix}
				case tc.upload:
					args = []string{"cp", filepath.Join(fx.dir, tc.file), "s3://" + bucket + "/" + prefix + tc.file}
				case tc.file == "":
					args = []string{"cp", "-r", "s3://" + bucket + "/src/", out}
				default:
					args = []string{"cp", "s3://" + bucket + "/src/" + tc.file, filepath.Join(out, tc.file)}
				}
				r := haulWithin(t, view, faultRunLimit, append(append([]string{"--json"}, args...), partFlags...)...)
				st := faults.Stats()
				t.Logf("proxy: %s; haul: exit %d", st, r.code)
				rep := parseReport(t, r.stdout)
				if r.code != 0 || len(rep.failed) != 0 || len(rep.done) != len(want) {
					t.Fatalf("exit %d, %d done, %d failed; want 0, %d, 0\nfaults: %v\n%s\n%s",
						r.code, len(rep.done), len(rep.failed), len(want), faults.Log(), r.stdout, r.stderr)
				}
				if st.Total() == 0 {
					t.Fatal("the proxy injected no fault: the case tests nothing")
				}
				if tc.seen && rep.retries == 0 {
					t.Fatalf("%d faults injected (%v) but haul reported no retry:\n%s", st.Total(), faults.Log(), r.stdout)
				}
				for name, data := range want {
					var got []byte
					if tc.upload {
						got, _ = object(t, srv, bucket, prefix+name)
					} else {
						got, _ = os.ReadFile(filepath.Join(out, name))
					}
					if !bytes.Equal(got, data) {
						t.Fatalf("%s: %d bytes on the other side differ from the %d of the source", name, len(got), len(data))
					}
				}
				if !tc.upload {
					if names := localFiles(t, out); len(names) != len(want) {
						t.Fatalf("the download directory holds %v, want only %d files", names, len(want))
					}
				}
				noUploadsLeft(t, srv, bucket)
			})
		}
	})
}

// TestFaultsOutlastRetries makes some files fail for good (500 InternalError for the next
// 10 requests on their keys, with --retries 1; a 503 SlowDown would not do it: throttled
// answers use up no retry, see TestThrottleStormThenFaultsLosesNothing) among others that go through: haul must exit 1,
// name exactly the failed files, copy the others exactly, and leave no object, file,
// temporary file or multipart upload for the failed ones.
func TestFaultsOutlastRetries(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		fx := newFixture(t, map[string]int{"a.bin": 2000, "b.bin": smallSize, "big.bin": bigSize})
		bucket := srv.NewBucket(t)
		must(t, srv, append([]string{"-q", "cp", "-r", fx.dir, "s3://" + bucket + "/src/"}, partFlags...)...)

		t.Run("upload", func(t *testing.T) {
			view, faults := srv.Faults(t)
			// The answer to the abort of big.bin's upload is lost too: the abort is sent again
			// and finds the upload gone, which is what it wanted.
			faults.Add(10, s3test.KeyIs("up/b.bin"), s3test.Fault{Kind: s3test.InternalError}).
				Add(10, s3test.All(s3test.IsUploadPart, s3test.KeyIs("up/big.bin")), s3test.Fault{Kind: s3test.InternalError}).
				Add(1, s3test.IsAbortUpload, s3test.Fault{Kind: s3test.ResetResponse, After: -1})
			r := haulWithin(t, view, faultRunLimit, append([]string{"--json", "cp", "-r", fx.dir, "s3://" + bucket + "/up/", "--retries", "1"}, partFlags...)...)
			t.Logf("proxy: %s; haul: exit %d", faults.Stats(), r.code)
			rep := parseReport(t, r.stdout)
			failed := slices.Sorted(maps.Keys(rep.failed))
			wantFailed := []string{filepath.Join(fx.dir, "b.bin"), filepath.Join(fx.dir, "big.bin")}
			if r.code != 1 || !slices.Equal(failed, wantFailed) || len(rep.done) != 1 {
				t.Fatalf("exit %d, failed %v, %d done; want 1, %v, 1\n%s\n%s", r.code, failed, len(rep.done), wantFailed, r.stdout, r.stderr)
			}
			if ev := rep.failed[filepath.Join(fx.dir, "b.bin")]; !strings.Contains(ev.Error, "InternalError") {
				t.Errorf("the failure does not name the S3 error InternalError: %q", ev.Error)
			}
			if got, _ := object(t, srv, bucket, "up/a.bin"); !bytes.Equal(got, fx.files["a.bin"]) {
				t.Fatal("a.bin, which had no fault, is not stored exactly")
			}
			if ks := keys(t, srv, bucket, "up/"); !slices.Equal(ks, []string{"up/a.bin"}) {
				t.Fatalf("keys %v: a failed file became an object", ks)
			}
			if len(rep.aborted) != 1 || rep.aborted[0].Error != "" {
				t.Errorf("want one clean abort of big.bin's upload, got %+v", rep.aborted)
			}
			noUploadsLeft(t, srv, bucket)
		})

		t.Run("upload one file", func(t *testing.T) {
			view, faults := srv.Faults(t)
			faults.Add(10, s3test.IsPut, s3test.Fault{Kind: s3test.InternalError})
			r := haulWithin(t, view, faultRunLimit, "cp", filepath.Join(fx.dir, "b.bin"), "s3://"+bucket+"/one/b.bin", "--retries", "1")
			if r.code != 1 || !strings.Contains(r.stderr, "InternalError") || !strings.Contains(r.stderr, "b.bin") {
				t.Fatalf("exit %d, want 1 naming the file and InternalError:\n%s", r.code, r.stderr)
			}
			if n := faults.Stats().Injected[s3test.InternalError]; n != 2 {
				t.Errorf("%d requests answered InternalError, want 2 (one try and one retry)", n)
			}
			if _, ok := object(t, srv, bucket, "one/b.bin"); ok {
				t.Fatal("a failed upload became an object")
			}
		})

		t.Run("download", func(t *testing.T) {
			view, faults := srv.Faults(t)
			faults.Add(10, s3test.KeyIs("src/b.bin"), s3test.Fault{Kind: s3test.InternalError}).
				Add(-1, s3test.All(s3test.IsRangedGet, s3test.KeyIs("src/big.bin")), s3test.Fault{Kind: s3test.Truncate, After: 1000})
			out := filepath.Join(t.TempDir(), "out")
			r := haulWithin(t, view, faultRunLimit, append([]string{"cp", "-r", "s3://" + bucket + "/src/", out, "--retries", "1"}, partFlags...)...)
			t.Logf("proxy: %s; haul: exit %d", faults.Stats(), r.code)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", r.code, r.stderr)
			}
			for _, want := range []string{
				"failed: s3://" + bucket + "/src/b.bin",
				"failed: s3://" + bucket + "/src/big.bin",
				"summary: 1 done, 2 failed",
			} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if names := localFiles(t, out); !slices.Equal(names, []string{"a.bin"}) {
				t.Fatalf("the download directory holds %v, want only a.bin (no partial or temporary file)", names)
			}
			if got, _ := os.ReadFile(filepath.Join(out, "a.bin")); !bytes.Equal(got, fx.files["a.bin"]) {
				t.Fatal("a.bin differs")
			}
		})

		t.Run("listing", func(t *testing.T) {
			view, faults := srv.Faults(t)
			faults.Add(-1, s3test.IsList, s3test.Fault{Kind: s3test.Truncate, After: 100})
			out := filepath.Join(t.TempDir(), "out")
			r := haulWithin(t, view, faultRunLimit, "cp", "-r", "s3://"+bucket+"/src/", out, "--retries", "1")
			t.Logf("proxy: %s; haul: exit %d", faults.Stats(), r.code)
			if r.code != 1 || !strings.Contains(r.stderr, "ListObjectsV2") {
				t.Fatalf("exit %d, want 1 naming the listing:\n%s", r.code, r.stderr)
			}
			if names := localFiles(t, out); len(names) != 0 {
				t.Fatalf("a failed listing wrote %v", names)
			}
			// The listing failed because its body was cut short: a message that gives a
			// success status as the reason, or the SDK's own log lines, tell a person nothing.
			for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
				if strings.Contains(line, "HTTP 200") || strings.HasPrefix(line, "SDK ") {
					t.Errorf("stderr line says nothing a person can act on: %q", line)
				}
			}
		})
	})
}

// TestFaultsOnStreams puts faults on a stream from stdin (buffered parts sent again from
// memory) and on a download to stdout (resumed from the last byte written, which must
// never repeat or skip a byte).
func TestFaultsOnStreams(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		data := randomFile(t, filepath.Join(t.TempDir(), "stream"), bigSize)
		bucket := srv.NewBucket(t)

		up, upFaults := srv.Faults(t)
		upFaults.Add(2, s3test.IsUploadPart, s3test.Fault{Kind: s3test.ResetRequest, After: 1 << 20}).
			Add(1, s3test.IsCompleteUpload, s3test.Fault{Kind: s3test.SlowDown})
		cmd := haulCmd(t, up, append([]string{"--json", "cp", "-", "s3://" + bucket + "/stream"}, partFlags...)...)
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		t.Logf("upload proxy: %s", upFaults.Stats())
		if err != nil {
			t.Fatalf("stdin upload: %v\n%s", err, out)
		}
		if rep := parseReport(t, string(out)); rep.retries < 3 {
			t.Fatalf("%d retries reported for 3 faults:\n%s", rep.retries, out)
		}
		if got, _ := object(t, srv, bucket, "stream"); !bytes.Equal(got, data) {
			t.Fatalf("the object uploaded from stdin (%d bytes) is not the stream", len(got))
		}
		noUploadsLeft(t, srv, bucket)

		down, downFaults := srv.Faults(t)
		downFaults.Add(1, s3test.IsGet, s3test.Fault{Kind: s3test.ResetResponse, After: 3 << 20}).
			Add(1, s3test.IsGet, s3test.Fault{Kind: s3test.Truncate, After: 5 << 20})
		r := haulWithin(t, down, faultRunLimit, "cp", "s3://"+bucket+"/stream", "-")
		t.Logf("download proxy: %s", downFaults.Stats())
		if r.code != 0 || r.stdout != string(data) {
			t.Fatalf("download to stdout: exit %d, %d bytes; want 0 and the %d bytes of the object\n%s", r.code, len(r.stdout), len(data), r.stderr)
		}
	})
}

// TestFaultLostCompleteAnswer loses the answer to CompleteMultipartUpload after the server
// has completed the upload. The retried request finds no upload; haul must notice that the
// object it meant to make is there and exit 0, not report a failure for a file that was
// stored.
func TestFaultLostCompleteAnswer(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		fx := newFixture(t, map[string]int{"big.bin": bigSize})
		bucket := srv.NewBucket(t)
		view, faults := srv.Faults(t)
		faults.Add(1, s3test.IsCompleteUpload, s3test.Fault{Kind: s3test.ResetResponse, After: -1})
		r := haulWithin(t, view, faultRunLimit, append([]string{"--json", "cp", filepath.Join(fx.dir, "big.bin"), "s3://" + bucket + "/big.bin"}, partFlags...)...)
		got, stored := object(t, srv, bucket, "big.bin")
		if !stored || !bytes.Equal(got, fx.files["big.bin"]) {
			t.Fatalf("the server completed the upload, but the object is not the file (stored %t, %d bytes)", stored, len(got))
		}
		noUploadsLeft(t, srv, bucket)
		if r.code != 0 {
			t.Fatalf("exit %d for a file that was stored exactly: the lost answer to CompleteMultipartUpload was taken as a failure\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// TestFaultLostCreateAnswer loses the answer to CreateMultipartUpload after the server has
// created the upload: haul never learns that upload's ID and starts another. The first one
// must not be left behind.
func TestFaultLostCreateAnswer(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		fx := newFixture(t, map[string]int{"big.bin": bigSize})
		bucket := srv.NewBucket(t)
		view, faults := srv.Faults(t)
		faults.Add(1, s3test.IsCreateUpload, s3test.Fault{Kind: s3test.ResetResponse, After: -1})
		r := haulWithin(t, view, faultRunLimit, append([]string{"--json", "cp", filepath.Join(fx.dir, "big.bin"), "s3://" + bucket + "/big.bin"}, partFlags...)...)
		if got, _ := object(t, srv, bucket, "big.bin"); r.code != 0 || !bytes.Equal(got, fx.files["big.bin"]) {
			t.Fatalf("exit %d, object of %d bytes; want 0 and the file\n%s%s", r.code, len(got), r.stdout, r.stderr)
		}
		noUploadsLeft(t, srv, bucket)
	})
}

// The stall tests hold a request or response without a byte for far longer than the run
// may take. haul gets through only by giving up on the stalled request after
// --stall-timeout and sending it again.

func TestStallUploadIsRetried(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		fx := newFixture(t, map[string]int{"small.bin": smallSize, "big.bin": bigSize})
		bucket := srv.NewBucket(t)
		view, faults := srv.Faults(t)
		faults.Add(1, s3test.IsUploadPart, s3test.Fault{Kind: s3test.StallRequest, After: 1 << 20, For: time.Hour}).
			Add(1, s3test.IsPutObject, s3test.Fault{Kind: s3test.StallRequest, After: 10_000, For: time.Hour})
		r := haulWithin(t, view, faultRunLimit, append([]string{"--json", "cp", "-r", fx.dir, "s3://" + bucket + "/up/", "--stall-timeout", "2s"}, partFlags...)...)
		checkStallRun(t, r, faults, 2)
		for name, data := range fx.files {
			if got, _ := object(t, srv, bucket, "up/"+name); !bytes.Equal(got, data) {
				t.Fatalf("%s is not stored exactly", name)
			}
		}
		noUploadsLeft(t, srv, bucket)
	})
}

func TestStallDownloadIsRetried(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		fx := newFixture(t, map[string]int{"small.bin": smallSize, "big.bin": bigSize})
		bucket := srv.NewBucket(t)
		must(t, srv, append([]string{"-q", "cp", "-r", fx.dir, "s3://" + bucket + "/src/"}, partFlags...)...)
		view, faults := srv.Faults(t)
		faults.Add(1, s3test.IsRangedGet, s3test.Fault{Kind: s3test.StallResponse, After: 1 << 20, For: time.Hour}).
			Add(1, s3test.KeyIs("src/small.bin"), s3test.Fault{Kind: s3test.StallResponse, After: -1, For: time.Hour})
		out := filepath.Join(t.TempDir(), "out")
		r := haulWithin(t, view, faultRunLimit, append([]string{"--json", "cp", "-r", "s3://" + bucket + "/src/", out, "--stall-timeout", "2s"}, partFlags...)...)
		checkStallRun(t, r, faults, 2)
		sameTree(t, fx.dir, out)
	})
}

func checkStallRun(t *testing.T, r result, faults *s3test.Faults, stalls int) {
	t.Helper()
	st := faults.Stats()
	t.Logf("proxy: %s; haul: exit %d", st, r.code)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0 (this needs haul's --stall-timeout flag):\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	rep := parseReport(t, r.stdout)
	if st.Total() != stalls || rep.retries < stalls {
		t.Fatalf("%d stalls injected, %d retries reported; want %d and at least as many retries:\n%s", st.Total(), rep.retries, stalls, r.stdout)
	}
}

// hwmWatch follows a running process's peak resident set (VmHWM in /proc/PID/status, a
// high-water mark, so the last reading before it exits is within 50 ms of its peak). The
// rusage of a finished child is no good for this: Go starts it with vfork, and until exec
// the child's resident set is the test process's, which holds the soak's data.
type hwmWatch struct {
	done chan struct{}
	max  chan int64
}

func watchHWM(pid int) *hwmWatch {
	w := &hwmWatch{done: make(chan struct{}), max: make(chan int64, 1)}
	go func() {
		var peak int64
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						var kib int64
						if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kib); err == nil {
							peak = max(peak, kib<<10)
						}
					}
				}
			}
			select {
			case <-w.done:
				w.max <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// stop ends the watch and returns the peak seen, in bytes.
func (w *hwmWatch) stop() int64 {
	close(w.done)
	return <-w.max
}

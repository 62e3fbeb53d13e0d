package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

const mib = 1 << 20

func randomBytes(n int, seed uint64) []byte {
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fastOpts are options with millisecond backoff, so retry tests run quickly.
func fastOpts(o Options) Options {
	o.RetryBase, o.RetryMax = time.Millisecond, 5*time.Millisecond
	return o
}

var dst = object.Ref{Bucket: "b", Key: "k"}

func TestUploadFileSmallIsOnePut(t *testing.T) {
	fs := newFake()
	data := randomBytes(1000, 1)
	p := filepath.Join(t.TempDir(), "f.txt")
	writeFile(t, p, data)
	sum, err := New(fs, fastOpts(Options{})).UploadFile(context.Background(), p, dst)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := fs.object(dst)
	if !bytes.Equal(got, data) || sum.Done != 1 || sum.Bytes != 1000 {
		t.Fatalf("object %d bytes, summary %+v", len(got), sum)
	}
	if fs.count("PutObject") != 1 || fs.count("CreateMultipartUpload") != 0 {
		t.Fatalf("calls: %+v", fs.calls)
	}
}

func TestUploadFileMultipartPartsInOrderAndSized(t *testing.T) {
	fs := newFake()
	data := randomBytes(23*mib+17, 2)
	p := filepath.Join(t.TempDir(), "big")
	writeFile(t, p, data)
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 8 * mib, Concurrency: 4}))
	if _, err := e.UploadFile(context.Background(), p, dst); err != nil {
		t.Fatal(err)
	}
	got, _ := fs.object(dst)
	if !bytes.Equal(got, data) {
		t.Fatal("object differs from the file")
	}
	if n := fs.count("UploadPart"); n != 5 {
		t.Fatalf("%d parts sent, want 5", n)
	}
	if fs.openUploads() != 0 {
		t.Fatal("an upload is left open")
	}
}

func TestOneConcurrencyLimitForFilesAndParts(t *testing.T) {
	fs := newFake()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "big"), randomBytes(40*mib, 3))
	for i := range 40 {
		writeFile(t, filepath.Join(dir, "small", string(rune('a'+i%26))+strings.Repeat("x", i/26)), randomBytes(100, uint64(i)))
	}
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Concurrency: 3}))
	sum, err := e.UploadDir(context.Background(), dir, object.Ref{Bucket: "b", Key: "p/"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Done != 41 {
		t.Fatalf("done %d, want 41", sum.Done)
	}
	if m := fs.maxSeen.Load(); m > 3 || m < 2 {
		t.Fatalf("max requests in flight %d; want <= 3 (and some overlap)", m)
	}
	if _, ok := fs.object(object.Ref{Bucket: "b", Key: "p/small/a"}); !ok {
		t.Fatal("p/small/a missing: keys must be prefix + relative path")
	}
}

func TestRetryResendsOnlyTheFailedPart(t *testing.T) {
	fs := newFake()
	fs.hook = func(c fakeCall, attempt int) error {
		if c.Op == "UploadPart" && c.Part == 3 && attempt <= 2 {
			return &fakeErr{code: "SlowDown", retryable: true}
		}
		return nil
	}
	data := randomBytes(26*mib, 4)
	p := filepath.Join(t.TempDir(), "big")
	writeFile(t, p, data)
	var retries int
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == Retrying {
			retries++
		}
	})
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Observer: obs}))
	if _, err := e.UploadFile(context.Background(), p, dst); err != nil {
		t.Fatal(err)
	}
	for part := int32(1); part <= 6; part++ {
		want := 1
		if part == 3 {
			want = 3
		}
		if got := fs.partAttempts("k", part); got != want {
			t.Errorf("part %d sent %d times, want %d", part, got, want)
		}
	}
	if got, _ := fs.object(dst); !bytes.Equal(got, data) || retries != 2 {
		t.Fatalf("object ok=%v, retry events %d", bytes.Equal(got, data), retries)
	}
}

func TestRetriesRunOutThenUploadIsAborted(t *testing.T) {
	fs := newFake()
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "UploadPart" && c.Part == 2 {
			return &fakeErr{code: "InternalError", retryable: true}
		}
		return nil
	}
	p := filepath.Join(t.TempDir(), "big")
	writeFile(t, p, randomBytes(12*mib, 5))
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Retries: 2}))
	_, err := e.UploadFile(context.Background(), p, dst)
	var fe *fakeErr
	if !errors.As(err, &fe) || fe.code != "InternalError" {
		t.Fatalf("err = %v, want the last InternalError", err)
	}
	if got := fs.partAttempts("k", 2); got != 3 {
		t.Fatalf("part 2 sent %d times, want 1 + 2 retries", got)
	}
	if fs.openUploads() != 0 || fs.count("AbortMultipartUpload") != 1 {
		t.Fatalf("open uploads %d, aborts %d", fs.openUploads(), fs.count("AbortMultipartUpload"))
	}
	if _, ok := fs.object(dst); ok {
		t.Fatal("a failed upload left an object")
	}
}

func TestFatalErrorIsNotRetried(t *testing.T) {
	fs := newFake()
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "PutObject" {
			return &fakeErr{code: "AccessDenied"}
		}
		return nil
	}
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, []byte("x"))
	_, err := New(fs, fastOpts(Options{})).UploadFile(context.Background(), p, dst)
	if err == nil || fs.count("PutObject") != 1 {
		t.Fatalf("err %v after %d attempts; want one attempt and an error", err, fs.count("PutObject"))
	}
}

func TestCancelMidUploadAbortsEveryStartedUpload(t *testing.T) {
	fs := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "UploadPart" && c.Part == 2 {
			once.Do(cancel)
		}
		return nil
	}
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		writeFile(t, filepath.Join(dir, n), randomBytes(30*mib, 6))
	}
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Concurrency: 4}))
	sum, err := e.UploadDir(ctx, dir, object.Ref{Bucket: "b", Key: ""})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if fs.openUploads() != 0 {
		t.Fatalf("%d multipart uploads left open after cancel", fs.openUploads())
	}
	if fs.count("CreateMultipartUpload") == 0 || fs.count("AbortMultipartUpload") != fs.count("CreateMultipartUpload") {
		t.Fatalf("created %d, aborted %d", fs.count("CreateMultipartUpload"), fs.count("AbortMultipartUpload"))
	}
	if sum.Done != 0 {
		t.Fatalf("summary says %d done", sum.Done)
	}
}

// A part request still on its way when the run is cancelled can land after the abort and
// bring the upload back (versitygw does; AWS documents it). The engine must look again and
// abort again.
func TestAbortAgainWhenALatePartBringsTheUploadBack(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "file", true: "stream"}[stream], func(t *testing.T) {
			abortAgainWhenALatePartBringsTheUploadBack(t, stream)
		})
	}
}

// abortAgainWhenALatePartBringsTheUploadBack runs the test above for a file or, through
// the same multipart session, a stream of unknown size.
func abortAgainWhenALatePartBringsTheUploadBack(t *testing.T, stream bool) {
	fs := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	var once, late sync.Once
	fs.hook = func(c fakeCall, _ int) error {
		switch {
		case c.Op == "UploadPart" && c.Part == 2:
			once.Do(cancel)
		case c.Op == "ListParts":
			late.Do(func() { // the late part lands between the abort and the check
				fs.mu.Lock()
				fs.uploads[c.UploadID] = &fakeUpload{ref: dst, parts: map[int32][]byte{2: []byte("late")}}
				fs.mu.Unlock()
			})
		}
		return nil
	}
	p := filepath.Join(t.TempDir(), "big")
	writeFile(t, p, randomBytes(30*mib, 6))
	var aborted []Event
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Concurrency: 2,
		Observer: ObserverFunc(func(ev Event) {
			if ev.Kind == Aborted {
				aborted = append(aborted, ev)
			}
		})}))
	var err error
	if stream {
		_, err = e.UploadStream(ctx, bytes.NewReader(randomBytes(30*mib, 6)), dst)
	} else {
		_, err = e.UploadFile(ctx, p, dst)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if fs.openUploads() != 0 {
		t.Fatalf("the upload a late part brought back was left open")
	}
	if got := fs.count("AbortMultipartUpload"); got != 2 {
		t.Fatalf("%d aborts, want 2 (the first, and again after the late part)", got)
	}
	if len(aborted) != 1 || aborted[0].Err != nil {
		t.Fatalf("aborted events %+v, want one without an error", aborted)
	}
}

func TestFileThatGrowsDuringMultipartUploadFails(t *testing.T) {
	fs := newFake()
	p := filepath.Join(t.TempDir(), "log")
	writeFile(t, p, randomBytes(12*mib, 7))
	var once sync.Once
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "UploadPart" {
			once.Do(func() {
				f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
				_, _ = f.Write([]byte("more"))
				f.Close()
			})
		}
		return nil
	}
	_, err := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib})).UploadFile(context.Background(), p, dst)
	var se *SourceError
	if !errors.As(err, &se) || !errors.Is(err, errChanged) {
		t.Fatalf("err = %v, want a changed-source error", err)
	}
	if _, ok := fs.object(dst); ok || fs.openUploads() != 0 {
		t.Fatal("a changed file became an object, or its upload was left open")
	}
}

func TestFileThatShrinksDuringSinglePutFails(t *testing.T) {
	fs := newFake()
	p := filepath.Join(t.TempDir(), "log")
	writeFile(t, p, randomBytes(3*mib, 8))
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "PutObject" {
			return os.Truncate(p, mib)
		}
		return nil
	}
	_, err := New(fs, fastOpts(Options{})).UploadFile(context.Background(), p, dst)
	if !errors.Is(err, errChanged) {
		t.Fatalf("err = %v, want a changed-source error", err)
	}
	if fs.count("PutObject") != 1 {
		t.Fatal("a changed source must not be retried")
	}
	if _, ok := fs.object(dst); ok {
		t.Fatal("a changed file became an object")
	}
}

func TestFileThatChangesAtTheEndOfASinglePutFails(t *testing.T) {
	// The mtime changes but not the size: caught by the check before the last bytes go.
	// (A file of at most smallFileMax is read whole before the request: see the next test.)
	fs := newFake()
	p := filepath.Join(t.TempDir(), "log")
	writeFile(t, p, randomBytes(smallFileMax+1, 9))
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "PutObject" {
			return os.Chtimes(p, time.Now().Add(time.Hour), time.Now().Add(time.Hour))
		}
		return nil
	}
	_, err := New(fs, fastOpts(Options{})).UploadFile(context.Background(), p, dst)
	if !errors.Is(err, errChanged) {
		t.Fatalf("err = %v, want a changed-source error", err)
	}
}

// A small file is read once, whole, before its PutObject: checksum, body and mtime
// metadata are of the file as it was then. A change during the request (here its content
// and mtime, size kept) does not reach the object, and a retry sends the same bytes.
func TestSmallFileIsSentAsItWasRead(t *testing.T) {
	fs := newFake()
	p := filepath.Join(t.TempDir(), "log")
	want := randomBytes(smallFileMax, 10)
	writeFile(t, p, want)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	fs.hook = func(c fakeCall, attempt int) error {
		if c.Op != "PutObject" {
			return nil
		}
		if err := os.WriteFile(p, randomBytes(smallFileMax, 11), 0o644); err != nil {
			return err
		}
		if err := os.Chtimes(p, time.Now().Add(time.Hour), time.Now().Add(time.Hour)); err != nil {
			return err
		}
		if attempt == 1 {
			return &fakeErr{code: "SlowDown", retryable: true}
		}
		return nil
	}
	if _, err := New(fs, fastOpts(Options{})).UploadFile(context.Background(), p, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := fs.object(dst); !bytes.Equal(got, want) {
		t.Fatal("the object is not the file as it was read")
	}
	if n := fs.count("PutObject"); n != 2 {
		t.Fatalf("%d PutObject calls, want 2 (one retried)", n)
	}
	if m, ok := StoredMtime(fs.meta["b/k"]); !ok || !m.Equal(fi.ModTime()) {
		t.Fatalf("mtime metadata %v, want the file's when read (%v)", m, fi.ModTime())
	}
}

func TestUploadDirGoesOnPastAFailedFile(t *testing.T) {
	fs := newFake()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bad"), []byte("x"))
	writeFile(t, filepath.Join(dir, "good1"), []byte("y"))
	writeFile(t, filepath.Join(dir, "good2"), []byte("z"))
	fs.hook = func(c fakeCall, _ int) error {
		if c.Key == "bad" {
			return &fakeErr{code: "AccessDenied"}
		}
		return nil
	}
	sum, err := New(fs, fastOpts(Options{})).UploadDir(context.Background(), dir, object.Ref{Bucket: "b"})
	if !errors.Is(err, ErrSomeFailed) || sum.Done != 2 || sum.Failed != 1 || sum.Failures[0].Item.Src() != filepath.Join(dir, "bad") {
		t.Fatalf("err %v, summary %+v", err, sum)
	}
}

func TestUploadStreamOfUnknownLength(t *testing.T) {
	for _, n := range []int{0, 1000, 5 * mib, 17*mib + 3} {
		fs := newFake()
		data := randomBytes(n, uint64(n))
		e := New(fs, fastOpts(Options{PartSize: 5 * mib, MemoryBudget: 10 * mib, Concurrency: 8}))
		sum, err := e.UploadStream(context.Background(), bytes.NewReader(data), dst)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		got, ok := fs.object(dst)
		if !ok || !bytes.Equal(got, data) || sum.Bytes != int64(n) {
			t.Fatalf("%d bytes: object ok=%v equal=%v summary %+v", n, ok, bytes.Equal(got, data), sum)
		}
		multipart := fs.count("CreateMultipartUpload") == 1
		if multipart != (n > 5*mib) {
			t.Fatalf("%d bytes: multipart=%v", n, multipart)
		}
		// A budget of two parts allows at most two parts in memory, so at most two in flight.
		if m := fs.maxSeen.Load(); m > 2 {
			t.Fatalf("%d bytes: %d parts in flight with a two-part memory budget", n, m)
		}
	}
}

func TestUploadStreamReadErrorAbortsUpload(t *testing.T) {
	fs := newFake()
	r := io.MultiReader(bytes.NewReader(randomBytes(12*mib, 1)), errReader{})
	_, err := New(fs, fastOpts(Options{PartSize: 5 * mib})).UploadStream(context.Background(), r, dst)
	if err == nil || fs.openUploads() != 0 {
		t.Fatalf("err %v, open uploads %d", err, fs.openUploads())
	}
	if _, ok := fs.object(dst); ok {
		t.Fatal("a broken stream became an object")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("pipe broke") }

// With PartConcurrency below Concurrency, parts of big objects (UploadPart, ranged GETs)
// are at most PartConcurrency in flight, while small files use the rest of the requests;
// with Concurrency alone given, parts may take all of it.
func TestPartsHaveACapOfTheirOwn(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "big"), randomBytes(40*mib, 5))
	for i := range 40 {
		writeFile(t, filepath.Join(dir, "small", fmt.Sprint(i)), randomBytes(100, uint64(i)))
	}
	for _, c := range []struct{ conc, parts, wantParts int }{{6, 2, 2}, {4, 0, 4}} {
		fs := newFake()
		var parts, partsPeak, all, allPeak atomic.Int64
		peak := func(n *atomic.Int64, p *atomic.Int64) func() {
			v := n.Add(1)
			for m := p.Load(); v > m && !p.CompareAndSwap(m, v); m = p.Load() {
			}
			return func() { n.Add(-1) }
		}
		fs.hook = func(call fakeCall, _ int) error {
			defer peak(&all, &allPeak)()
			if call.Op == "UploadPart" || (call.Op == "GetObject" && call.Length > 0 && call.Length < 40*mib) {
				defer peak(&parts, &partsPeak)()
			}
			time.Sleep(5 * time.Millisecond)
			return nil
		}
		e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Concurrency: c.conc, PartConcurrency: c.parts}))
		if sum, err := e.UploadDir(context.Background(), dir, object.Ref{Bucket: "b", Key: "p/"}); err != nil || sum.Done != 41 {
			t.Fatalf("upload: %+v, %v", sum, err)
		}
		if _, err := e.DownloadFile(context.Background(), object.Ref{Bucket: "b", Key: "p/big"}, filepath.Join(t.TempDir(), "big")); err != nil {
			t.Fatal(err)
		}
		if p, a := partsPeak.Load(), allPeak.Load(); p != int64(c.wantParts) || a > int64(c.conc) || a <= p && c.parts > 0 {
			t.Errorf("Concurrency %d, PartConcurrency %d: %d parts and %d requests in flight at most; want %d parts, <= %d requests (more than the parts)",
				c.conc, c.parts, p, a, c.wantParts, c.conc)
		}
	}
}

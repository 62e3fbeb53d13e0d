package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/haul-s3/haul/object"
)

// leftovers lists files in dir other than want, such as temporary download files.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, e := range entries {
		found := false
		for _, w := range want {
			found = found || e.Name() == w
		}
		if !found {
			extra = append(extra, e.Name())
		}
	}
	return extra
}

func TestDownloadSmallAndRangedLarge(t *testing.T) {
	for _, n := range []int{0, 1000, 21*mib + 5} {
		fs := newFake()
		data := randomBytes(n, uint64(n)+1)
		fs.put(dst, data)
		dir := t.TempDir()
		target := filepath.Join(dir, "out")
		e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 8 * mib}))
		if _, err := e.DownloadFile(context.Background(), dst, target); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		got, err := os.ReadFile(target)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: file differs (%v)", n, err)
		}
		wantGets := 1
		if n > 8*mib {
			wantGets = 5
		}
		if g := fs.count("GetObject"); g != wantGets {
			t.Fatalf("%d bytes: %d GETs, want %d", n, g, wantGets)
		}
		if extra := leftovers(t, dir, "out"); len(extra) > 0 {
			t.Fatalf("left behind: %v", extra)
		}
	}
}

func TestDownloadRetriesATruncatedBody(t *testing.T) {
	fs := newFake()
	data := randomBytes(12*mib, 11)
	fs.put(dst, data)
	var mu sync.Mutex
	truncated := map[int64]bool{}
	fs.getHook = func(c fakeCall, body io.ReadCloser) io.ReadCloser {
		mu.Lock()
		defer mu.Unlock()
		if c.Offset == 5*mib && !truncated[c.Offset] {
			truncated[c.Offset] = true
			return io.NopCloser(io.LimitReader(body, 1000))
		}
		return body
	}
	target := filepath.Join(t.TempDir(), "out")
	e := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib}))
	if _, err := e.DownloadFile(context.Background(), dst, target); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); !bytes.Equal(got, data) {
		t.Fatal("file differs after a retried truncated part")
	}
	if g := fs.count("GetObject"); g != 4 {
		t.Fatalf("%d GETs, want 3 parts + 1 retry", g)
	}
}

func TestFailedDownloadLeavesNothing(t *testing.T) {
	fs := newFake()
	fs.put(dst, randomBytes(12*mib, 12))
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "GetObject" && c.Offset > 0 {
			return &fakeErr{code: "AccessDenied"}
		}
		return nil
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "out"), []byte("old contents"))
	_, err := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib})).DownloadFile(context.Background(), dst, filepath.Join(dir, "out"))
	if err == nil {
		t.Fatal("want an error")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "out")); string(got) != "old contents" {
		t.Fatal("a failed download changed the existing target")
	}
	if extra := leftovers(t, dir, "out"); len(extra) > 0 {
		t.Fatalf("left behind: %v", extra)
	}
}

func TestCancelledDownloadLeavesNoPartialFile(t *testing.T) {
	fs := newFake()
	fs.put(dst, randomBytes(30*mib, 13))
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "GetObject" && c.Offset >= 10*mib {
			once.Do(cancel)
		}
		return nil
	}
	dir := t.TempDir()
	_, err := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Concurrency: 2})).DownloadFile(ctx, dst, filepath.Join(dir, "out"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if extra := leftovers(t, dir); len(extra) > 0 {
		t.Fatalf("left behind after cancel: %v", extra)
	}
}

func TestObjectChangedDuringDownloadIsNotStitched(t *testing.T) {
	fs := newFake()
	fs.put(dst, randomBytes(12*mib, 14))
	var once sync.Once
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "GetObject" && c.Offset > 0 {
			once.Do(func() { fs.put(dst, randomBytes(12*mib, 15)) })
		}
		return nil
	}
	dir := t.TempDir()
	_, err := New(fs, fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, Concurrency: 1})).DownloadFile(context.Background(), dst, filepath.Join(dir, "out"))
	var fe *fakeErr
	if !errors.As(err, &fe) || fe.code != "PreconditionFailed" {
		t.Fatalf("err = %v, want PreconditionFailed", err)
	}
	if extra := leftovers(t, dir); len(extra) > 0 {
		t.Fatalf("left behind: %v", extra)
	}
}

func TestDownloadPrefixRefusesEscapingKeysAndSkipsMarkers(t *testing.T) {
	fs := newFake()
	for _, k := range []string{"p/a.txt", "p/sub/b.txt", "p/sub/", "p/../escape", "p//abs", "p/c\\d"} {
		fs.put(object.Ref{Bucket: "b", Key: k}, []byte(k))
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	sum, err := New(fs, fastOpts(Options{})).DownloadPrefix(context.Background(), object.Ref{Bucket: "b", Key: "p/"}, out)
	if !errors.Is(err, ErrSomeFailed) || sum.Done != 2 || sum.Failed != 3 {
		t.Fatalf("err %v, summary %+v", err, sum)
	}
	for _, f := range sum.Failures {
		if !strings.Contains(f.Err.Error(), "refused") {
			t.Errorf("%s: %v, want a refusal", f.Item.Src(), f.Err)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(out, "sub", "b.txt")); string(got) != "p/sub/b.txt" {
		t.Fatal("p/sub/b.txt not downloaded")
	}
	if extra := leftovers(t, dir, "out"); len(extra) > 0 {
		t.Fatalf("something was written beside the destination: %v", extra)
	}
}

func TestDownloadStreamResumesFromLastByte(t *testing.T) {
	fs := newFake()
	data := randomBytes(3*mib, 16)
	fs.put(dst, data)
	first := true
	fs.getHook = func(c fakeCall, body io.ReadCloser) io.ReadCloser {
		if first {
			first = false
			// a connection reset mid-body: s3store reports it as a retryable error
			return io.NopCloser(io.MultiReader(io.LimitReader(body, mib), failReader{&fakeErr{code: "reset", retryable: true}}))
		}
		return body
	}
	var out bytes.Buffer
	if _, err := New(fs, fastOpts(Options{})).DownloadStream(context.Background(), dst, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Fatal("stream differs")
	}
	if c := fs.calls[len(fs.calls)-1]; c.Offset != mib {
		t.Fatalf("resumed at %d, want %d", c.Offset, mib)
	}
}

type failReader struct{ err error }

func (f failReader) Read([]byte) (int, error) { return 0, f.err }

// A listing that fails part way is listed again; the keys already queued must not be
// queued twice (twice the downloads, and a summary counting more files than there are).
func TestListingRetriedPartWayQueuesEachKeyOnce(t *testing.T) {
	fs := newFake()
	for i := range 20 {
		fs.put(object.Ref{Bucket: "b", Key: fmt.Sprintf("p/%02d", i)}, randomBytes(100, uint64(i)))
	}
	fs.listFailAfter = 7
	dir := t.TempDir()
	sum, err := New(fs, fastOpts(Options{})).DownloadPrefix(context.Background(), object.Ref{Bucket: "b", Key: "p/"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if fs.count("List") != 2 || sum.Done != 20 || fs.count("GetObject") != 20 {
		t.Fatalf("%d listings, %d done, %d GETs; want 2, 20, 20", fs.count("List"), sum.Done, fs.count("GetObject"))
	}
}

package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

// stallOnce makes the first attempt of the matching call hang with the given stall error.
func stallOnce(op string, part int32, how error) func(fakeCall, int) error {
	return func(c fakeCall, attempt int) error {
		if c.Op == op && c.Part == part && attempt == 1 {
			return how
		}
		return nil
	}
}

// stallEvents returns options with a short stall timeout and a count of the Retrying
// events that were stalls.
func stallEvents(stalls *int) Options {
	return fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 5 * mib, StallTimeout: 200 * time.Millisecond,
		Observer: ObserverFunc(func(ev Event) {
			var se *StallError
			if ev.Kind == Retrying && errors.As(ev.Err, &se) {
				*stalls++
			}
		})})
}

func TestStalledPartIsCancelledAndRetried(t *testing.T) {
	fs := newFake()
	fs.hook = stallOnce("UploadPart", 2, errStallHere)
	data := randomBytes(12*mib, 61)
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, data)
	stalls := 0
	if _, err := New(fs, stallEvents(&stalls)).UploadFile(context.Background(), p, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := fs.object(dst); !bytes.Equal(got, data) || stalls != 1 || fs.partAttempts("k", 2) != 2 {
		t.Fatalf("object equal %v, stalls %d, part 2 attempts %d", bytes.Equal(got, data), stalls, fs.partAttempts("k", 2))
	}
}

func TestStalledDownloadBodyIsCancelledAndRetried(t *testing.T) {
	data := randomBytes(12*mib, 62)
	for _, how := range []error{errStallHere, errStallBody} {
		fs := newFake()
		fs.put(dst, data)
		fs.hook = stallOnce("GetObject", 0, how)
		stalls := 0
		target := filepath.Join(t.TempDir(), "out")
		if _, err := New(fs, stallEvents(&stalls)).DownloadFile(context.Background(), dst, target); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(target); !bytes.Equal(got, data) || stalls != 1 {
			t.Fatalf("%v: file equal %v, stalls %d", how, bytes.Equal(got, data), stalls)
		}
	}
}

// With the stall timeout off a stalled request waits for ever: here, until the caller's
// own deadline. This shows the timeout is what rescued the runs above.
func TestStallTimeoutOffWaits(t *testing.T) {
	fs := newFake()
	fs.put(dst, randomBytes(1000, 63))
	fs.hook = stallOnce("GetObject", 0, errStallHere)
	opts := fastOpts(Options{StallTimeout: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := New(fs, opts).DownloadFile(ctx, dst, filepath.Join(t.TempDir(), "out"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
}

// A listing that stalls is cancelled and listed again, like any request; a listing that
// only waits for a busy scheduler to take its next item has not stalled.
func TestStalledListingIsRetriedAndBusyOneIsNot(t *testing.T) {
	fs := newFake()
	for i := range 10 {
		fs.put(object.Ref{Bucket: "b", Key: fmt.Sprintf("p/k%d", i)}, randomBytes(100, uint64(i)))
	}
	fs.hook = func(c fakeCall, attempt int) error {
		switch {
		case c.Op == "List" && attempt == 1:
			return errStallHere
		}
		return nil
	}
	// Each GET's body trickles: 10 bytes every 20 ms, so a GET moves bytes often enough
	// but takes 200 ms, and the listing waits that long to hand over its next key.
	fs.getHook = func(_ fakeCall, body io.ReadCloser) io.ReadCloser { return slowBody{body} }
	e := New(fs, fastOpts(Options{StallTimeout: 100 * time.Millisecond, Concurrency: 1}))
	sum, err := e.DownloadPrefix(context.Background(), object.Ref{Bucket: "b", Key: "p/"}, t.TempDir())
	if err != nil || sum.Done != 10 {
		t.Fatalf("err = %v, summary %+v", err, sum)
	}
	if n := fs.count("List"); n != 2 {
		t.Fatalf("%d listings, want 2: the stalled one and the one after it", n)
	}
}

type slowBody struct{ io.ReadCloser }

func (b slowBody) Read(p []byte) (int, error) {
	time.Sleep(20 * time.Millisecond)
	return b.ReadCloser.Read(p[:min(len(p), 10)])
}

package transfer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/haul-s3/haul/object"
)

// countingLimiter records what it was asked to wait for; it never waits.
type countingLimiter struct {
	burst int

	mu     sync.Mutex
	total  int64
	calls  int
	maxAsk int
}

func (c *countingLimiter) WaitN(ctx context.Context, n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total += int64(n)
	c.calls++
	c.maxAsk = max(c.maxAsk, n)
	return ctx.Err()
}

func (c *countingLimiter) Burst() int { return c.burst }

func (c *countingLimiter) counts() (total int64, calls, maxAsk int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total, c.calls, c.maxAsk
}

// Every byte of every body goes through the limiter of its direction, once, at most a
// burst per wait: files in one PUT and in parts, streams, downloads whole, in ranges and to
// a writer, and both halves of a copy between stores. Nothing else is counted.
func TestBandwidthPacesEveryBody(t *testing.T) {
	const burst = 5000
	small, large := randomBytes(1000, 71), randomBytes(13*mib+3, 72)
	opts := func(up, down *countingLimiter) Options {
		return fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 8 * mib, Bandwidth: Bandwidth{Up: up, Down: down}})
	}
	for _, tc := range []struct {
		name string
		data []byte
		run  func(t *testing.T, data []byte, o Options) error
		up   bool // the bytes go up, or down, or (copies between stores) both
		down bool
	}{
		{"upload file small", small, uploadFileRun, true, false},
		{"upload file in parts", large, uploadFileRun, true, false},
		{"upload stream small", small, uploadStreamRun, true, false},
		{"upload stream in parts", large, uploadStreamRun, true, false},
		{"download small", small, downloadFileRun, false, true},
		{"download in ranges", large, downloadFileRun, false, true},
		{"download stream", large, downloadStreamRun, false, true},
		{"copy between stores small", small, relayRun, true, true},
		{"copy between stores in parts", large, relayRun, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, down := &countingLimiter{burst: burst}, &countingLimiter{burst: burst}
			if err := tc.run(t, tc.data, opts(up, down)); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name string
				lim  *countingLimiter
				used bool
			}{{"up", up, tc.up}, {"down", down, tc.down}} {
				total, calls, maxAsk := c.lim.counts()
				want := int64(0)
				if c.used {
					want = int64(len(tc.data))
				}
				if total != want {
					t.Errorf("%s: the limiter was asked for %d bytes in %d waits, want %d", c.name, total, calls, want)
				}
				if maxAsk > burst {
					t.Errorf("%s: a wait asked for %d bytes, more than the burst %d", c.name, maxAsk, burst)
				}
			}
		})
	}
}

func uploadFileRun(t *testing.T, data []byte, o Options) error {
	fs := newFake()
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, data)
	if _, err := New(fs, o).UploadFile(context.Background(), p, dst); err != nil {
		return err
	}
	if got, _ := fs.object(dst); !bytes.Equal(got, data) {
		t.Error("the object differs from the file")
	}
	return nil
}

func uploadStreamRun(t *testing.T, data []byte, o Options) error {
	fs := newFake()
	if _, err := New(fs, o).UploadStream(context.Background(), bytes.NewReader(data), dst); err != nil {
		return err
	}
	if got, _ := fs.object(dst); !bytes.Equal(got, data) {
		t.Error("the object differs from the stream")
	}
	return nil
}

func downloadFileRun(t *testing.T, data []byte, o Options) error {
	fs := newFake()
	fs.put(dst, data)
	target := filepath.Join(t.TempDir(), "out")
	if _, err := New(fs, o).DownloadFile(context.Background(), dst, target); err != nil {
		return err
	}
	if got, _ := os.ReadFile(target); !bytes.Equal(got, data) {
		t.Error("the file differs from the object")
	}
	return nil
}

func downloadStreamRun(t *testing.T, data []byte, o Options) error {
	fs := newFake()
	fs.put(dst, data)
	var out bytes.Buffer
	if _, err := New(fs, o).DownloadStream(context.Background(), dst, &out); err != nil {
		return err
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Error("the stream differs from the object")
	}
	return nil
}

func relayRun(t *testing.T, data []byte, o Options) error {
	from, to := newCopyStore("a"), newCopyStore("b")
	put(t, from, copySrc, data, object.Options{})
	o.Source = from
	if _, err := New(to, o).Run(context.Background(), CopyItem(copySrc, copyDst)); err != nil {
		return err
	}
	if got := stored(t, to, copyDst); !bytes.Equal(got.Data, data) {
		t.Error("the copy differs from the source")
	}
	return nil
}

// fileBodyStore records whether the part bodies it was given show their file
// (FileSection, with which s3store sends a part by sendfile, past any pacing).
type fileBodyStore struct {
	*fakeStore
	mu            sync.Mutex
	shown, hidden int
}

func (f *fileBodyStore) UploadPart(ctx context.Context, ref object.Ref, id string, num int32, body io.ReadSeeker, size int64, sum object.Checksum) (string, error) {
	_, ok := body.(interface {
		FileSection() (*os.File, int64, int64)
	})
	f.mu.Lock()
	if ok {
		f.shown++
	} else {
		f.hidden++
	}
	f.mu.Unlock()
	return f.fakeStore.UploadPart(ctx, ref, id, num, body, size, sum)
}

// A paced upload's parts are read through the pacing: the store is not shown the file.
// Without a limit it is (the test can tell).
func TestPacedUploadHidesTheFile(t *testing.T) {
	data := randomBytes(11*mib, 73)
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, data)
	for _, paced := range []bool{false, true} {
		st := &fileBodyStore{fakeStore: newFake()}
		o := fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 8 * mib})
		if paced {
			o.Bandwidth.Up = &countingLimiter{}
		}
		if _, err := New(st, o).UploadFile(context.Background(), p, dst); err != nil {
			t.Fatal(err)
		}
		if paced && (st.shown != 0 || st.hidden != 3) || !paced && (st.shown != 3 || st.hidden != 0) {
			t.Errorf("paced %v: %d parts showed their file, %d did not", paced, st.shown, st.hidden)
		}
	}
}

// slowLimiter makes its first wait last d (or until ctx ends), as a low cap does.
type slowLimiter struct {
	d    time.Duration
	once sync.Once
}

func (s *slowLimiter) WaitN(ctx context.Context, n int) error {
	var err error
	s.once.Do(func() {
		select {
		case <-time.After(s.d):
		case <-ctx.Done():
			err = ctx.Err()
		}
	})
	return err
}

func (s *slowLimiter) Burst() int { return 0 }

// A request waiting for the bandwidth limit moves no byte, yet is not stalled: the stall
// watch is held while it waits (here four times the stall timeout), up and down.
func TestBandwidthWaitIsNotAStall(t *testing.T) {
	data := randomBytes(6*mib, 74)
	for _, dir := range []string{"up", "down"} {
		t.Run(dir, func(t *testing.T) {
			stalls := 0
			o := stallEvents(&stalls)
			o.StallTimeout = 500 * time.Millisecond
			lim := &slowLimiter{d: 4 * o.StallTimeout}
			fs := &cancelledStore{fakeStore: newFake()}
			var err error
			if dir == "up" {
				o.Bandwidth.Up = lim
				p := filepath.Join(t.TempDir(), "f")
				writeFile(t, p, data)
				_, err = New(fs, o).UploadFile(context.Background(), p, dst)
			} else {
				o.Bandwidth.Down = lim
				fs.put(dst, data)
				_, err = New(fs, o).DownloadFile(context.Background(), dst, filepath.Join(t.TempDir(), "out"))
			}
			if err != nil || stalls != 0 {
				t.Fatalf("err %v, %d stalls: a wait for the limit was taken for a stall", err, stalls)
			}
		})
	}
}

// cancelledStore fails an upload whose context ends while its body is read, as an HTTP
// request does (the fake reads bodies to the end regardless).
type cancelledStore struct{ *fakeStore }

func (c *cancelledStore) UploadPart(ctx context.Context, ref object.Ref, id string, num int32, body io.ReadSeeker, size int64, sum object.Checksum) (string, error) {
	return c.fakeStore.UploadPart(ctx, ref, id, num, ctxBody{ctx: ctx, ReadSeeker: body}, size, sum)
}

// ctxBody is a body whose reads fail once ctx has ended, as a connection's writes do.
type ctxBody struct {
	ctx context.Context //nolint:containedctx // it stands for a connection
	io.ReadSeeker
}

func (b ctxBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	return b.ReadSeeker.Read(p)
}

// blockingLimiter waits until ctx ends, and says when the first wait began.
type blockingLimiter struct {
	started chan struct{}
	once    sync.Once
}

func (b *blockingLimiter) WaitN(ctx context.Context, n int) error {
	b.once.Do(func() { close(b.started) })
	<-ctx.Done()
	return ctx.Err()
}

func (b *blockingLimiter) Burst() int { return 1024 }

// A cancel ends a wait for the limit at once; the run returns the context's error and
// aborts the upload it started.
func TestBandwidthWaitEndsWithCancel(t *testing.T) {
	data := randomBytes(11*mib, 75)
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, data)
	fs := newFake()
	lim := &blockingLimiter{started: make(chan struct{})}
	o := fastOpts(Options{PartSize: 5 * mib, MultipartThreshold: 8 * mib, Bandwidth: Bandwidth{Up: lim}})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-lim.started
		cancel()
	}()
	_, err := New(fs, o).UploadFile(ctx, p, dst)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if n := fs.openUploads(); n != 0 {
		t.Errorf("%d uploads left open", n)
	}
}

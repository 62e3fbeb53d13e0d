package transfer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

// writeChunks writes data to w in chunks of n bytes, as io.Copy would, and returns the first
// error.
func writeChunks(w io.Writer, data []byte, n int) error {
	for len(data) > 0 {
		k := min(n, len(data))
		if _, err := w.Write(data[:k]); err != nil {
			return err
		}
		data = data[k:]
	}
	return nil
}

func TestWriterSmallWriteIsOnePut(t *testing.T) {
	fs := newFake()
	data := randomBytes(1000, 1)
	w := New(fs, fastOpts(Options{})).NewWriter(t.Context(), dst)
	if err := writeChunks(w, data, 300); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := fs.object(dst)
	if !bytes.Equal(got, data) {
		t.Fatalf("object has %d bytes, want the %d written", len(got), len(data))
	}
	if fs.count("PutObject") != 1 || fs.count("CreateMultipartUpload") != 0 {
		t.Fatalf("%d PutObject, %d CreateMultipartUpload; want one PutObject", fs.count("PutObject"), fs.count("CreateMultipartUpload"))
	}
	if sum := w.Summary(); sum.Done != 1 || sum.Bytes != 1000 {
		t.Fatalf("summary %+v", sum)
	}
}

func TestWriterLargeWriteIsMultipart(t *testing.T) {
	fs := newFake()
	data := randomBytes(17*mib+3, 2)
	w := New(fs, fastOpts(Options{PartSize: 5 * mib, MemoryBudget: 10 * mib, Concurrency: 4})).NewWriter(t.Context(), dst)
	if err := writeChunks(w, data, 100_003); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := fs.object(dst)
	if !bytes.Equal(got, data) {
		t.Fatalf("object has %d bytes (equal %v), want the %d written", len(got), bytes.Equal(got, data), len(data))
	}
	if fs.count("CreateMultipartUpload") != 1 || fs.count("UploadPart") != 4 || fs.openUploads() != 0 {
		t.Fatalf("%d uploads created, %d parts, %d left open; want 1, 4, 0",
			fs.count("CreateMultipartUpload"), fs.count("UploadPart"), fs.openUploads())
	}
	if sum := w.Summary(); sum.Done != 1 || sum.Bytes != int64(len(data)) {
		t.Fatalf("summary %+v", sum)
	}
}

func TestWriterCloseWithErrorStoresNothing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		size      int
		multipart bool // the upload had started before CloseWithError
	}{
		{"within the first part", mib, false},
		{"after parts were sent", 12 * mib, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFake()
			w := New(fs, fastOpts(Options{PartSize: 5 * mib})).NewWriter(t.Context(), dst)
			if err := writeChunks(w, randomBytes(tc.size, 3), 64<<10); err != nil {
				t.Fatal(err)
			}
			boom := errors.New("encoder failed")
			err := w.CloseWithError(boom)
			var src *SourceError
			if !errors.Is(err, boom) || !errors.As(err, &src) {
				t.Fatalf("CloseWithError returned %v, want the caller's error in a *SourceError", err)
			}
			if _, ok := fs.object(dst); ok {
				t.Fatal("an abandoned stream became an object")
			}
			if fs.openUploads() != 0 {
				t.Fatalf("%d multipart uploads left open", fs.openUploads())
			}
			if started := fs.count("CreateMultipartUpload") == 1; started != tc.multipart || started != (fs.count("AbortMultipartUpload") > 0) {
				t.Fatalf("%d uploads created, %d aborts", fs.count("CreateMultipartUpload"), fs.count("AbortMultipartUpload"))
			}
			if sum := w.Summary(); sum.Failed != 1 || sum.Done != 0 {
				t.Fatalf("summary %+v", sum)
			}
			if err2 := w.Close(); !errors.Is(err2, err) {
				t.Fatalf("Close after CloseWithError returned %v, want %v", err2, err)
			}
		})
	}
}

// TestWriterCancelAbortsWithoutClose: a cancel reaches an upload that waits for a Write,
// and aborts it before Close is called.
func TestWriterCancelAbortsWithoutClose(t *testing.T) {
	fs := newFake()
	ctx, cancel := context.WithCancel(t.Context())
	w := New(fs, fastOpts(Options{PartSize: 5 * mib})).NewWriter(ctx, dst)
	if err := writeChunks(w, randomBytes(12*mib, 4), 1<<20); err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(10 * time.Second)
	for w.Summary().NotDone != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the upload did not end after the cancel")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if fs.count("CreateMultipartUpload") != 1 || fs.openUploads() != 0 {
		t.Fatalf("%d uploads created, %d left open; want 1, 0", fs.count("CreateMultipartUpload"), fs.openUploads())
	}
	if _, err := w.Write([]byte("more")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write after cancel: %v, want context.Canceled", err)
	}
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close after cancel: %v, want context.Canceled", err)
	}
	if _, ok := fs.object(dst); ok {
		t.Fatal("a cancelled stream became an object")
	}
}

// TestWriterCancelDuringWrite: a Write blocked on the upload returns when ctx is cancelled.
func TestWriterCancelDuringWrite(t *testing.T) {
	fs := newFake()
	sent := make(chan struct{}, 1)
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "UploadPart" {
			select {
			case sent <- struct{}{}:
			default:
			}
			return errStallHere // the part never lands: the writer must wait
		}
		return nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	w := New(fs, fastOpts(Options{PartSize: 5 * mib, MemoryBudget: 10 * mib})).NewWriter(ctx, dst)
	werr := make(chan error, 1)
	go func() {
		chunk := randomBytes(1<<20, 5)
		for {
			if _, err := w.Write(chunk); err != nil {
				werr <- err
				return
			}
		}
	}()
	<-sent
	cancel()
	select {
	case err := <-werr:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("blocked Write returned %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a Write blocked on the upload did not return after the cancel")
	}
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close: %v, want context.Canceled", err)
	}
	if fs.openUploads() != 0 {
		t.Fatalf("%d multipart uploads left open", fs.openUploads())
	}
	if sum := w.Summary(); sum.NotDone != 1 || sum.Done != 0 || sum.Failed != 0 {
		t.Fatalf("summary %+v", sum)
	}
}

func TestWriterCancelledBeforeStart(t *testing.T) {
	fs := newFake()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	w := New(fs, fastOpts(Options{})).NewWriter(ctx, dst)
	if _, err := w.Write([]byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write: %v, want context.Canceled", err)
	}
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close: %v, want context.Canceled (nothing is stored)", err)
	}
	if _, ok := fs.object(dst); ok || fs.count("PutObject") != 0 {
		t.Fatal("a cancelled writer stored an object")
	}
}

func TestWriterWriteAfterClose(t *testing.T) {
	fs := newFake()
	w := New(fs, fastOpts(Options{})).NewWriter(t.Context(), dst)
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Write([]byte("more")); n != 0 || !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("Write after Close: %d, %v; want 0, io.ErrClosedPipe", n, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.CloseWithError(errors.New("too late")); err != nil {
		t.Fatalf("CloseWithError after Close: %v, want the upload's outcome (nil)", err)
	}
	if got, _ := fs.object(dst); string(got) != "hello" {
		t.Fatalf("object %q, want %q", got, "hello")
	}
}

// TestWriterWriteReturnsTheUploadsFailure: once the upload has failed, Write says so
// rather than taking bytes that go nowhere.
func TestWriterWriteReturnsTheUploadsFailure(t *testing.T) {
	fs := newFake()
	fs.hook = func(c fakeCall, _ int) error {
		if c.Op == "CreateMultipartUpload" {
			return &fakeErr{code: "AccessDenied"}
		}
		return nil
	}
	w := New(fs, fastOpts(Options{PartSize: 5 * mib})).NewWriter(t.Context(), dst)
	err := writeChunks(w, randomBytes(20*mib, 6), 1<<20)
	var fe *fakeErr
	if !errors.As(err, &fe) || fe.code != "AccessDenied" {
		t.Fatalf("Write: %v, want the upload's AccessDenied", err)
	}
	if cerr := w.Close(); !errors.Is(cerr, err) {
		t.Fatalf("Close: %v, want the error Write returned (%v)", cerr, err)
	}
	if sum := w.Summary(); sum.Failed != 1 {
		t.Fatalf("summary %+v", sum)
	}
}

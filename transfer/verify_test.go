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
)

// flipReader flips one byte of a body as it passes, like a corrupting middlebox.
type flipReader struct {
	io.ReadCloser
	at, pos int64
}

func (f *flipReader) Read(p []byte) (int, error) {
	n, err := f.ReadCloser.Read(p)
	if f.at >= f.pos && f.at < f.pos+int64(n) {
		p[f.at-f.pos] ^= 1
	}
	f.pos += int64(n)
	return n, err
}

func TestCorruptedDownloadIsRetriedThenVerified(t *testing.T) {
	fs := newFake()
	data := randomBytes(300_000, 41)
	fs.put(dst, data)
	var mu sync.Mutex
	gets := 0
	fs.getHook = func(_ fakeCall, body io.ReadCloser) io.ReadCloser {
		mu.Lock()
		defer mu.Unlock()
		if gets++; gets == 1 {
			return &flipReader{ReadCloser: body, at: 1234}
		}
		return body
	}
	var verified string
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == Done {
			verified = ev.Verified
		}
	})
	target := filepath.Join(t.TempDir(), "out")
	if _, err := New(fs, fastOpts(Options{Observer: obs})).DownloadFile(context.Background(), dst, target); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); !bytes.Equal(got, data) || gets != 2 || verified != "md5" {
		t.Fatalf("file equal %v, %d GETs, verified %q; want the corrupted GET retried and md5 reported", bytes.Equal(got, data), gets, verified)
	}
}

func TestPersistentCorruptionFailsAndWritesNothing(t *testing.T) {
	fs := newFake()
	fs.put(dst, randomBytes(300_000, 42))
	fs.getHook = func(_ fakeCall, body io.ReadCloser) io.ReadCloser { return &flipReader{ReadCloser: body, at: 7} }
	dir := t.TempDir()
	_, err := New(fs, fastOpts(Options{Retries: 2})).DownloadFile(context.Background(), dst, filepath.Join(dir, "out"))
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a VerifyError", err)
	}
	if extra := leftovers(t, dir); len(extra) > 0 {
		t.Fatalf("a corrupted download left %v", extra)
	}
	// With verification off the same corruption goes through: the switch really switches.
	_, err = New(fs, fastOpts(Options{SkipVerify: true})).DownloadFile(context.Background(), dst, filepath.Join(dir, "out"))
	if err != nil {
		t.Fatalf("with SkipVerify: %v", err)
	}
}

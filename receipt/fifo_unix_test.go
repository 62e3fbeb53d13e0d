//go:build unix

package receipt

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A receipt can be a named pipe (or /dev/stdout, which may be one): it is written to as
// it is, with no seek and no cut.
func TestCreateOnAPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	w, cut, err := Create(path)
	if err != nil || cut != 0 {
		t.Fatalf("Create on a named pipe = cut %d, %v", cut, err)
	}
	if err := w.Write(line(Upload, "a", 1)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if s := <-got; !strings.HasPrefix(s, `{"op":"upload"`) || !strings.HasSuffix(s, "}\n") {
		t.Fatalf("read from the pipe: %q", s)
	}
}

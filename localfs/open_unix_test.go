//go:build unix

package localfs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A download's file gets 0644 less the umask, from its creation on (no chmod afterwards).
func TestCreateTempTakesTheUmask(t *testing.T) {
	for _, tc := range []struct{ umask, want os.FileMode }{{0o022, 0o644}, {0o077, 0o600}, {0o002, 0o644}} {
		old := syscall.Umask(int(tc.umask))
		f, err := CreateTemp(filepath.Join(t.TempDir(), "t"))
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := f.Stat()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != tc.want {
			t.Errorf("umask %03o: mode %v, want %v", tc.umask, fi.Mode().Perm(), tc.want)
		}
	}
}

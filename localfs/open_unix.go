//go:build unix

package localfs

import (
	"os"
	"syscall"
)

// openFile is os.OpenFile for a regular file, without the poller (see Open): os.NewFile
// of a blocking descriptor leaves it out, at the cost of one fcntl.
func openFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	for {
		fd, err := syscall.Open(path, flag|syscall.O_CLOEXEC, uint32(perm.Perm()))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return os.NewFile(uintptr(fd), path), nil
	}
}

package localfs

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// Open opens the file at path for reading, as os.Open does, for a transfer that reads a
// regular file with ReadAt or Read. Where the platform allows (unix), the descriptor is
// not offered to the runtime's network poller: a regular file cannot be polled, and
// os.Open's attempt costs four fcntl calls and a refused epoll_ctl per file, which is a
// fifth of the system calls of a small file's upload. Deadlines (SetReadDeadline) do not
// work on the file it returns; nothing here uses them.
func Open(path string) (*os.File, error) {
	return openFile(path, os.O_RDONLY, 0)
}

// CreateTemp creates a new temporary file in the directory of target, named after it, for
// a download that is renamed onto target once complete. The caller closes and removes it.
// The file is created with mode 0644 less the process's umask, the mode the finished file
// keeps (as cp and curl give theirs), and without the poller (see Open).
func CreateTemp(target string) (*os.File, error) {
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	prefix := filepath.Join(dir, "."+base+".haul-")
	for range 10000 {
		name := prefix + strconv.FormatUint(uint64(rand.Uint32()), 10) + ".tmp"
		f, err := openFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, &os.PathError{Op: "createtemp", Path: prefix + "*.tmp", Err: os.ErrExist}
}

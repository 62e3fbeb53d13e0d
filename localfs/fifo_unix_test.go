//go:build unix

package localfs

import "syscall"

// mkfifo makes a named pipe at path, for the tests of special files.
func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }

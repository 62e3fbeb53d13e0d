//go:build unix

package e2e

import (
	"os"
	"os/exec"
	"syscall"
)

// peakRSS returns the peak resident set of a finished process, in bytes (0 if unknown).
func peakRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10 // KiB on Linux
	}
	return 0
}

// mkfifo makes a named pipe at path.
func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }

// runAsNobody has cmd run as uid and gid 65534, so that a test run as root still meets a
// file it may not read.
func runAsNobody(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
}

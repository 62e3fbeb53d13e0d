//go:build unix

package s3test

import (
	"errors"
	"os"
	"syscall"
)

// killGroup kills the process group that sysProcAttr made proc the leader of, so that
// nothing the server spawned outlives it; proc alone if the group cannot be signalled.
func killGroup(proc *os.Process) {
	err := syscall.Kill(-proc.Pid, syscall.SIGKILL)
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		_ = proc.Kill()
	}
}

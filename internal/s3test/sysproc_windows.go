package s3test

import (
	"os"
	"syscall"
)

// sysProcAttr asks for nothing on Windows: there is no process group to kill at once and
// no parent-death signal, so a server outlives a test binary that dies without its cleanup.
// The tests are only run on Linux; this file lets the package (and go vet) build here.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// killGroup kills proc itself (TerminateProcess); processes it spawned are not killed.
func killGroup(proc *os.Process) { _ = proc.Kill() }

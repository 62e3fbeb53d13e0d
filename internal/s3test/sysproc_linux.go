package s3test

import "syscall"

// sysProcAttr puts the server in its own process group (so stop can kill
// every process it spawned) and has the kernel kill it if the test binary
// dies without running its cleanup, e.g. on a -timeout panic.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

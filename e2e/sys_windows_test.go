package e2e

import (
	"errors"
	"os/exec"
)

// The end-to-end suite runs on Linux (make test); on Windows it only has to compile, for
// go vet. These stand in for the Unix helpers of sys_unix_test.go.

// mkfifo fails: Windows has no named pipes in the file system.
func mkfifo(string) error { return errors.New("no FIFOs on Windows") }

// runAsNobody does nothing: it is only called when os.Geteuid() is 0, never on Windows.
func runAsNobody(*exec.Cmd) {}

//go:build windows

package cli

import (
	"errors"
	"syscall"

	"golang.org/x/sys/windows"
)

// closedPipe reports whether a write failed because the reader went away: Windows reports a
// pipe whose reader closed as ERROR_NO_DATA or ERROR_BROKEN_PIPE, not EPIPE.
func closedPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, windows.ERROR_NO_DATA) || errors.Is(err, windows.ERROR_BROKEN_PIPE)
}

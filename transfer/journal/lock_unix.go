//go:build unix

package journal

import (
	"errors"
	"os"
	"syscall"
)

// lock takes an exclusive flock on f without waiting, or returns errLockHeld when another
// open file (in this process or another) holds it. The kernel releases it when f is closed
// or the process dies, kill -9 included. flock is advisory: it keeps out other haul
// processes, not other programs, and does not work across NFS on every system.
func lock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLockHeld
	}
	return err
}

// removeWhileOpen says that Remove unlinks the journal before closing it, so that the lock
// is held until the name is gone and no other process can open the finished journal.
const removeWhileOpen = true

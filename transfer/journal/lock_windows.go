package journal

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockOffsetHigh places the byte that lock locks at 2^62, far past anything the journal will
// hold: Windows locks are mandatory byte ranges, and a lock over the records would make them
// unreadable through any other handle, Inspect's (haul resume) included.
const lockOffsetHigh = 1 << 30

// lock takes an exclusive LockFileEx lock on f without waiting, or returns errLockHeld when
// another handle (in this process or another) holds it. Windows releases it when f is
// closed, and when the process dies, though not always at once. Like flock, it keeps out
// other haul processes; other programs can still read and write the journal.
func lock(f *os.File) error {
	ol := &windows.Overlapped{OffsetHigh: lockOffsetHigh}
	err := windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLockHeld
	}
	return err
}

// removeWhileOpen says that Remove closes the journal before deleting it: Go opens files
// without FILE_SHARE_DELETE, so an open file cannot be deleted. Between the two another haul
// could open the finished journal; it would find nothing left to do, and this Remove fails.
const removeWhileOpen = false

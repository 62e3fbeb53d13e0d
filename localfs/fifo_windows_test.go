package localfs

import "errors"

// mkfifo fails: Windows has no named pipes in the file system, so the tests that need one skip.
func mkfifo(string) error { return errors.New("no FIFOs on Windows") }

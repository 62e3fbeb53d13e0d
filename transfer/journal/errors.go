package journal

import "fmt"

// DamagedError is a journal whose record at Line cannot be read (a torn last line is not
// damage: it is dropped). The journal cannot be continued; removing it starts the copy
// over, and the multipart uploads it recorded are left on the server until aborted.
type DamagedError struct {
	Line int
	Err  error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("line %d is damaged (%v); remove the journal to start over", e.Line, e.Err)
}

// Unwrap returns what was wrong with the line.
func (e *DamagedError) Unwrap() error { return e.Err }

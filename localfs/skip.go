package localfs

import (
	"fmt"
	"io/fs"
)

// SkipKind says why a walk passed over an entry (see SkipError).
type SkipKind int

// The kinds of entry a walk passes over on purpose.
const (
	// SkipLink: a symbolic link, not followed (WalkOptions.NoFollowSymlinks).
	SkipLink SkipKind = iota + 1
	// SkipLoop: a directory reached through a link that leads back to one of its own
	// ancestors; every file under it is reached through that ancestor already.
	SkipLoop
	// SkipSpecial: neither a regular file nor a directory: a named pipe (FIFO), a socket,
	// a device. It is never opened (opening a FIFO waits for a writer).
	SkipSpecial
)

// SkipError is what a walk reports of an entry it passes over on purpose. It is not a
// failure: the walk's caller tells it from one with errors.As and decides what it is worth
// (haul's CLI prints a "skip:" line and does not fail the run).
type SkipError struct {
	Path string // the entry, as reached from the root
	Kind SkipKind
	// Target is, for SkipLink, what the link says (as written in it, possibly relative);
	// for SkipLoop, the path of the ancestor the entry leads back to.
	Target string
	Mode   fs.FileMode // for SkipSpecial, the entry's type bits (fs.ModeNamedPipe, ...)
}

func (e *SkipError) Error() string {
	switch e.Kind {
	case SkipLink:
		return fmt.Sprintf("symbolic link to %s, not followed", e.Target)
	case SkipLoop:
		return fmt.Sprintf("symbolic link loop: leads back to %s, a directory above it, already walked", e.Target)
	}
	return fmt.Sprintf("%s, not a regular file; not read", SpecialKind(e.Mode))
}

// SpecialKind names the kind of a special file, by its type bits, for people: "named pipe
// (FIFO)", "socket", "character device", "device", or, for other bits, their letters.
func SpecialKind(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		return "socket"
	case mode&fs.ModeCharDevice != 0:
		return "character device"
	case mode&fs.ModeDevice != 0:
		return "device"
	case mode&fs.ModeIrregular != 0:
		return "special file of unknown kind"
	}
	return "special file (" + mode.Type().String() + ")"
}

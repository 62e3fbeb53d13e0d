package cli

import (
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/haul-s3/haul/filelist"
)

// listFlags are --files-from and --files-from0 (cp -r and sync): the names to move, read
// from a file or standard input instead of walking the directory or listing the prefix.
type listFlags struct {
	filesFrom, filesFrom0 string
}

func (l *listFlags) register(fl *pflag.FlagSet, scope string) {
	fl.StringVar(&l.filesFrom, "files-from", "", scope+"move only the files or keys `FILE` lists ('-': standard input), one per line, each relative to SOURCE; blank lines and lines that start with # are passed over; every other character belongs to the name, spaces at either end too (only a CR before the newline is dropped); a name SOURCE does not hold is a failed item, and --include/--exclude still apply")
	fl.StringVar(&l.filesFrom0, "files-from0", "", "as --files-from, with the names in `FILE` separated by NUL bytes (find -print0, git ls-files -z); no comments, no character dropped")
}

// given reports whether a list was given.
func (l *listFlags) given() bool { return l.filesFrom != "" || l.filesFrom0 != "" }

// check checks the list flags against the others of the command.
func (l *listFlags) check(recursive bool) error {
	switch {
	case l.filesFrom != "" && l.filesFrom0 != "":
		return usagef("--files-from and --files-from0 both name a list: give one")
	case l.given() && !recursive:
		return usagef("--files-from and --files-from0 list the files of a directory or the keys of a prefix: add -r")
	}
	return nil
}

// open opens the list (stdin for "-") and returns its reader and what closes it; nil when
// no list was given.
func (l *listFlags) open(stdin io.Reader) (*filelist.Reader, func(), error) {
	name, reader := l.filesFrom, filelist.Lines
	if l.filesFrom0 != "" {
		name, reader = l.filesFrom0, filelist.NULs
	}
	switch name {
	case "":
		return nil, func() {}, nil
	case "-":
		return reader(stdin), func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, usagef("cannot read the list of files: %v", err)
	}
	return reader(f), func() { _ = f.Close() }, nil
}

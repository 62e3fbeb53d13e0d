package localfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// CaseInsensitive reports whether the filesystem of dir, an existing directory, takes names
// that differ only in case as one (macOS and Windows by default; Linux with casefolding).
// It creates a temporary file in dir and looks for it under its upper-case name.
func CaseInsensitive(dir string) (bool, error) {
	f, err := os.CreateTemp(dir, ".haul-case-probe-*")
	if err != nil {
		return false, err
	}
	name := f.Name()
	_ = f.Close()
	defer os.Remove(name)
	upper := filepath.Join(filepath.Dir(name), strings.ToUpper(filepath.Base(name)))
	a, err := os.Stat(name)
	if err != nil {
		return false, err
	}
	b, err := os.Stat(upper)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	}
	return os.SameFile(a, b), nil
}

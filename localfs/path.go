package localfs

import (
	"fmt"
	"path/filepath"
	"strings"
)

// SafeJoin maps rel, a "/"-separated path taken from an untrusted object key, to a path
// inside dir. It refuses, with an error that says why, any rel that is empty, absolute,
// holds "." or ".." segments, empty segments, backslashes or NUL bytes, so that no key can
// name a file outside dir or be read two ways; on Windows also any rel that
// filepath.IsLocal refuses there: one with a colon (a drive or an alternate data stream)
// or a reserved device name (NUL, CON, COM1, ...) as a segment.
func SafeJoin(dir, rel string) (string, error) {
	switch {
	case rel == "":
		return "", fmt.Errorf("key maps to an empty file name")
	case strings.HasPrefix(rel, "/"):
		return "", fmt.Errorf("key %q starts with '/' and would be written outside the destination", rel)
	case strings.ContainsAny(rel, "\\\x00"):
		return "", fmt.Errorf("key %q contains a backslash or NUL byte and could be misread as a path", rel)
	}
	for _, seg := range strings.Split(rel, "/") {
		switch seg {
		case "":
			return "", fmt.Errorf("key %q has an empty path segment ('//' or a trailing '/')", rel)
		case ".", "..":
			return "", fmt.Errorf("key %q has a %q segment and could be written outside the destination", rel, seg)
		}
	}
	local := filepath.FromSlash(rel)
	if !filepath.IsLocal(local) { // after the checks above, only on Windows
		return "", fmt.Errorf("key %q cannot be a file name on this system: it holds a colon or a device name", rel)
	}
	p := filepath.Join(dir, local)
	r, err := filepath.Rel(dir, p)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) || filepath.IsAbs(r) {
		return "", fmt.Errorf("key %q would be written outside the destination", rel)
	}
	return p, nil
}

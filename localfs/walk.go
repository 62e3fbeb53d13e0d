// Package localfs walks local directory trees for upload and maps object keys to local paths
// for download without ever writing outside the destination directory.
package localfs

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// File is a regular file found by Walk.
type File struct {
	Path    string    // path to open, as reached from the root (may go through symlinks)
	Rel     string    // path relative to the root, with "/" separators
	Size    int64     // size when walked
	ModTime time.Time // modification time when walked
	// Change is the inode-change time (ctime, Unix ns) and Inode the inode number when
	// walked: with Size and ModTime, the file's fingerprint. A file rewritten with its old
	// size and mtime put back still gets a new ctime. Both are 0 on Windows.
	Change int64
	Inode  uint64
}

// Stat returns the File for the regular file at path (following links), with rel as its
// relative path.
func Stat(path, rel string) (File, error) {
	info, err := os.Stat(path)
	if err != nil {
		return File{}, err
	}
	if !info.Mode().IsRegular() {
		return File{}, fmt.Errorf("%s is not a regular file (%s)", path, info.Mode().Type())
	}
	return fileOf(path, rel, info), nil
}

func fileOf(path, rel string, info os.FileInfo) File {
	change, inode := identity(info)
	return File{Path: path, Rel: rel, Size: info.Size(), ModTime: info.ModTime(), Change: change, Inode: inode}
}

// Walk calls fn for every regular file under root, in the byte order of the paths relative
// to root (the order S3 lists their keys in), following symbolic
// links to files and to directories. A directory reached again through a link that points
// at one of its own ancestors (a loop) is reported to onErr and not entered twice; a
// directory is known by os.SameFile (device and inode on Unix; volume serial number and file
// index on Windows, where a directory whose index cannot be read is never taken for an
// ancestor, so a loop through it is not caught). Empty
// directories produce nothing. Entries that cannot be read, and special files (FIFOs,
// devices, sockets), are reported to onErr and skipped; the walk goes on. Walk stops early
// when fn returns an error (which it returns) or ctx is cancelled.
func Walk(ctx context.Context, root string, fn func(File) error, onErr func(path string, err error)) error {
	return WalkSkipping(ctx, root, nil, fn, onErr)
}

// WalkSkipping is Walk that does not enter a directory for which skip (nil: none) returns
// true, given the directory's path relative to the root with "/" separators; nothing under
// it is reported, files or errors.
func WalkSkipping(ctx context.Context, root string, skip func(rel string) bool, fn func(File) error, onErr func(path string, err error)) error {
	info, err := os.Stat(root)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", root)
	}
	w := walker{fn: fn, onErr: onErr, skip: skip}
	return w.dir(ctx, root, "", []os.FileInfo{info})
}

type walker struct {
	fn    func(File) error
	onErr func(path string, err error)
	skip  func(rel string) bool
}

// entry is one name in a directory, as os.Stat saw it (following links), with the key
// it sorts by: its name, with "/" after it for a directory.
type entry struct {
	name, key string
	info      os.FileInfo
	err       error
}

// dir walks dir; ancestors are the directories from the root down to dir, as os.Stat saw them.
// The entries are walked in the byte order of the keys they become (S3's listing order):
// a directory's name sorts as if it ended in "/", so "a-b" comes before "a/x" (as in S3:
// '-' < '/'), which a plain sort by name would put after. This holds the widest directory's
// names in memory, never the tree's.
func (w *walker) dir(ctx context.Context, dir, rel string, ancestors []os.FileInfo) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		w.onErr(dir, err)
		return nil
	}
	entries := make([]entry, len(des))
	for i, de := range des {
		info, err := os.Stat(filepath.Join(dir, de.Name())) // follows symlinks
		entries[i] = entry{name: de.Name(), key: de.Name(), info: info, err: err}
		if err == nil && info.IsDir() {
			entries[i].key += "/"
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(dir, e.name)
		r := path.Join(rel, e.name)
		info := e.info
		if e.err != nil {
			w.onErr(p, e.err)
			continue
		}
		switch {
		case info.IsDir():
			if w.skip != nil && w.skip(r) {
				continue
			}
			if isAncestor(ancestors, info) {
				w.onErr(p, fmt.Errorf("symbolic link loop: %s leads back to a directory above it; skipped", p))
				continue
			}
			if err := w.dir(ctx, p, r, append(ancestors, info)); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := w.fn(fileOf(p, r, info)); err != nil {
				return err
			}
		default:
			w.onErr(p, fmt.Errorf("%s is not a regular file (%s); skipped", p, info.Mode().Type()))
		}
	}
	return nil
}

// isAncestor reports whether dir is one of ancestors: the same directory, however reached.
func isAncestor(ancestors []os.FileInfo, dir os.FileInfo) bool {
	for _, a := range ancestors {
		if os.SameFile(a, dir) {
			return true
		}
	}
	return false
}
